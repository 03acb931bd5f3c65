/**
 * The Machine that zaccel's API uses in this thread when the caller names none.
 */
import { Machine, type MachineOptions } from './machine.js';

let threadMachine: Machine | undefined;

/** This thread's default Machine, created on first use. */
export function defaultMachine(): Machine {
  threadMachine ??= Machine.create();
  return threadMachine;
}

/**
 * Replace this thread's default Machine: with a new one made from `options`,
 * or with one attached from another thread.
 */
export function setDefaultMachine(machine: Machine | MachineOptions): Machine {
  threadMachine = machine instanceof Machine ? machine : Machine.create(machine);
  return threadMachine;
}
