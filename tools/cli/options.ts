/**
 * Parsing and checking command-line values into coded ZACCEL_BAD_OPTION errors.
 */
import { badOption } from '../../src/errors.js';

export function integerFlag(name: string, text: string): number {
  const value = Number(text);
  if (!Number.isInteger(value)) throw badOption(name, text, 'an integer');
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
