/**
 * 100,000 mutated valid streams through inflate: no crash, no hang, only
 * coded errors, no write outside the stream's regions (guard bytes), and no
 * memory left behind.
 */
import * as nodeZlib from 'node:zlib';
import { expect, test } from 'vitest';
import { corpus, type CorpusName } from '../../tools/corpus/corpus.js';
import { runWorker } from '../support/run-worker.js';

const FUZZ_RUNS = Number(process.env.ZACCEL_FUZZ_RUNS ?? 100_000);

function baseStreams() {
  const streams: { format: 'raw' | 'zlib' | 'gzip'; bytes: Buffer }[] = [];
  let seed = 100;
  for (const name of ['text', 'binary', 'vm-pages', 'random', 'zeros'] as CorpusName[]) {
    for (const size of [64, 700, 3000]) {
      const data = corpus(name, size, seed++);
      for (const level of [1, 6, 9]) {
        for (const strategy of [0, 2, 4]) {
          streams.push({ format: 'raw', bytes: nodeZlib.deflateRawSync(data, { level, strategy }) });
          streams.push({ format: 'zlib', bytes: nodeZlib.deflateSync(data, { level, strategy }) });
          streams.push({ format: 'gzip', bytes: nodeZlib.gzipSync(data, { level, strategy }) });
        }
      }
    }
  }
  return streams;
}

test(`fuzz: ${FUZZ_RUNS} mutated streams through inflate`, async () => {
  const result = await runWorker(
    new URL('../support/fuzz-inflate-worker.mjs', import.meta.url),
    { streams: baseStreams(), iterations: FUZZ_RUNS, seed: 1234 },
    60_000,
  );
  expect(result.runs).toBe(FUZZ_RUNS);
  expect(result.unexpected).toEqual([]);
  expect(result.guardViolations).toBe(0);
  expect(result.leakedBytes).toBe(0);
  // The mutations really reach the decoder's error paths, and some streams still decode.
  const codes = result.codes as Record<string, number>;
  expect(codes.ZACCEL_DATA_ERROR).toBeGreaterThan(FUZZ_RUNS / 10);
  expect(codes.ZACCEL_TRUNCATED).toBeGreaterThan(FUZZ_RUNS / 20);
  expect(codes.ok).toBeGreaterThan(0);
}, 900_000);
