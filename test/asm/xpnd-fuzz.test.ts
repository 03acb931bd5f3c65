/**
 * Fuzzing DFLTCC-XPND: 100,000+ mutated valid streams through the emulator in worker threads, with
 * guard bytes around every operand, the parameter block and the history (see xpnd-fuzz.worker.mjs).
 * A worker that does not finish in time is terminated and the test fails: an infinite loop in the
 * emulator cannot hang the suite.
 */
import { describe, expect, test } from 'vitest';
import { Worker } from 'node:worker_threads';
import { fileURLToPath } from 'node:url';
import zlib from 'node:zlib';
import { corpus, textLike } from '../../tools/corpus/corpus.js';
import { emulatorWasm, ensureBuilt } from './build.js';

// XPND_WASM selects another build; by default the project build, (re)built when stale.
const wasmPath = process.env.XPND_WASM || emulatorWasm;
if (!process.env.XPND_WASM) ensureBuilt();

const WORKERS = 4;
const PER_WORKER = 26_000;
/** A worker that reports no progress for this long hangs (it reports every 1000 streams, well under a second). */
const QUIET_LIMIT_MS = Number(process.env.XPND_FUZZ_QUIET_LIMIT_MS ?? 60_000);

function baseStreams(): Uint8Array[] {
  const out: Uint8Array[] = [];
  const { Z_FIXED, Z_HUFFMAN_ONLY, Z_RLE, Z_FILTERED } = zlib.constants;
  let seed = 1;
  for (const size of [0, 1, 20, 200, 1000, 3000]) {
    for (const name of ['text', 'binary', 'zeros', 'random', 'mixed'] as const) {
      const data = corpus(name, size, seed++);
      for (const [level, strategy] of [
        [0, 0],
        [1, 0],
        [6, 0],
        [9, Z_FILTERED],
        [6, Z_FIXED],
        [6, Z_HUFFMAN_ONLY],
        [6, Z_RLE],
      ]) {
        out.push(new Uint8Array(zlib.deflateRawSync(data, { level, strategy })));
      }
    }
  }
  // Multi-block streams: full-flushed pieces concatenated (non-final blocks + a final one).
  const text = textLike(4000, 7);
  const piece = (b: Uint8Array, final: boolean) =>
    zlib.deflateRawSync(b, { level: 5, finishFlush: final ? zlib.constants.Z_FINISH : zlib.constants.Z_FULL_FLUSH });
  out.push(
    new Uint8Array(
      Buffer.concat([
        piece(text.subarray(0, 1000), false),
        piece(text.subarray(0, 500), false),
        piece(text.subarray(1000, 2000), true),
      ]),
    ),
  );
  out.push(new Uint8Array(zlib.deflateRawSync(Buffer.concat([text, text]), { level: 9 })));
  return out;
}

function runWorker(streams: Uint8Array[], seed: number, iterations: number, cpuAmounts: number[]) {
  return new Promise<{ stats?: Record<string, unknown>; failure?: string }>((resolve, reject) => {
    const worker = new Worker(fileURLToPath(new URL('./xpnd-fuzz.worker.mjs', import.meta.url)), {
      workerData: { wasmPath, streams, iterations, seed, cpuAmounts },
    });
    // A watchdog on progress, not on the whole run: on a busy machine the run takes as long as it takes.
    let timer: NodeJS.Timeout;
    const arm = () => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        void worker.terminate();
        reject(new Error(`fuzz worker ${seed} made no progress for ${QUIET_LIMIT_MS} ms (hang?)`));
      }, QUIET_LIMIT_MS);
    };
    arm();
    worker.on('message', (msg: { progress?: number; stats?: Record<string, unknown>; failure?: string }) => {
      if (msg.progress !== undefined) return arm();
      clearTimeout(timer);
      void worker.terminate();
      resolve(msg);
    });
    worker.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
  });
}

describe('fuzz', () => {
  test(`${WORKERS * PER_WORKER} mutated streams: no trap, no hang, guards intact`, async () => {
    const streams = baseStreams();
    const results = await Promise.all(
      Array.from({ length: WORKERS }, (_, i) =>
        runWorker(streams, 0x9e3779b9 ^ (i * 7919 + 1), PER_WORKER, [0, 1 + i * 37, 4096]),
      ),
    );
    let total = 0;
    for (const r of results) {
      expect(r.failure).toBeUndefined();
      total += (r.stats as { streams: number }).streams;
    }
    expect(total).toBe(WORKERS * PER_WORKER);
    // eslint-disable-next-line no-console
    console.log(JSON.stringify(results.map((r) => r.stats)));
  }, 900_000);
});
