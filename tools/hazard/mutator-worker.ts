/**
 * The writer thread of `zaccel hazard`: increments every byte of its range,
 * again and again, while the compressor thread compresses it in place; in
 * rendezvous mode, once each time the compressor asks.
 */
import { workerData } from 'node:worker_threads';
import { type GuestLayout, GuestMemory } from '../../src/internal.js';
import { Machine, type MachineDescriptor } from '../../src/index.js';
import { WriterControl, WriterState } from './writer-control.js';

interface MutatorData {
  descriptor: MachineDescriptor;
  layout: GuestLayout;
  control: SharedArrayBuffer;
  address: number;
  length: number;
  rendezvous: boolean;
}

const data = workerData as MutatorData;
const guest = new GuestMemory(Machine.attach(data.descriptor), data.layout);
const control = new WriterControl(data.control);
if (data.rendezvous) {
  control.serveRequests(() => guest.increment(data.address, data.length));
} else {
  while (control.next() === WriterState.RUNNING) {
    guest.increment(data.address, data.length);
    control.countSweep();
  }
}
