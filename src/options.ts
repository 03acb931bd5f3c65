/**
 * Options for deflate and inflate, named as node:zlib names them, plus
 * zaccel's own (`engine`, `copy`, `machine`). Defaults live in one place and
 * every option is validated as node:zlib validates it, into node's error
 * classes and codes, with zaccelCode ZACCEL_BAD_OPTION.
 */
import { constants as bufferConstants } from 'node:buffer';
import { constants, type FlushMode, type Level, type Strategy } from './constants.js';
import type { CopyPolicy } from './core/copy-policy.js';
import type { AccessModel, EngineName, Format, InflateFormat } from './engines/engine.js';
import {
  environmentSettings,
  type DfltccModel,
  type DfltccOptions,
  type DfltccSettings,
} from './engines/dfltcc/settings.js';
import { badOption, invalidArgType, outOfRange } from './errors.js';
import type { Machine } from './machine/machine.js';

interface CommonOptions {
  /** Output chunk size in bytes for streams, >= 64. Default 16 KiB (node:zlib's). Larger is faster. */
  chunkSize?: number;
  /** Flush mode applied to every write of a stream. Default Z_NO_FLUSH. */
  flush?: FlushMode;
  /** Flush mode applied when a stream ends. Default Z_FINISH. */
  finishFlush?: FlushMode;
  /** Preset dictionary. Default none. */
  dictionary?: ArrayBufferView | ArrayBuffer;
  /** The engine: 'zlib' (real zlib 1.3.1) or 'dfltcc' (the emulated IBM Z accelerator). Default 'zlib'. */
  engine?: EngineName;
  /** The Machine whose memory the stream lives in. Default: this thread's default Machine. */
  machine?: Machine;
  /** node:zlib's `info`: one-shots return `{ buffer, engine }` instead of the buffer. */
  info?: boolean;
  /** dfltcc engine: the emulator's access model. 'multiple' (default) re-reads input for the history, as the hardware may. */
  dfltccModel?: AccessModel;
  /** dfltcc engine: bytes processed before the emulator returns CC3. 0 (default) = unbounded. */
  cpuAmount?: number;
  /** dfltcc engine: IBM zlib's tuning, defaulting to DFLTCC, DFLTCC_LEVEL_MASK, ... from the environment. */
  dfltcc?: DfltccOptions;
}

export interface DeflateOptions extends CommonOptions {
  /** -1 (default, means 6) .. 9. 0 stores; 1 is fastest; 9 compresses most. */
  level?: Level;
  /** log2 of the window, 8..15 (8 is raised to 9 by zlib). Default 15. Smaller uses less memory and compresses less. */
  windowBits?: number;
  /** 1..9: memory for the hash table and literal buffer. Default 8. */
  memLevel?: number;
  /** Z_DEFAULT_STRATEGY, Z_FILTERED, Z_HUFFMAN_ONLY, Z_RLE or Z_FIXED. Default Z_DEFAULT_STRATEGY. */
  strategy?: Strategy;
  /**
   * When input in machine memory is copied to a private buffer before each deflate call:
   * 'auto' (default) only for engines that may read input twice and input not known to be stable;
   * 'always'; or 'never'.
   */
  copy?: CopyPolicy;
}

export interface InflateOptions extends CommonOptions {
  /** 0 (take it from the header) or 8..15. Default 15 for raw, 0 otherwise. */
  windowBits?: number;
  /** Stop with ZACCEL_OUTPUT_LIMIT once more than this many bytes would be produced. */
  maxOutputLength?: number;
}

export interface ResolvedCommon {
  chunkSize: number;
  flush: FlushMode;
  finishFlush: FlushMode;
  dictionary: Uint8Array | undefined;
  engine: EngineName;
  dfltcc: DfltccSettings & DfltccModel;
}

export interface ResolvedDeflateOptions extends ResolvedCommon {
  format: Format;
  level: Level;
  windowBits: number;
  memLevel: number;
  strategy: Strategy;
  copy: CopyPolicy;
}

export interface ResolvedInflateOptions extends ResolvedCommon {
  format: InflateFormat;
  windowBits: number;
  maxOutputLength: number;
}

/** Largest output a one-shot inflate returns unless maxOutputLength says otherwise: 1 GiB. */
export const DEFAULT_ONE_SHOT_OUTPUT_LIMIT = 1024 * 1024 * 1024;
/** Largest output window: a region of the Machine, which is at most 2 GiB. */
const MAX_CHUNK = 2 ** 30;
/** node:zlib's maxOutputLength ceiling: the largest Buffer. */
const MAX_OUTPUT_LENGTH = bufferConstants.MAX_LENGTH;

/**
 * node:zlib's rule for a numeric option: absent or NaN means the default, a
 * non-number is a TypeError, Infinity or a value outside the range a
 * RangeError. Fractions are accepted, and truncated as zlib's C API does.
 */
export function numberOption(name: string, value: unknown, low: number, high: number, fallback: number): number {
  if (!finiteNumber(name, value)) return fallback;
  if (value < low || value > high) throw outOfRange(name, `>= ${low} and <= ${high}`, value);
  return Math.trunc(value);
}

/** node's checkFiniteNumber: false for undefined and NaN, true for a finite number, throws otherwise. */
function finiteNumber(name: string, value: unknown): value is number {
  if (value === undefined || (typeof value === 'number' && Number.isNaN(value))) return false;
  if (typeof value !== 'number') throw invalidArgType(name, 'of type number', value);
  if (!Number.isFinite(value)) throw outOfRange(name, 'a finite number', value);
  return true;
}

/** Options as node:zlib reads them: anything that is not an object (even `15`) has no options in it. */
function optionsObject<O extends object>(options: unknown): Partial<O> {
  return typeof options === 'object' && options !== null ? (options as Partial<O>) : {};
}

function resolveCommon(options: CommonOptions, chunkDefault: number): ResolvedCommon {
  let chunkSize = chunkDefault;
  if (finiteNumber('options.chunkSize', options.chunkSize)) {
    if (options.chunkSize < constants.Z_MIN_CHUNK)
      throw outOfRange('options.chunkSize', `>= ${constants.Z_MIN_CHUNK}`, options.chunkSize);
    // zaccel's own ceiling: the output window is a region of the Machine.
    if (options.chunkSize > MAX_CHUNK)
      throw outOfRange('options.chunkSize', `>= ${constants.Z_MIN_CHUNK} and <= ${MAX_CHUNK}`, options.chunkSize);
    chunkSize = Math.trunc(options.chunkSize);
  }
  // Z_TREES is for inflate's callers that parse blocks themselves; node:zlib stops at Z_BLOCK too.
  const flush = numberOption(
    'options.flush',
    options.flush,
    constants.Z_NO_FLUSH,
    constants.Z_BLOCK,
    constants.Z_NO_FLUSH,
  ) as FlushMode;
  const finishFlush = numberOption(
    'options.finishFlush',
    options.finishFlush,
    constants.Z_NO_FLUSH,
    constants.Z_BLOCK,
    constants.Z_FINISH,
  ) as FlushMode;
  const engine = options.engine ?? 'zlib';
  if (engine !== 'zlib' && engine !== 'dfltcc') throw badOption('options.engine', engine, "'zlib' or 'dfltcc'");
  return {
    chunkSize,
    flush,
    finishFlush,
    dictionary: dictionaryOf(options.dictionary),
    engine,
    dfltcc: resolveDfltcc(options),
  };
}

/** zaccel's own integer options keep their strict check: no NaN default, no fractions. */
function integerIn(name: string, value: unknown, low: number, high: number, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number') throw invalidArgType(name, 'of type number', value);
  if (!Number.isInteger(value) || value < low || value > high)
    throw outOfRange(name, `an integer >= ${low} and <= ${high}`, value);
  return value;
}

/**
 * The dfltcc settings of options that name none of them (the usual case, and every zlib-engine call): resolved
 * once, from the environment, and shared, because resolving them is a measurable part of a small one-shot.
 */
let defaultDfltcc: (DfltccSettings & DfltccModel) | undefined;

function resolveDfltcc(options: CommonOptions): DfltccSettings & DfltccModel {
  if (options.dfltccModel === undefined && options.cpuAmount === undefined && options.dfltcc === undefined) {
    // Frozen: one object serves every such call, so no caller may change it for the others.
    defaultDfltcc ??= Object.freeze(resolveDfltccSettings(options));
    return defaultDfltcc;
  }
  return resolveDfltccSettings(options);
}

function resolveDfltccSettings(options: CommonOptions): DfltccSettings & DfltccModel {
  const model = options.dfltccModel ?? 'multiple';
  if (model !== 'single' && model !== 'multiple')
    throw badOption('options.dfltccModel', model, "'single' or 'multiple'");
  const cpuAmount = integerIn('options.cpuAmount', options.cpuAmount, 0, 2 ** 31 - 1, 0);
  const overrides = options.dfltcc ?? {};
  if (overrides === null || typeof overrides !== 'object')
    throw invalidArgType('options.dfltcc', 'of type object', overrides);
  const settings = { ...environmentSettings, ...overrides };
  integerIn('options.dfltcc.levelMask', settings.levelMask, 0, 0x3ff, 0);
  integerIn('options.dfltcc.blockSize', settings.blockSize, 1, 2 ** 31 - 1, 0);
  integerIn('options.dfltcc.firstFhtBlockSize', settings.firstFhtBlockSize, 0, 2 ** 31 - 1, 0);
  integerIn('options.dfltcc.dhtMinSampleSize', settings.dhtMinSampleSize, 0, 2 ** 31 - 1, 0);
  integerIn('options.dfltcc.ribm', settings.ribm, 0, 255, 0);
  if (typeof settings.enabled !== 'boolean')
    throw invalidArgType('options.dfltcc.enabled', 'of type boolean', settings.enabled);
  if (typeof settings.reproducible !== 'boolean')
    throw invalidArgType('options.dfltcc.reproducible', 'of type boolean', settings.reproducible);
  if (typeof settings.chunked !== 'boolean')
    throw invalidArgType('options.dfltcc.chunked', 'of type boolean', settings.chunked);
  return { ...settings, model, cpuAmount };
}

const BINARY_TYPES = 'an instance of Buffer, TypedArray, DataView, or ArrayBuffer';

function dictionaryOf(value: unknown): Uint8Array | undefined {
  if (value === undefined) return undefined;
  const bytes = viewOf(value);
  if (bytes === undefined) throw invalidArgType('options.dictionary', BINARY_TYPES, value);
  return bytes;
}

/** The bytes of a Buffer, TypedArray, DataView or (Shared)ArrayBuffer, without copying; undefined for anything else. */
export function viewOf(value: unknown): Uint8Array | undefined {
  if (value instanceof Uint8Array) return value;
  if (ArrayBuffer.isView(value)) return new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
  if (value instanceof ArrayBuffer || value instanceof SharedArrayBuffer) return new Uint8Array(value);
  return undefined;
}

/** The bytes of a binary option or argument; a TypeError naming it for anything else. */
export function bytesOf(name: string, value: unknown): Uint8Array | undefined {
  if (value === undefined) return undefined;
  const bytes = viewOf(value);
  if (bytes === undefined) throw invalidArgType(name, BINARY_TYPES, value);
  return bytes;
}

export function resolveDeflateOptions(
  format: Format,
  options: DeflateOptions = {},
  chunkDefault = constants.Z_DEFAULT_CHUNK,
): ResolvedDeflateOptions {
  options = optionsObject<DeflateOptions>(options);
  // node:zlib checks windowBits, level, memLevel and strategy before the stream options.
  // gzip needs windowBits 9 or more; zlib and raw accept 8 and run it as 9, as node:zlib does.
  const windowMin = format === 'gzip' ? 9 : constants.Z_MIN_WINDOWBITS;
  const windowBits = numberOption(
    'options.windowBits',
    options.windowBits,
    windowMin,
    constants.Z_MAX_WINDOWBITS,
    constants.Z_DEFAULT_WINDOWBITS,
  );
  const level = numberOption(
    'options.level',
    options.level,
    constants.Z_MIN_LEVEL,
    constants.Z_MAX_LEVEL,
    constants.Z_DEFAULT_LEVEL,
  ) as Level;
  const memLevel = numberOption(
    'options.memLevel',
    options.memLevel,
    constants.Z_MIN_MEMLEVEL,
    constants.Z_MAX_MEMLEVEL,
    constants.Z_DEFAULT_MEMLEVEL,
  );
  const strategy = numberOption(
    'options.strategy',
    options.strategy,
    constants.Z_DEFAULT_STRATEGY,
    constants.Z_FIXED,
    constants.Z_DEFAULT_STRATEGY,
  ) as Strategy;
  const common = resolveCommon(options, chunkDefault);
  const copy = options.copy ?? 'auto';
  if (copy !== 'auto' && copy !== 'always' && copy !== 'never')
    throw badOption('options.copy', copy, "'auto', 'always' or 'never'");
  // A gzip stream has no place for a preset dictionary: node:zlib ignores one, and so does zaccel.
  const dictionary = format === 'gzip' ? undefined : common.dictionary;
  // Fields named one by one, not spread: a spread costs microseconds per one-shot (the type keeps the list whole).
  return {
    chunkSize: common.chunkSize,
    flush: common.flush,
    finishFlush: common.finishFlush,
    engine: common.engine,
    dfltcc: common.dfltcc,
    dictionary,
    format,
    level,
    windowBits: Math.max(9, windowBits),
    memLevel,
    strategy,
    copy,
  };
}

export function resolveInflateOptions(
  format: InflateFormat,
  options: InflateOptions = {},
  chunkDefault = constants.Z_DEFAULT_CHUNK,
  outputLimitDefault = Infinity,
): ResolvedInflateOptions {
  options = optionsObject<InflateOptions>(options);
  // 0 (or nothing) takes the window from the header; a raw stream has none, so it needs 8..15.
  const fromHeader = format !== 'raw' && (options.windowBits == null || options.windowBits === 0);
  const windowBits = fromHeader
    ? 0
    : numberOption(
        'options.windowBits',
        options.windowBits,
        constants.Z_MIN_WINDOWBITS,
        constants.Z_MAX_WINDOWBITS,
        constants.Z_DEFAULT_WINDOWBITS,
      );
  // Checked (and defaulted) as node:zlib does, though they mean nothing to inflate.
  const loose = options as Record<string, unknown>;
  numberOption('options.level', loose.level, constants.Z_MIN_LEVEL, constants.Z_MAX_LEVEL, constants.Z_DEFAULT_LEVEL);
  numberOption(
    'options.memLevel',
    loose.memLevel,
    constants.Z_MIN_MEMLEVEL,
    constants.Z_MAX_MEMLEVEL,
    constants.Z_DEFAULT_MEMLEVEL,
  );
  numberOption(
    'options.strategy',
    loose.strategy,
    constants.Z_DEFAULT_STRATEGY,
    constants.Z_FIXED,
    constants.Z_DEFAULT_STRATEGY,
  );
  const common = resolveCommon(options, chunkDefault);
  const maxOutputLength = numberOption(
    'options.maxOutputLength',
    options.maxOutputLength,
    1,
    MAX_OUTPUT_LENGTH,
    outputLimitDefault,
  );
  return {
    chunkSize: common.chunkSize,
    flush: common.flush,
    finishFlush: common.finishFlush,
    engine: common.engine,
    dfltcc: common.dfltcc,
    dictionary: common.dictionary,
    format,
    windowBits,
    maxOutputLength,
  };
}
