/**
 * A whole one-shot through one stream core: the one definition of how a
 * one-shot feeds its core, used by the sync API on the calling thread and by
 * the thread pool's workers for the async API.
 */
import { constants } from '../constants.js';
import { DeflateCore } from './deflate-core.js';
import type { InflateCore } from './inflate-core.js';

/** Output window for one-shots: larger than a stream's default, because one-shots are about speed. */
export const ONE_SHOT_CHUNK = 128 * 1024;
/** Inputs up to this size are deflated in one call, as native zlib's one-shot callers do. */
const WHOLE_INPUT_LIMIT = 64 * 1024 * 1024;

/**
 * Run `input` through `core` as one call with the core's finishFlush, and
 * close the core. Inflate only insists on a complete stream when finishFlush
 * is Z_FINISH: with Z_SYNC_FLUSH a truncated input gives what it holds, as
 * node:zlib does.
 */
export function runOneShot(core: DeflateCore | InflateCore, input: Uint8Array): Buffer {
  const chunks: Buffer[] = [];
  core.ondata = (chunk) => chunks.push(chunk);
  try {
    const finishing = core.options.finishFlush === constants.Z_FINISH;
    if (core instanceof DeflateCore) {
      // One deflate(Z_FINISH) over the whole input, as compress2() does: on the dfltcc engine that is one
      // fixed-Huffman block, as on a z15 (unless its `dfltcc.chunked` option asks for staged pieces).
      if (core.wholeOneShot && input.length <= WHOLE_INPUT_LIMIT && finishing) return core.compressWhole(input);
      core.push(input, core.options.finishFlush);
    } else {
      // Straight into one output region, copied out once (see InflateCore.inflateWhole).
      return core.inflateWhole(input, finishing);
    }
    return chunks.length === 1 ? chunks[0] : Buffer.concat(chunks);
  } finally {
    core.close();
  }
}
