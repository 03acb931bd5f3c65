/**
 * The CLI's transform: a stream core driven on this thread, between the reads and the writes, as gzip works.
 * The library's Deflate and Inflate streams run on the thread pool, which a command that handles one file would
 * pay for at every start: a worker thread that loads the library and instantiates its modules again.
 */
import { Transform, type TransformCallback } from 'node:stream';
import { constants, type DeflateCore, type InflateCore } from '../../src/index.js';

const EMPTY = new Uint8Array(0);

/** A Transform over `core`, which it owns: the core is closed when the transform finishes or is destroyed. */
export function coreTransform(core: DeflateCore | InflateCore): Transform {
  const push = (chunk: Uint8Array, last: boolean) =>
    core.kind === 'deflate'
      ? core.push(chunk, last ? constants.Z_FINISH : constants.Z_NO_FLUSH)
      : core.push(chunk, last);
  // Each step is synchronous; its error (bad data, an output limit) is the transform's.
  const step = (callback: TransformCallback, work: () => void) => {
    try {
      work();
      callback();
    } catch (error) {
      callback(error as Error);
    }
  };
  const transform = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      step(callback, () => push(chunk, false));
    },
    flush(callback) {
      step(callback, () => {
        push(EMPTY, true);
        core.close();
      });
    },
    destroy(error, callback) {
      core.close();
      callback(error);
    },
  });
  core.ondata = (chunk) => transform.push(chunk);
  return transform;
}
