/**
 * Options for deflate and inflate, named as node:zlib names them, plus
 * zaccel's own (`engine`, `copy`, `machine`). Defaults live in one place and
 * every option is validated into a coded ZACCEL_BAD_OPTION error.
 */
import { constants, type FlushMode, type Level, type Strategy } from './constants.js';
import type { CopyPolicy } from './core/copy-policy.js';
import type { AccessModel, EngineName, Format, InflateFormat } from './engines/engine.js';
import { environmentSettings, type DfltccModel, type DfltccOptions, type DfltccSettings } from './engines/dfltcc/settings.js';
import { badOption } from './errors.js';
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

const flushModes = [0, 1, 2, 3, 4, 5, 6];

function integerIn(name: string, value: unknown, low: number, high: number, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < low || value > high) {
    throw badOption(name, value, `an integer from ${low} to ${high}`);
  }
  return value;
}

function resolveCommon(options: CommonOptions, chunkDefault: number): ResolvedCommon {
  if (options === null || typeof options !== 'object') throw badOption('options', options, 'an object');
  const chunkSize = options.chunkSize === undefined ? chunkDefault : options.chunkSize;
  if (typeof chunkSize !== 'number' || !Number.isInteger(chunkSize) || chunkSize < constants.Z_MIN_CHUNK || chunkSize > 2 ** 30) {
    throw badOption('chunkSize', chunkSize, `an integer from ${constants.Z_MIN_CHUNK} to 2^30`);
  }
  const flush = options.flush ?? constants.Z_NO_FLUSH;
  if (!flushModes.includes(flush)) throw badOption('flush', flush, 'a Z_*_FLUSH constant');
  const finishFlush = options.finishFlush ?? constants.Z_FINISH;
  if (!flushModes.includes(finishFlush)) throw badOption('finishFlush', finishFlush, 'a Z_*_FLUSH constant');
  const engine = options.engine ?? 'zlib';
  if (engine !== 'zlib' && engine !== 'dfltcc') throw badOption('engine', engine, "'zlib' or 'dfltcc'");
  return { chunkSize, flush, finishFlush, dictionary: bytesOf('dictionary', options.dictionary), engine, dfltcc: resolveDfltcc(options) };
}

function resolveDfltcc(options: CommonOptions): DfltccSettings & DfltccModel {
  const model = options.dfltccModel ?? 'multiple';
  if (model !== 'single' && model !== 'multiple') throw badOption('dfltccModel', model, "'single' or 'multiple'");
  const cpuAmount = integerIn('cpuAmount', options.cpuAmount, 0, 2 ** 31 - 1, 0);
  const overrides = options.dfltcc ?? {};
  if (overrides === null || typeof overrides !== 'object') throw badOption('dfltcc', overrides, 'an object');
  const settings = { ...environmentSettings, ...overrides };
  integerIn('dfltcc.levelMask', settings.levelMask, 0, 0x3ff, 0);
  integerIn('dfltcc.blockSize', settings.blockSize, 1, 2 ** 31 - 1, 0);
  integerIn('dfltcc.firstFhtBlockSize', settings.firstFhtBlockSize, 0, 2 ** 31 - 1, 0);
  integerIn('dfltcc.dhtMinSampleSize', settings.dhtMinSampleSize, 0, 2 ** 31 - 1, 0);
  integerIn('dfltcc.ribm', settings.ribm, 0, 255, 0);
  if (typeof settings.enabled !== 'boolean') throw badOption('dfltcc.enabled', settings.enabled, 'a boolean');
  if (typeof settings.reproducible !== 'boolean') throw badOption('dfltcc.reproducible', settings.reproducible, 'a boolean');
  if (typeof settings.chunked !== 'boolean') throw badOption('dfltcc.chunked', settings.chunked, 'a boolean');
  return { ...settings, model, cpuAmount };
}

export function bytesOf(name: string, value: unknown): Uint8Array | undefined {
  if (value === undefined) return undefined;
  if (value instanceof Uint8Array) return value;
  if (ArrayBuffer.isView(value)) return new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
  if (value instanceof ArrayBuffer) return new Uint8Array(value);
  throw badOption(name, value, 'a Buffer, TypedArray, DataView or ArrayBuffer');
}

export function resolveDeflateOptions(format: Format, options: DeflateOptions = {}, chunkDefault = constants.Z_DEFAULT_CHUNK): ResolvedDeflateOptions {
  const common = resolveCommon(options, chunkDefault);
  if (format === 'gzip' && common.dictionary !== undefined) {
    throw badOption('dictionary', 'a dictionary', 'none: a gzip stream cannot carry a preset dictionary (use zlib or raw)');
  }
  const copy = options.copy ?? 'auto';
  if (copy !== 'auto' && copy !== 'always' && copy !== 'never') throw badOption('copy', copy, "'auto', 'always' or 'never'");
  return {
    ...common,
    format,
    level: integerIn('level', options.level, -1, 9, -1) as Level,
    // zlib raises 8 to 9 for zlib streams and refuses it for raw and gzip; node:zlib raises it for all.
    windowBits: Math.max(9, integerIn('windowBits', options.windowBits, 8, 15, 15)),
    memLevel: integerIn('memLevel', options.memLevel, 1, 9, 8),
    strategy: integerIn('strategy', options.strategy, 0, 4, 0) as Strategy,
    copy,
  };
}

export function resolveInflateOptions(
  format: InflateFormat,
  options: InflateOptions = {},
  chunkDefault = constants.Z_DEFAULT_CHUNK,
  outputLimitDefault = Infinity,
): ResolvedInflateOptions {
  const common = resolveCommon(options, chunkDefault);
  const windowBits = integerIn('windowBits', options.windowBits, 0, 15, format === 'raw' ? 15 : 0);
  if (windowBits !== 0 && windowBits < 8) throw badOption('windowBits', windowBits, '0 or an integer from 8 to 15');
  if (format === 'raw' && windowBits === 0) throw badOption('windowBits', 0, 'an integer from 8 to 15 for raw inflate');
  const maxOutputLength = options.maxOutputLength ?? outputLimitDefault;
  if (typeof maxOutputLength !== 'number' || Number.isNaN(maxOutputLength) || maxOutputLength < 1) {
    throw badOption('maxOutputLength', maxOutputLength, 'a number of bytes >= 1');
  }
  return { ...common, format, windowBits, maxOutputLength };
}
