/**
 * One-shot compression, named and shaped like node:zlib: `deflateSync` and
 * friends, and callback forms that also return a promise when no callback
 * is given. The async forms work through the input in slices, yielding to
 * the event loop between slices.
 */
import { constants } from '../constants.js';
import type { DeflateCore } from '../core/deflate-core.js';
import { createDeflateCore, createInflateCore } from '../core/factories.js';
import type { InflateCore } from '../core/inflate-core.js';
import type { EngineName, Format, InflateFormat } from '../engines/engine.js';
import { bytesOf, DEFAULT_ONE_SHOT_OUTPUT_LIMIT, type DeflateOptions, type InflateOptions } from '../options.js';

/** Output window for one-shots: larger than a stream's default, because one-shots are about speed. */
const ONE_SHOT_CHUNK = 128 * 1024;
/** Input per event-loop turn for the async forms. */
const ASYNC_SLICE = 1024 * 1024;

export type InputData = string | ArrayBuffer | ArrayBufferView;

/** What one-shots return with `info: true`. */
export interface OneShotInfo {
  buffer: Buffer;
  engine: EngineName;
  /** Calls the engine handed to software (DFLTCC fallbacks). */
  fallbacks: number;
}

type Core = DeflateCore | InflateCore;
/** node:zlib's `CompressCallback`: code written against node:zlib type-checks unchanged. */
type Callback = (error: Error | null, result: Buffer) => void;

function inputBytes(data: InputData): Uint8Array {
  return typeof data === 'string' ? Buffer.from(data) : bytesOf('buffer', data)!;
}

function deflateCoreFor(format: Format, options?: DeflateOptions): DeflateCore {
  return createDeflateCore(format, options, ONE_SHOT_CHUNK);
}

function inflateCoreFor(format: InflateFormat, options?: InflateOptions): InflateCore {
  return createInflateCore(format, options, ONE_SHOT_CHUNK, DEFAULT_ONE_SHOT_OUTPUT_LIMIT);
}

/** Push one slice: the last one finishes the stream. */
function pushSlice(core: Core, slice: Uint8Array, last: boolean): void {
  if ('params' in core) core.push(slice, last ? core.options.finishFlush : constants.Z_NO_FLUSH);
  else core.push(slice, last);
}

function collect(core: Core): Buffer[] {
  const chunks: Buffer[] = [];
  core.ondata = (chunk) => chunks.push(chunk);
  return chunks;
}

function result(core: Core, chunks: Buffer[], info: boolean | undefined): Buffer {
  const buffer = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks);
  if (!info) return buffer;
  return { buffer, engine: core.engine.name, fallbacks: core.codec.fallbacks } as unknown as Buffer;
}

/** Inputs up to this size are deflated in one call, as native zlib's one-shot callers do. */
const WHOLE_INPUT_LIMIT = 64 * 1024 * 1024;

function runSync(core: Core, data: InputData, info: boolean | undefined): Buffer {
  const chunks = collect(core);
  try {
    const input = inputBytes(data);
    // One deflate(Z_FINISH) over the whole input, as compress2() does (on dfltcc: one fixed-Huffman block).
    if ('params' in core && core.wholeOneShot && input.length <= WHOLE_INPUT_LIMIT && core.options.finishFlush === constants.Z_FINISH) {
      chunks.push(core.compressWhole(input));
    } else {
      pushSlice(core, input, true);
    }
    return result(core, chunks, info);
  } finally {
    core.close();
  }
}

function runAsync(makeCore: () => Core, data: InputData, info: boolean | undefined, callback?: Callback): Promise<Buffer> {
  const promise = new Promise<Buffer>((resolve, reject) => {
    let core: Core;
    let input: Uint8Array;
    try {
      core = makeCore();
      input = inputBytes(data);
    } catch (error) {
      reject(error);
      return;
    }
    const chunks = collect(core);
    let offset = 0;
    const step = () => {
      try {
        // The dfltcc engine's one-shot is one deflate(Z_FINISH) in the async forms too: slices would change its blocks.
        if ('params' in core && core.codec.wholeWrites === true && core.wholeOneShot && input.length <= WHOLE_INPUT_LIMIT && core.options.finishFlush === constants.Z_FINISH) {
          chunks.push(core.compressWhole(input));
          resolve(result(core, chunks, info));
          core.close();
          return;
        }
        const end = Math.min(input.length, offset + ASYNC_SLICE);
        pushSlice(core, input.subarray(offset, end), end === input.length);
        offset = end;
        if (offset < input.length) {
          setImmediate(step);
          return;
        }
        resolve(result(core, chunks, info));
        core.close();
      } catch (error) {
        core.close();
        reject(error);
      }
    };
    setImmediate(step);
  });
  if (callback === undefined) return promise;
  promise.then(
    (buffer) => callback(null, buffer),
    // Like node:zlib, a failure passes the error alone; its declared type promises a result only on success.
    (error: Error) => (callback as (error: Error) => void)(error),
  );
  return promise;
}

function splitArguments<O>(options?: O | Callback, callback?: Callback): [O | undefined, Callback | undefined] {
  return typeof options === 'function' ? [undefined, options as Callback] : [options, callback];
}

type DeflateAsync = {
  (data: InputData, callback: Callback): Promise<Buffer>;
  (data: InputData, options?: DeflateOptions, callback?: Callback): Promise<Buffer>;
};
type InflateAsync = {
  (data: InputData, callback: Callback): Promise<Buffer>;
  (data: InputData, options?: InflateOptions, callback?: Callback): Promise<Buffer>;
};

function deflateSyncOf(format: Format) {
  return (data: InputData, options?: DeflateOptions): Buffer => runSync(deflateCoreFor(format, options), data, options?.info);
}

function inflateSyncOf(format: InflateFormat) {
  return (data: InputData, options?: InflateOptions): Buffer => runSync(inflateCoreFor(format, options), data, options?.info);
}

function deflateAsyncOf(format: Format): DeflateAsync {
  return (data: InputData, optionsOrCallback?: DeflateOptions | Callback, maybeCallback?: Callback) => {
    const [options, callback] = splitArguments<DeflateOptions>(optionsOrCallback, maybeCallback);
    return runAsync(() => deflateCoreFor(format, options), data, options?.info, callback);
  };
}

function inflateAsyncOf(format: InflateFormat): InflateAsync {
  return (data: InputData, optionsOrCallback?: InflateOptions | Callback, maybeCallback?: Callback) => {
    const [options, callback] = splitArguments<InflateOptions>(optionsOrCallback, maybeCallback);
    return runAsync(() => inflateCoreFor(format, options), data, options?.info, callback);
  };
}

export const deflateSync = deflateSyncOf('zlib');
export const deflateRawSync = deflateSyncOf('raw');
export const gzipSync = deflateSyncOf('gzip');
export const inflateSync = inflateSyncOf('zlib');
export const inflateRawSync = inflateSyncOf('raw');
export const gunzipSync = inflateSyncOf('gzip');
/** Inflate a zlib or gzip stream, detected from its header. */
export const unzipSync = inflateSyncOf('auto');

export const deflate = deflateAsyncOf('zlib');
export const deflateRaw = deflateAsyncOf('raw');
export const gzip = deflateAsyncOf('gzip');
export const inflate = inflateAsyncOf('zlib');
export const inflateRaw = inflateAsyncOf('raw');
export const gunzip = inflateAsyncOf('gzip');
export const unzip = inflateAsyncOf('auto');
