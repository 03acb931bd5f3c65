/**
 * The in-process side of the HTTP benchmark: one thread running deflateSync
 * over the same body, as fast as it can, until told to stop.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { deflateSync } from '../../src/index.js';

const { data, level, start, stop } = workerData as {
  data: Uint8Array;
  level: number;
  start: SharedArrayBuffer;
  stop: SharedArrayBuffer;
};
const startFlag = new Int32Array(start);
const stopFlag = new Int32Array(stop);

// Warm up (instantiates the module), then wait for the common start.
deflateSync(data, { level: level as 6 });
Atomics.add(startFlag, 1, 1);
Atomics.wait(startFlag, 0, 0);
let count = 0;
const began = performance.now();
while (Atomics.load(stopFlag, 0) === 0) {
  deflateSync(data, { level: level as 6 });
  count++;
}
parentPort!.postMessage({ count, seconds: (performance.now() - began) / 1000 });
