/**
 * What every engine offers the host: streaming deflate and inflate over
 * machine memory, in zlib's terms, and the access model the copy decision
 * needs.
 */
import type { FlushMode, Level, Strategy } from '../constants.js';
import type { Machine } from '../machine/machine.js';
import type { DfltccModel, DfltccSettings } from './dfltcc/settings.js';

export type EngineName = 'zlib' | 'dfltcc';
export type Format = 'raw' | 'zlib' | 'gzip';
export type InflateFormat = Format | 'auto';

/**
 * `single`: every input byte is read once, or all reads see one snapshot.
 * `multiple`: input may be read more than once during one call (DFLTCC).
 */
export type AccessModel = 'single' | 'multiple';

export interface ResolvedDeflateParameters {
  format: Format;
  level: Level;
  /** 8..15, without the format's sign or offset. */
  windowBits: number;
  memLevel: number;
  strategy: Strategy;
  /** The dfltcc engine's tuning and emulator model (other engines ignore it). */
  dfltcc: DfltccSettings & DfltccModel;
}

export interface ResolvedInflateParameters {
  format: InflateFormat;
  /** 0 (take it from the header) or 8..15, without the format's sign or offset. */
  windowBits: number;
  dfltcc: DfltccSettings & DfltccModel;
}

/**
 * A value in a codec's continuation state: JSON-like, plus byte strings (a
 * z_stream blob, a parameter block, a history buffer). src/core/snapshot-format.ts
 * lays it out as one flat, checksummed byte string.
 */
export type SnapshotValue =
  | number
  | string
  | boolean
  | null
  | Uint8Array
  | SnapshotValue[]
  | { [key: string]: SnapshotValue };

/** Everything a codec needs to continue where it was: its own fields and the engine state in machine memory. */
export type CodecState = { [key: string]: SnapshotValue };

/** One call into an engine: what it consumed and produced, and zlib's status. */
export interface CodecStep {
  status: number;
  consumed: number;
  produced: number;
}

interface Codec {
  readonly engine: EngineName;
  /** The engine's message for the last failure, verbatim (zlib's msg, or the OESC text). */
  message(): string | undefined;
  /** Free the codec's machine memory. Idempotent. */
  end(): void;
  /** The codec's whole continuation state, between calls; restored by the engine's restore* into any Machine. */
  snapshot(): CodecState;
}

export interface DeflateCodec extends Codec {
  /** The access model for the current parameters: the copy decision reads this before every call. */
  readonly access: AccessModel;
  /** Deflate input [inputAddress, +inputLength) into output [outputAddress, +outputCapacity). */
  deflate(
    inputAddress: number,
    inputLength: number,
    outputAddress: number,
    outputCapacity: number,
    flush: FlushMode,
  ): CodecStep;
  /** deflateParams; the output window receives what the parameter change flushes. */
  params(level: Level, strategy: Strategy, outputAddress: number, outputCapacity: number): CodecStep;
  setDictionary(address: number, length: number): number;
  reset(): number;
  /** deflateBound for the current parameters. */
  bound(sourceLength: number): number;
  /** Running check value (Adler-32 or CRC-32) of the input so far. */
  checkValue(): number;
  /** How many calls this codec handed to software instead of its own path (DFLTCC fallbacks). */
  readonly fallbacks: number;
  /**
   * True when each write must reach deflate() whole, in one call, as a C caller passes its buffer (the
   * dfltcc engine: block boundaries and GDHT samples depend on it); otherwise writes may be staged in pieces.
   */
  readonly wholeWrites?: boolean;
}

export interface InflateCodec extends Codec {
  inflate(
    inputAddress: number,
    inputLength: number,
    outputAddress: number,
    outputCapacity: number,
    flush: FlushMode,
  ): CodecStep;
  setDictionary(address: number, length: number): number;
  /** Reset for a new stream (a new gzip member). */
  reset(): number;
  checkValue(): number;
  readonly fallbacks: number;
}

export interface Engine {
  readonly name: EngineName;
  /** The engine's version string, e.g. zlib's "1.3.1". */
  version(machine: Machine): string;
  /** Whether the engine can run on this machine (its module is built). */
  available(machine: Machine): boolean;
  /** The access model deflate has with these parameters. */
  deflateAccess(parameters: ResolvedDeflateParameters): AccessModel;
  createDeflate(machine: Machine, parameters: ResolvedDeflateParameters): DeflateCodec;
  createInflate(machine: Machine, parameters: ResolvedInflateParameters): InflateCodec;
  /** A deflate codec that continues from a snapshot() of one made with the same parameters. */
  restoreDeflate(machine: Machine, parameters: ResolvedDeflateParameters, state: CodecState): DeflateCodec;
  /** An inflate codec that continues from a snapshot() of one made with the same parameters. */
  restoreInflate(machine: Machine, parameters: ResolvedInflateParameters, state: CodecState): InflateCodec;
}

/** zlib's windowBits argument for a format: negative for raw, +16 for gzip, +32 for auto-detect. */
export function formatWindowBits(format: InflateFormat, windowBits: number): number {
  switch (format) {
    case 'raw':
      return -windowBits;
    case 'zlib':
      return windowBits;
    case 'gzip':
      return windowBits + 16;
    case 'auto':
      return windowBits + 32;
  }
}

/**
 * A new codec brought to a snapshot's state by `adopt`; a codec that refuses the state is ended before the
 * error goes on, so a refused snapshot leaves no memory behind.
 */
export function restoredCodec<C extends { end(): void }>(codec: C, adopt: (codec: C) => void): C {
  try {
    adopt(codec);
  } catch (error) {
    codec.end();
    throw error;
  }
  return codec;
}
