/**
 * One-shot compression, named and shaped like node:zlib: `deflateSync` and
 * friends on the calling thread, and callback forms (which also return a
 * promise) that run on the thread pool, as node:zlib's run on libuv's.
 */
import { DeflateCore } from '../core/deflate-core.js';
import { InflateCore } from '../core/inflate-core.js';
import { ONE_SHOT_CHUNK, runOneShot } from '../core/one-shot-runner.js';
import type { Format, InflateFormat } from '../engines/engine.js';
import { invalidArgType, outputTooLarge } from '../errors.js';
import { defaultMachine } from '../machine/default-machine.js';
import {
  DEFAULT_ONE_SHOT_OUTPUT_LIMIT,
  resolveDeflateOptions,
  resolveInflateOptions,
  viewOf,
  type DeflateOptions,
  type InflateOptions,
} from '../options.js';
import { threadPoolFor } from '../threads/pool.js';
import type { CoreSpec } from '../threads/protocol.js';
import { deflateClasses, inflateClasses, type ZlibBase } from './node-streams.js';

export type InputData = string | ArrayBuffer | ArrayBufferView;

/** What one-shots return with `info: true`, as node:zlib: the output and the stream object that made it. */
export interface OneShotInfo {
  buffer: Buffer;
  /** A zaccel stream of the one-shot's class (Deflate, Gunzip, ...): `engine.engineName`, `engine.fallbacks`. */
  engine: ZlibBase;
}

export type Callback<R = Buffer> = (error: Error | null, result: R) => void;

type WithInfo<O> = O & { info: true };

interface Prepared {
  spec: CoreSpec;
  options: DeflateOptions | InflateOptions | undefined;
  machineOption: DeflateOptions['machine'];
}

function deflateSpec(format: Format, options: DeflateOptions | undefined): Prepared {
  return {
    spec: { kind: 'deflate', options: resolveDeflateOptions(format, options, ONE_SHOT_CHUNK) },
    options,
    machineOption: options?.machine,
  };
}

function inflateSpec(format: InflateFormat, options: InflateOptions | undefined): Prepared {
  const resolved = resolveInflateOptions(format, options, ONE_SHOT_CHUNK, DEFAULT_ONE_SHOT_OUTPUT_LIMIT);
  return { spec: { kind: 'inflate', options: resolved }, options, machineOption: options?.machine };
}

/** node:zlib's sync input rule: a string, a Buffer, TypedArray or DataView, or an ArrayBuffer. */
function syncInput(data: unknown): Uint8Array {
  if (typeof data === 'string') return Buffer.from(data);
  const bytes = viewOf(data);
  if (bytes === undefined)
    throw invalidArgType(
      'buffer',
      'of type string or an instance of Buffer, TypedArray, DataView, or ArrayBuffer',
      data,
    );
  return bytes;
}

/** node:zlib's async input rule (it ends a stream with the input): nothing is empty input, and a non-binary is a TypeError. */
function asyncInput(data: unknown): Uint8Array {
  if (data === undefined || data === null) return new Uint8Array(0);
  if (typeof data === 'string') return Buffer.from(data);
  const bytes = viewOf(data);
  if (bytes === undefined)
    throw invalidArgType('chunk', 'of type string or an instance of Buffer, TypedArray, or DataView', data);
  return bytes;
}

/** The stream object that `info: true` hands back as `engine`. */
function engineFor(prepared: Prepared, fallbacks: number): ZlibBase {
  const { spec, options } = prepared;
  const engine =
    spec.kind === 'deflate'
      ? new deflateClasses[spec.options.format](options)
      : new inflateClasses[spec.options.format](options as InflateOptions);
  engine.fallbacks = fallbacks;
  engine.close();
  return engine;
}

function runSync(prepared: Prepared, data: unknown): Buffer | OneShotInfo {
  const input = syncInput(data);
  const machine = prepared.machineOption ?? defaultMachine();
  const { spec } = prepared;
  const core =
    spec.kind === 'deflate' ? new DeflateCore(spec.options, machine) : new InflateCore(spec.options, machine);
  const buffer = runOneShot(core, input);
  if (spec.kind === 'deflate' && buffer.length > maxOutput(prepared)) throw outputTooLarge(maxOutput(prepared));
  return prepared.options?.info ? { buffer, engine: engineFor(prepared, core.codec.fallbacks) } : buffer;
}

function maxOutput(prepared: Prepared): number {
  const given = (prepared.options as InflateOptions | undefined)?.maxOutputLength;
  return prepared.spec.kind === 'inflate'
    ? prepared.spec.options.maxOutputLength
    : typeof given === 'number' && given >= 1
      ? given
      : Infinity;
}

function runAsync(
  prepared: Prepared,
  data: unknown,
  callback: Callback<Buffer | OneShotInfo> | undefined,
): Promise<Buffer | OneShotInfo> {
  const input = asyncInput(data);
  const pool = threadPoolFor(prepared.machineOption ?? defaultMachine());
  const promise = pool.oneShot(prepared.spec, input).then((reply) => {
    if (reply.t !== 'output') throw new Error('unexpected reply');
    const buffer = Buffer.from(reply.data.buffer, reply.data.byteOffset, reply.data.byteLength);
    if (prepared.spec.kind === 'deflate' && buffer.length > maxOutput(prepared))
      throw outputTooLarge(maxOutput(prepared));
    return prepared.options?.info ? { buffer, engine: engineFor(prepared, reply.fallbacks) } : buffer;
  });
  if (callback === undefined) return promise;
  // The callback runs outside the promise chain: what it throws is the program's, as with node:zlib.
  promise.then(
    (result) => process.nextTick(callback, null, result),
    (error: Error) => process.nextTick(callback, error, undefined as unknown as Buffer),
  );
  promise.catch(() => {});
  return promise;
}

/** `(data, callback)` or `(data, options, callback)`; a callback that is not a function is node's TypeError. */
type AnyCallback = Callback<Buffer | OneShotInfo>;

function splitArguments<O>(
  optionsOrCallback: unknown,
  maybeCallback: unknown,
): [O | undefined, AnyCallback | undefined] {
  if (typeof optionsOrCallback === 'function') return [undefined, optionsOrCallback as AnyCallback];
  if (maybeCallback !== undefined && typeof maybeCallback !== 'function')
    throw invalidArgType('callback', 'of type function', maybeCallback);
  return [optionsOrCallback as O | undefined, maybeCallback as AnyCallback | undefined];
}

export interface DeflateSync {
  (data: InputData, options: WithInfo<DeflateOptions>): OneShotInfo;
  (data: InputData, options?: DeflateOptions): Buffer;
}
export interface InflateSync {
  (data: InputData, options: WithInfo<InflateOptions>): OneShotInfo;
  (data: InputData, options?: InflateOptions): Buffer;
}
export interface DeflateAsync {
  (data: InputData, options: WithInfo<DeflateOptions>, callback?: Callback<OneShotInfo>): Promise<OneShotInfo>;
  (data: InputData, callback: Callback): Promise<Buffer>;
  (data: InputData, options?: DeflateOptions, callback?: Callback): Promise<Buffer>;
}
export interface InflateAsync {
  (data: InputData, options: WithInfo<InflateOptions>, callback?: Callback<OneShotInfo>): Promise<OneShotInfo>;
  (data: InputData, callback: Callback): Promise<Buffer>;
  (data: InputData, options?: InflateOptions, callback?: Callback): Promise<Buffer>;
}

const deflateSyncOf = (format: Format) =>
  ((data: InputData, options?: DeflateOptions) => runSync(deflateSpec(format, options), data)) as DeflateSync;

const inflateSyncOf = (format: InflateFormat) =>
  ((data: InputData, options?: InflateOptions) => runSync(inflateSpec(format, options), data)) as InflateSync;

const deflateAsyncOf = (format: Format) =>
  ((data: InputData, optionsOrCallback?: unknown, maybeCallback?: unknown) => {
    const [options, callback] = splitArguments<DeflateOptions>(optionsOrCallback, maybeCallback);
    return runAsync(deflateSpec(format, options), data, callback);
  }) as DeflateAsync;

const inflateAsyncOf = (format: InflateFormat) =>
  ((data: InputData, optionsOrCallback?: unknown, maybeCallback?: unknown) => {
    const [options, callback] = splitArguments<InflateOptions>(optionsOrCallback, maybeCallback);
    return runAsync(inflateSpec(format, options), data, callback);
  }) as InflateAsync;

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
