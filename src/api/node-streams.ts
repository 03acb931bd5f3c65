/**
 * node:zlib's stream classes over zaccel's stream cores: Deflate, Inflate,
 * Gzip, Gunzip, DeflateRaw, InflateRaw and Unzip, callable with or without
 * `new`, with node:zlib's flush(), params(), reset(), close(), bytesWritten
 * and option checks.
 *
 * The transform work runs on the thread pool (src/threads/), in the worker
 * that holds the stream's core, so a stream behaves as node:zlib's does:
 * 'data' never fires inside write(), callbacks come in node's order, output
 * stops at destroy(), and a write pauses when the readable side is full.
 */
import { constants as bufferConstants } from 'node:buffer';
import { Transform, finished, type TransformCallback, type TransformOptions } from 'node:stream';
import { constants, type FlushMode, type Level, type Strategy } from '../constants.js';
import { DeflateCore } from '../core/deflate-core.js';
import { InflateCore } from '../core/inflate-core.js';
import type { EngineName, Format, InflateFormat } from '../engines/engine.js';
import { ZaccelError } from '../errors.js';
import { defaultMachine } from '../machine/default-machine.js';
import type { Machine } from '../machine/machine.js';
import {
  numberOption,
  resolveDeflateOptions,
  resolveInflateOptions,
  type DeflateOptions,
  type InflateOptions,
} from '../options.js';
import { threadPoolFor, type PoolSession, type Reply } from '../threads/pool.js';
import type { CoreSpec } from '../threads/protocol.js';

/** Zero-length chunks that carry a flush request (or a parameter change) through the write queue, as node:zlib's do. */
const kFlushFlag = Symbol('zaccel.flushFlag');
const kParams = Symbol('zaccel.params');
type Marker = Buffer & { [kFlushFlag]?: FlushMode; [kParams]?: { level: Level; strategy: Strategy } };

const flushBuffers: Marker[] = ([0, 1, 2, 3, 4, 5] as FlushMode[]).map((kind) =>
  Object.assign(Buffer.alloc(0), { [kFlushFlag]: kind }),
);

/** Flush modes from weakest to strongest: a finishing write takes the stronger of its own and finishFlush. */
const flushiness: FlushMode[] = [
  constants.Z_NO_FLUSH,
  constants.Z_BLOCK,
  constants.Z_PARTIAL_FLUSH,
  constants.Z_SYNC_FLUSH,
  constants.Z_FULL_FLUSH,
  constants.Z_FINISH,
] as FlushMode[];
const maxFlush = (a: FlushMode, b: FlushMode): FlushMode => (flushiness.indexOf(a) > flushiness.indexOf(b) ? a : b);

let bytesReadWarned = false;

/**
 * The Transform options node:zlib passes on: all of the caller's (highWaterMark,
 * signal, ...) with autoDestroy on, and never an encoding or object mode.
 */
function transformOptions(options: unknown): TransformOptions {
  const given = typeof options === 'object' && options !== null ? (options as TransformOptions) : {};
  const result: TransformOptions = { autoDestroy: true, ...given };
  if (given.encoding || given.objectMode || given.writableObjectMode) {
    result.encoding = undefined;
    result.objectMode = false;
    result.writableObjectMode = false;
  }
  return result;
}

/** What every zaccel zlib stream shares. */
export abstract class ZlibBase extends Transform {
  /** Input bytes the stream has consumed: node:zlib's bytesWritten. */
  bytesWritten: number;
  /** Software fallbacks of the engine so far (dfltcc), as last reported by the worker. */
  fallbacks: number;
  /** node:zlib's handle: an object while the stream is open, null once it is destroyed. */
  _handle: object | null;
  /** node:zlib's: one-shots made through this stream return `{ buffer, engine }`. */
  readonly _info: boolean;
  readonly _maxOutputLength: number;
  protected readonly spec: CoreSpec;
  private readonly machine: Machine;
  private readonly defaultFlush: FlushMode;
  private readonly finishFlush: FlushMode;
  private session: PoolSession | undefined;
  private opened: boolean;
  /** A core on this thread, for node:zlib's synchronous _processChunk(). */
  private syncCore: DeflateCore | InflateCore | undefined;

  protected constructor(spec: CoreSpec, options: unknown) {
    super(transformOptions(options));
    this.spec = spec;
    this.machine = (options as { machine?: Machine } | undefined)?.machine ?? defaultMachine();
    this.defaultFlush = spec.options.flush;
    this.finishFlush = spec.options.finishFlush;
    this.bytesWritten = 0;
    this.fallbacks = 0;
    this.opened = false;
    this._handle = {};
    this._info = Boolean((options as { info?: unknown } | null | undefined)?.info);
    this._maxOutputLength = spec.kind === 'inflate' ? spec.options.maxOutputLength : bufferMaxLength();
  }

  /** The engine this stream runs on: 'zlib' or 'dfltcc'. */
  get engineName(): EngineName {
    return this.spec.options.engine;
  }

  /** The resolved options, as the worker's core runs them. */
  get coreSpec(): CoreSpec {
    return this.spec;
  }

  /** node:zlib's deprecated name for bytesWritten (DEP0108). */
  get bytesRead(): number {
    warnBytesRead();
    return this.bytesWritten;
  }

  set bytesRead(value: number) {
    warnBytesRead();
    this.bytesWritten = value;
  }

  /** True once the stream is closed (node:zlib: its handle is gone). */
  get _closed(): boolean {
    return this._handle === null;
  }

  /**
   * Ask for the output so far: the request travels behind the data already
   * written. `kind` defaults to Z_FULL_FLUSH (node:zlib's default).
   */
  flush(kind?: FlushMode | (() => void), callback?: () => void): void {
    if (typeof kind === 'function' || (kind === undefined && !callback)) {
      callback = kind as (() => void) | undefined;
      kind = constants.Z_FULL_FLUSH;
    }
    if (this.writableFinished) {
      if (callback) process.nextTick(callback);
    } else if (this.writableEnded) {
      if (callback) this.once('end', callback);
    } else {
      this.write(flushBuffers[kind ?? constants.Z_FULL_FLUSH] ?? flushBuffers[constants.Z_FULL_FLUSH], callback);
    }
  }

  /** Close the stream (node:zlib: destroy, with the callback told when it has finished). */
  close(callback?: (error?: Error | null) => void): void {
    if (callback) finished(this, callback);
    this.destroy();
  }

  /** Start over with the same options: runs after the writes made before it. */
  reset(): void {
    const session = this.session;
    if (session === undefined) return; // nothing written yet: the core is fresh
    session
      .serial(async () => {
        await this.open(session);
        await session.request({ t: 'reset', sid: session.sid });
      })
      .catch((error: Error) => this.destroy(error));
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this._handle = null;
    this.session?.close();
    this.syncCore?.close();
    callback(error);
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    const marker = chunk as Marker;
    const params = marker[kParams];
    if (params !== undefined) {
      this.changeParams(params.level, params.strategy, callback);
      return;
    }
    let flush = marker[kFlushFlag] ?? this.defaultFlush;
    // The last chunk also carries finishFlush.
    if (this.writableEnded && this.writableLength === chunk.byteLength) flush = maxFlush(flush, this.finishFlush);
    this.process(chunk, flush, callback);
  }

  /**
   * As node:zlib's: the writable side finishes at once, and the Transform's
   * prefinish hook then runs _flush, so 'finish' comes before the last output
   * and 'end' (Z_FINISH's work), in node:zlib's order.
   */
  override _final(callback: (error?: Error | null) => void): void {
    callback();
  }

  override _flush(callback: TransformCallback): void {
    this._transform(Buffer.alloc(0), 'buffer' as BufferEncoding, callback);
  }

  /**
   * node:zlib's internal entry, still used by code that drives a stream by hand: with a callback it is an
   * asynchronous write of `chunk` with `flushFlag`; without one it runs on this thread and returns the output.
   * A stream is driven one way: once it has run on the thread pool, it cannot go on synchronously.
   */
  _processChunk(chunk: Buffer, flushFlag: FlushMode, callback?: TransformCallback): Buffer | undefined {
    if (typeof callback === 'function') {
      this.process(chunk, flushFlag, callback);
      return undefined;
    }
    if (this.session !== undefined) {
      throw new ZaccelError(
        'ZACCEL_STREAM_STATE',
        'this stream runs on the thread pool: it cannot also be driven synchronously',
      );
    }
    this.syncCore ??=
      this.spec.kind === 'deflate'
        ? new DeflateCore(this.spec.options, this.machine)
        : new InflateCore(this.spec.options, this.machine);
    const core = this.syncCore;
    const chunks: Buffer[] = [];
    core.ondata = (piece) => chunks.push(piece);
    if (core instanceof DeflateCore) core.push(chunk, flushFlag);
    else core.push(chunk, flushFlag === constants.Z_FINISH);
    this.bytesWritten += chunk.length;
    this.fallbacks = core.codec.fallbacks;
    return Buffer.concat(chunks);
  }

  /** Change level and strategy after a Z_SYNC_FLUSH of what was written (node:zlib's params). */
  params(level: number, strategy: number, callback?: (error?: Error | null) => void): void {
    numberOption('level', level, constants.Z_MIN_LEVEL, constants.Z_MAX_LEVEL, NaN);
    numberOption('strategy', strategy, constants.Z_DEFAULT_STRATEGY, constants.Z_FIXED, NaN);
    const current = this.currentParams;
    if (current.level === level && current.strategy === strategy) {
      if (callback) process.nextTick(callback);
      return;
    }
    const marker: Marker = Object.assign(Buffer.alloc(0), {
      [kParams]: { level: level as Level, strategy: strategy as Strategy },
    });
    this.write(marker, callback);
  }

  /** The session with this stream's core, opened in the worker by the first request. */
  private sessionOf(): PoolSession {
    if (this.syncCore !== undefined) {
      throw new ZaccelError(
        'ZACCEL_STREAM_STATE',
        'this stream was driven synchronously: it cannot go on on the thread pool',
      );
    }
    this.session ??= threadPoolFor(this.machine).session();
    return this.session;
  }

  private async open(session: PoolSession): Promise<void> {
    if (this.opened) return;
    const budget = Math.max(this.readableHighWaterMark, this.spec.options.chunkSize);
    await session.request({ t: 'open', sid: session.sid, spec: this.spec, budget });
    this.opened = true;
  }

  /** One chunk through the worker: its output pushed piece by piece, pausing while the readable side is full. */
  private process(chunk: Buffer, flush: FlushMode, callback: TransformCallback): void {
    const session = this.sessionOf();
    session
      .serial(async () => {
        await this.open(session);
        let reply = await session.request({ t: 'write', sid: session.sid, input: chunk, flush });
        for (;;) {
          if (this.destroyed) return;
          const room = this.deliver(reply);
          if (reply.t !== 'output' || !reply.more) return;
          if (!room) await this.readWanted();
          if (this.destroyed) return;
          reply = await session.request({ t: 'more', sid: session.sid });
        }
      })
      .then(
        () => callback(),
        (error: Error) => {
          if (!this.destroyed) this.destroy(error);
        },
      );
  }

  private changeParams(level: Level, strategy: Strategy, callback: TransformCallback): void {
    const session = this.sessionOf();
    session
      .serial(async () => {
        await this.open(session);
        // What was written so far goes out with the old parameters, then deflateParams (a no-op for inflate).
        this.deliver(
          await session.request({
            t: 'write',
            sid: session.sid,
            input: new Uint8Array(0),
            flush: constants.Z_SYNC_FLUSH,
          }),
        );
        if (this.destroyed) return;
        this.deliver(await session.request({ t: 'params', sid: session.sid, level, strategy }));
        this.setParams(level, strategy);
      })
      .then(
        () => callback(),
        (error: Error) => {
          if (!this.destroyed) this.destroy(error);
        },
      );
  }

  /** Push a reply's output as the core cut it; false once the readable side is full. */
  private deliver(reply: Reply): boolean {
    if (reply.t !== 'output' || this.destroyed) return true;
    this.bytesWritten += reply.consumed;
    this.fallbacks = reply.fallbacks;
    const data = Buffer.from(reply.data.buffer, reply.data.byteOffset, reply.data.byteLength);
    let room = true;
    let offset = 0;
    for (const length of reply.lengths) {
      room = this.push(data.subarray(offset, offset + length));
      offset += length;
    }
    return room;
  }

  /** Resolves when the consumer asks for more (node:zlib waits the same way, by wrapping _read once). */
  private readWanted(): Promise<void> {
    return new Promise((resolve) => {
      const original = this._read;
      this._read = (size: number) => {
        this._read = original;
        resolve();
        original.call(this, size);
      };
    });
  }

  protected abstract get currentParams(): { level: number; strategy: number };
  protected abstract setParams(level: Level, strategy: Strategy): void;
}

function warnBytesRead(): void {
  if (bytesReadWarned) return;
  bytesReadWarned = true;
  process.emitWarning(
    'zlib.bytesRead is deprecated and will change its meaning in the future. Use zlib.bytesWritten instead.',
    'DeprecationWarning',
    'DEP0108',
  );
}

function bufferMaxLength(): number {
  return bufferConstants.MAX_LENGTH;
}

/** The deflate streams: Deflate, DeflateRaw and Gzip, or any format named. */
export class DeflateStream extends ZlibBase {
  /** node:zlib's current level and strategy (what params() compares against). */
  _level: number;
  _strategy: number;

  constructor(format: Format, options?: DeflateOptions) {
    const resolved = resolveDeflateOptions(format, options);
    super({ kind: 'deflate', options: resolved }, options);
    this._level = resolved.level;
    this._strategy = resolved.strategy;
  }

  protected get currentParams() {
    return { level: this._level, strategy: this._strategy };
  }

  protected setParams(level: Level, strategy: Strategy): void {
    this._level = level;
    this._strategy = strategy;
  }
}

/** The inflate streams: Inflate, InflateRaw, Gunzip and Unzip, or any format named. */
export class InflateStream extends ZlibBase {
  _level: number;
  _strategy: number;

  constructor(format: InflateFormat, options?: InflateOptions) {
    super({ kind: 'inflate', options: resolveInflateOptions(format, options) }, options);
    this._level = constants.Z_DEFAULT_COMPRESSION;
    this._strategy = constants.Z_DEFAULT_STRATEGY;
  }

  protected get currentParams() {
    return { level: this._level, strategy: this._strategy };
  }

  protected setParams(level: Level, strategy: Strategy): void {
    this._level = level;
    this._strategy = strategy;
  }
}

class DeflateImpl extends DeflateStream {
  constructor(options?: DeflateOptions) {
    super('zlib', options);
  }
}
class DeflateRawImpl extends DeflateStream {
  constructor(options?: DeflateOptions) {
    super('raw', options);
  }
}
class GzipImpl extends DeflateStream {
  constructor(options?: DeflateOptions) {
    super('gzip', options);
  }
}
class InflateImpl extends InflateStream {
  constructor(options?: InflateOptions) {
    super('zlib', options);
  }
}
class InflateRawImpl extends InflateStream {
  constructor(options?: InflateOptions) {
    super('raw', options);
  }
}
class GunzipImpl extends InflateStream {
  constructor(options?: InflateOptions) {
    super('gzip', options);
  }
}
class UnzipImpl extends InflateStream {
  constructor(options?: InflateOptions) {
    super('auto', options);
  }
}

/** A class that, as node:zlib's, can also be called without `new`. */
export interface ZlibClass<T, O> {
  new (options?: O): T;
  (options?: O): T;
  readonly prototype: T;
}

/**
 * node:zlib's classes are functions: `zlib.Gzip()` works without `new`. An ES
 * class cannot be called, so each is wrapped in a function that constructs it
 * (with the subclass's prototype when subclassed) and shares its prototype,
 * which keeps instanceof and `class X extends zlib.Gzip` working.
 */
function callable<T, O>(implementation: new (options?: O) => T, name: string): ZlibClass<T, O> {
  const wrapper = function (this: unknown, options?: O): T {
    const instance = Reflect.construct(implementation, [options], new.target ?? wrapper) as T;
    // Pre-class subclassing (`function Sub(o) { Gzip.call(this, o); }` with Sub.prototype inheriting Gzip's):
    // a class cannot initialise an existing object, so `this` takes over the new instance's own state.
    if (new.target === undefined && this instanceof wrapper) {
      for (const key of Reflect.ownKeys(instance as object)) {
        Object.defineProperty(this, key, Object.getOwnPropertyDescriptor(instance as object, key)!);
      }
      return this as T;
    }
    return instance;
  } as unknown as ZlibClass<T, O>;
  Object.defineProperty(wrapper, 'name', { value: name });
  Object.defineProperty(wrapper, 'prototype', { value: implementation.prototype, writable: false });
  Object.defineProperty(implementation.prototype, 'constructor', {
    value: wrapper,
    writable: true,
    configurable: true,
  });
  Object.setPrototypeOf(wrapper, Object.getPrototypeOf(implementation));
  return wrapper;
}

export type Deflate = DeflateImpl;
export type DeflateRaw = DeflateRawImpl;
export type Gzip = GzipImpl;
export type Inflate = InflateImpl;
export type InflateRaw = InflateRawImpl;
export type Gunzip = GunzipImpl;
export type Unzip = UnzipImpl;

export const Deflate = callable<Deflate, DeflateOptions>(DeflateImpl, 'Deflate');
export const DeflateRaw = callable<DeflateRaw, DeflateOptions>(DeflateRawImpl, 'DeflateRaw');
export const Gzip = callable<Gzip, DeflateOptions>(GzipImpl, 'Gzip');
export const Inflate = callable<Inflate, InflateOptions>(InflateImpl, 'Inflate');
export const InflateRaw = callable<InflateRaw, InflateOptions>(InflateRawImpl, 'InflateRaw');
export const Gunzip = callable<Gunzip, InflateOptions>(GunzipImpl, 'Gunzip');
export const Unzip = callable<Unzip, InflateOptions>(UnzipImpl, 'Unzip');

export const createDeflate = (options?: DeflateOptions): Deflate => new Deflate(options);
export const createDeflateRaw = (options?: DeflateOptions): DeflateRaw => new DeflateRaw(options);
export const createGzip = (options?: DeflateOptions): Gzip => new Gzip(options);
export const createInflate = (options?: InflateOptions): Inflate => new Inflate(options);
export const createInflateRaw = (options?: InflateOptions): InflateRaw => new InflateRaw(options);
export const createGunzip = (options?: InflateOptions): Gunzip => new Gunzip(options);
export const createUnzip = (options?: InflateOptions): Unzip => new Unzip(options);

/** The class of each format, for the one-shots (which build one when asked for `info`). */
export const deflateClasses: Record<Format, ZlibClass<DeflateStream, DeflateOptions>> = {
  zlib: Deflate,
  raw: DeflateRaw,
  gzip: Gzip,
};
export const inflateClasses: Record<InflateFormat, ZlibClass<InflateStream, InflateOptions>> = {
  zlib: Inflate,
  raw: InflateRaw,
  gzip: Gunzip,
  auto: Unzip,
};
