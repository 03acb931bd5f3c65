/**
 * Web TransformStreams over the stream cores, shaped like the WHATWG
 * CompressionStream and DecompressionStream ('deflate' is zlib-wrapped,
 * 'deflate-raw' is raw, 'gzip' is gzip), with zaccel's options added.
 */
import { constants } from '../constants.js';
import { createDeflateCore, createInflateCore } from '../core/factories.js';
import type { Format, InflateFormat } from '../engines/engine.js';
import { badOption } from '../errors.js';
import type { DeflateOptions, InflateOptions } from '../options.js';

export type WebFormat = 'deflate' | 'deflate-raw' | 'gzip';
/** What the streams accept as input: the DOM lib's `BufferSource`, declared here so that consumers need no DOM lib. */
export type BufferSource = ArrayBufferView | ArrayBuffer;
export type WebDecompressionFormat = WebFormat | 'auto';

const formats: Record<WebDecompressionFormat, InflateFormat> = {
  deflate: 'zlib',
  'deflate-raw': 'raw',
  gzip: 'gzip',
  auto: 'auto',
};

function formatOf(name: unknown, allowAuto: boolean): InflateFormat {
  const format = typeof name === 'string' ? formats[name as WebDecompressionFormat] : undefined;
  if (format === undefined || (format === 'auto' && !allowAuto)) {
    throw badOption(
      'format',
      name,
      allowAuto ? "'deflate', 'deflate-raw', 'gzip' or 'auto'" : "'deflate', 'deflate-raw' or 'gzip'",
    );
  }
  return format;
}

const asBytes = (chunk: BufferSource): Uint8Array =>
  chunk instanceof Uint8Array
    ? chunk
    : ArrayBuffer.isView(chunk)
      ? new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength)
      : new Uint8Array(chunk);

export class CompressionStream extends TransformStream<BufferSource, Uint8Array> {
  constructor(format: WebFormat, options?: DeflateOptions) {
    const core = createDeflateCore(formatOf(format, false) as Format, options);
    super({
      start(controller) {
        core.ondata = (chunk) => controller.enqueue(chunk);
      },
      transform(chunk) {
        core.push(asBytes(chunk), core.options.flush);
      },
      flush() {
        try {
          core.push(new Uint8Array(0), constants.Z_FINISH);
        } finally {
          core.close();
        }
      },
    });
  }
}

export class DecompressionStream extends TransformStream<BufferSource, Uint8Array> {
  constructor(format: WebDecompressionFormat, options?: InflateOptions) {
    const core = createInflateCore(formatOf(format, true), options);
    super({
      start(controller) {
        core.ondata = (chunk) => controller.enqueue(chunk);
      },
      transform(chunk) {
        core.push(asBytes(chunk), false);
      },
      flush() {
        try {
          core.push(new Uint8Array(0), true);
        } finally {
          core.close();
        }
      },
    });
  }
}
