// One zaccel one-shot deflate, run off the test worker's thread: an 8 MiB input at level 9 is seconds of
// synchronous wasm on a quiet machine and tens of seconds on a busy one, too long to hold vitest's worker.
import { parentPort, workerData } from 'node:worker_threads';
import { deflateRawSync, deflateSync, gzipSync } from '../../dist/src/index.js';

const oneShot = { raw: deflateRawSync, zlib: deflateSync, gzip: gzipSync };
const { format, input, options } = workerData;
const output = oneShot[format](input, options);
parentPort.postMessage({ type: 'done', output });
