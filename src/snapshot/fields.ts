/**
 * Typed reading of a codec's or core's snapshot fields. A snapshot that
 * passed its checksum can still have been written by hand: every field is
 * checked for its type and range here, so a forged one is refused with
 * ZACCEL_BAD_SNAPSHOT instead of leaving a codec in a state no call sequence
 * could reach.
 */
import type { CodecState, SnapshotValue } from '../engines/engine.js';
import { ZaccelError } from '../errors.js';

export function badSnapshot(reason: string): ZaccelError {
  return new ZaccelError('ZACCEL_BAD_SNAPSHOT', `invalid stream snapshot: ${reason}`);
}

export class SnapshotFields {
  constructor(
    private readonly state: CodecState,
    /** Where these fields are, for messages: "deflate core", "dfltcc inflate codec", ... */
    private readonly where: string,
  ) {}

  private value(name: string): SnapshotValue | undefined {
    return Object.hasOwn(this.state, name) ? this.state[name] : undefined;
  }

  private wrong(name: string, expected: string): ZaccelError {
    return badSnapshot(`${this.where}: field ${name} is not ${expected}`);
  }

  /** An integer in [low, high]. */
  integer(name: string, low: number, high: number): number {
    const value = this.value(name);
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < low || value > high) {
      throw this.wrong(name, `an integer from ${low} to ${high}`);
    }
    return value;
  }

  /** An integer in [low, high], or null (kept as undefined). */
  optionalInteger(name: string, low: number, high: number): number | undefined {
    return this.value(name) === null ? undefined : this.integer(name, low, high);
  }

  boolean(name: string): boolean {
    const value = this.value(name);
    if (typeof value !== 'boolean') throw this.wrong(name, 'a boolean');
    return value;
  }

  oneOf<T extends string>(name: string, values: readonly T[]): T {
    const value = this.value(name);
    if (typeof value !== 'string' || !(values as readonly string[]).includes(value))
      throw this.wrong(name, `one of ${values.join(', ')}`);
    return value as T;
  }

  optionalString(name: string): string | undefined {
    const value = this.value(name);
    if (value === null) return undefined;
    if (typeof value !== 'string') throw this.wrong(name, 'a string or null');
    return value;
  }

  /** Bytes, of exactly `length` when given. */
  bytes(name: string, length?: number): Uint8Array {
    const value = this.value(name);
    if (!(value instanceof Uint8Array) || (length !== undefined && value.length !== length)) {
      throw this.wrong(name, length === undefined ? 'bytes' : `${length} bytes`);
    }
    return value;
  }

  /** An array of integers in [low, high]. */
  integers(name: string, low: number, high: number): number[] {
    const value = this.value(name);
    if (
      !Array.isArray(value) ||
      !value.every((item) => typeof item === 'number' && Number.isSafeInteger(item) && item >= low && item <= high)
    ) {
      throw this.wrong(name, `a list of integers from ${low} to ${high}`);
    }
    return value as number[];
  }

  /** A nested state (a codec inside a codec), or undefined when the field is null. */
  optionalState(name: string): CodecState | undefined {
    const value = this.value(name);
    if (value === null) return undefined;
    return this.asState(name, value);
  }

  nested(name: string): CodecState {
    return this.asState(name, this.value(name));
  }

  private asState(name: string, value: SnapshotValue | undefined): CodecState {
    if (
      value === null ||
      value === undefined ||
      typeof value !== 'object' ||
      Array.isArray(value) ||
      value instanceof Uint8Array
    ) {
      throw this.wrong(name, 'an object');
    }
    return value;
  }
}
