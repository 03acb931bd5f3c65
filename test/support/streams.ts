/**
 * Drive a stream core over a list of chunks and collect its output.
 */
import {
  constants,
  createDeflateCore,
  createInflateCore,
  type DeflateOptions,
  type FlushMode,
  type InflateOptions,
} from '../../src/index.js';
import type { Format, InflateFormat } from '../../src/engines/engine.js';

/** Deflate each chunk with `flush` (Z_NO_FLUSH by default), then finish. */
export function deflateChunks(
  chunks: Uint8Array[],
  options: DeflateOptions = {},
  format: Format = 'zlib',
  flush: FlushMode = constants.Z_NO_FLUSH,
): Buffer {
  const core = createDeflateCore(format, options);
  const out: Buffer[] = [];
  core.ondata = (chunk) => out.push(chunk);
  try {
    for (const chunk of chunks) core.push(chunk, flush);
    core.push(new Uint8Array(0), constants.Z_FINISH);
  } finally {
    core.close();
  }
  return Buffer.concat(out);
}

/** Inflate the chunks in turn; the stream must end with the last one. */
export function inflateChunks(
  chunks: Uint8Array[],
  format: InflateFormat = 'zlib',
  options: InflateOptions = {},
): Buffer {
  const core = createInflateCore(format, options);
  const out: Buffer[] = [];
  core.ondata = (chunk) => out.push(chunk);
  try {
    for (const chunk of chunks) core.push(chunk, false);
    core.push(new Uint8Array(0), true);
  } finally {
    core.close();
  }
  return Buffer.concat(out);
}
