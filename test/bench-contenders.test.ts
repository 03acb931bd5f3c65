/**
 * Every in-process contender of the benchmark (tools/bench/contenders.ts) round-trips, through node:zlib in both
 * directions, at each level it runs at, with chunks smaller than the input and an empty input; the native reference
 * is listed when zref is built and refuses in-process calls. And the spread of repeated measurements.
 */
import { inflateSync, deflateSync } from 'node:zlib';
import { describe, expect, test } from 'vitest';
import { Machine } from '../src/index.js';
import { ALL_CONTENDERS, contenders } from '../tools/bench/contenders.js';
import { corpus } from '../tools/corpus/corpus.js';
import { spread, megabytesPerSecond } from '../tools/bench/statistics.js';

describe('bench contenders', () => {
  const machine = Machine.create();
  const all = contenders(machine);
  const data = corpus('mixed', 40_000, 3);

  test('all are there (zref is built by build.sh)', () => {
    expect(all.map((contender) => contender.name)).toEqual(ALL_CONTENDERS);
  });

  for (const contender of all) {
    if (contender.native) {
      test(`${contender.name} is timed by zref, not called in process`, () => {
        expect(() => contender.deflate(data, 1, 4096)).toThrow(/zref/);
        expect(() => contender.inflate(new Uint8Array(0), 4096)).toThrow(/zref/);
      });
      continue;
    }
    test(`${contender.name}: deflate and inflate round-trip at its levels, in 4 KiB chunks and empty`, () => {
      for (const level of [1, 6, 9] as const) {
        if (!contender.levels(level)) continue;
        const compressed = contender.deflate(data, level, 4096);
        expect(Buffer.compare(inflateSync(compressed), data), `${contender.name} level ${level}`).toBe(0);
        expect(contender.inflate(deflateSync(data, { level }), 4096)).toBe(data.length);
        expect(inflateSync(contender.deflate(new Uint8Array(0), level, 4096)).length).toBe(0);
      }
      expect(contender.levels(1)).toBe(true);
    });
  }
});

test('spread: median of odd and even counts, min, max; megabytes per second', () => {
  expect(spread([3, 1, 2])).toEqual({ median: 2, min: 1, max: 3, samples: 3 });
  expect(spread([4, 1, 3, 2])).toEqual({ median: 2.5, min: 1, max: 4, samples: 4 });
  expect(spread([])).toMatchObject({ median: Number.NaN, samples: 0 });
  expect(megabytesPerSecond(2e6, 0.5)).toBe(4);
});
