/**
 * node:zlib-shaped Transform streams over the stream cores: createDeflate,
 * createGzip and the rest, with node:zlib's flush(), params(), reset(),
 * close() and bytesWritten.
 */
import { Transform, type TransformCallback } from 'node:stream';
import { constants, type FlushMode, type Level, type Strategy } from '../constants.js';
import type { DeflateCore } from '../core/deflate-core.js';
import { createDeflateCore, createInflateCore } from '../core/factories.js';
import type { InflateCore } from '../core/inflate-core.js';
import type { Format, InflateFormat } from '../engines/engine.js';
import type { DeflateOptions, InflateOptions } from '../options.js';

/** Empty chunks that carry a flush request through the write queue, one per flush mode. */
const flushMarkers = new Map<Buffer, FlushMode>(
  ([1, 2, 3, 4, 5, 6] as FlushMode[]).map((mode) => [Buffer.alloc(0), mode]),
);
const markerFor = (mode: FlushMode): Buffer => [...flushMarkers].find(([, value]) => value === mode)![0];

abstract class ZaccelTransform<C extends DeflateCore | InflateCore> extends Transform {
  protected readonly core: C;

  protected constructor(core: C, highWaterMark: number) {
    super({ readableHighWaterMark: highWaterMark, writableHighWaterMark: highWaterMark });
    this.core = core;
    core.ondata = (chunk) => {
      this.push(chunk);
    };
  }

  /** Compressed (deflate) or uncompressed (inflate) bytes written so far: node:zlib's bytesWritten. */
  get bytesWritten(): number {
    return this.core.bytesIn;
  }

  /** The engine this stream runs on. */
  get engine(): string {
    return this.core.engine.name;
  }

  /** Ask for output so far: the flush request travels behind the data already written. */
  flush(kind?: FlushMode | (() => void), callback?: () => void): void {
    if (typeof kind === 'function') {
      callback = kind;
      kind = undefined;
    }
    const mode = kind ?? constants.Z_FULL_FLUSH;
    if (this.writableEnded) {
      if (callback) process.nextTick(callback);
      return;
    }
    this.write(markerFor(mode), () => callback?.());
  }

  close(callback?: () => void): void {
    if (callback) process.nextTick(callback);
    this.destroy();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.core.close();
    callback(error);
  }

  protected run(body: () => void, callback: TransformCallback): void {
    try {
      body();
      callback();
    } catch (error) {
      callback(error as Error);
    }
  }
}

export class DeflateStream extends ZaccelTransform<DeflateCore> {
  constructor(format: Format, options?: DeflateOptions) {
    const core = createDeflateCore(format, options);
    super(core, core.options.chunkSize);
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    const marker = flushMarkers.get(chunk);
    this.run(() => this.core.push(chunk, marker ?? this.core.options.flush), callback);
  }

  override _flush(callback: TransformCallback): void {
    this.run(() => this.core.push(Buffer.alloc(0), this.core.options.finishFlush), callback);
  }

  /** Change level and strategy: flushes what was written (Z_SYNC_FLUSH), then deflateParams. */
  params(level: Level, strategy: Strategy, callback?: (error?: Error | null) => void): void {
    this.flush(constants.Z_SYNC_FLUSH, () => {
      try {
        this.core.params(level, strategy);
        callback?.(null);
      } catch (error) {
        if (callback) callback(error as Error);
        else this.destroy(error as Error);
      }
    });
  }

  reset(): void {
    this.core.reset();
  }
}

export class InflateStream extends ZaccelTransform<InflateCore> {
  constructor(format: InflateFormat, options?: InflateOptions) {
    const core = createInflateCore(format, options);
    super(core, core.options.chunkSize);
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    // Flush markers mean nothing to inflate: all output is always delivered.
    this.run(() => this.core.push(chunk, false), callback);
  }

  override _flush(callback: TransformCallback): void {
    const finishing = this.core.options.finishFlush === constants.Z_FINISH;
    this.run(() => this.core.push(Buffer.alloc(0), finishing), callback);
  }

  reset(): void {
    this.core.reset();
  }
}

export const createDeflate = (options?: DeflateOptions) => new DeflateStream('zlib', options);
export const createDeflateRaw = (options?: DeflateOptions) => new DeflateStream('raw', options);
export const createGzip = (options?: DeflateOptions) => new DeflateStream('gzip', options);
export const createInflate = (options?: InflateOptions) => new InflateStream('zlib', options);
export const createInflateRaw = (options?: InflateOptions) => new InflateStream('raw', options);
export const createGunzip = (options?: InflateOptions) => new InflateStream('gzip', options);
export const createUnzip = (options?: InflateOptions) => new InflateStream('auto', options);
