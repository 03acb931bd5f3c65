/**
 * Two worker threads instantiate zlib on one Machine and compress different
 * data at the same time; both results are right.
 */
import { Worker } from 'node:worker_threads';
import { expect, test } from 'vitest';
import { corpus } from '../../tools/corpus/corpus.js';
import { deflateSync, Machine } from '../../src/index.js';

test('two workers on one Machine compress different data concurrently and correctly', async () => {
  const machine = Machine.create({ maximumBytes: 512 << 20 });
  const inputs = [corpus('text', 3 << 20, 1), corpus('binary', 3 << 20, 2)];
  const start = new SharedArrayBuffer(4);
  const results = await Promise.all(
    inputs.map(
      (data) =>
        new Promise<{ output: Uint8Array; mismatches: number; stats: { carvedTop: number; bytesOwned: number } }>(
          (resolve, reject) => {
            const worker = new Worker(new URL('../support/compress-worker.mjs', import.meta.url), {
              workerData: { descriptor: machine.descriptor, data, rounds: 4, start },
            });
            worker.once('message', (message) => {
              resolve(message);
              void worker.terminate();
            });
            worker.once('error', reject);
          },
        ),
    ),
  );
  results.forEach((result, index) => {
    expect(result.mismatches).toBe(0);
    // The same bytes as this thread's zlib, which the byte-identity suite ties to native zlib.
    expect(Buffer.from(result.output).equals(deflateSync(inputs[index], { level: 6 }))).toBe(true);
  });
  // Each worker carved its own partitions from the one memory.
  expect(results.every((result) => result.stats.bytesOwned > 0)).toBe(true);
  expect(machine.stats().carvedTop).toBeGreaterThanOrEqual(results[0].stats.bytesOwned + results[1].stats.bytesOwned);
});
