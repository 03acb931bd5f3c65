/**
 * Parsing and checking command-line values into coded ZACCEL_BAD_OPTION errors.
 */
import { badOption } from '../../src/internal.js';

/** A plain decimal integer: `+1`, `0x1`, `1e0` and ` 1` are not integers on a command line. */
export function integerFlag(name: string, text: string): number {
  if (!/^-?\d+$/.test(text)) throw badOption(name, text, 'an integer');
  return Number(text);
}

export function integerInRange(name: string, text: string, min: number, max: number): number {
  const value = integerFlag(name, text);
  if (value < min || value > max) throw badOption(name, text, `an integer from ${min} to ${max}`);
  return value;
}

export function positiveFlag(name: string, text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0) throw badOption(name, text, 'a positive number');
  return value;
}

export function choice<T extends string>(name: string, value: string, allowed: readonly T[]): T {
  if (!allowed.includes(value as T)) throw badOption(name, value, allowed.join(', '));
  return value as T;
}
