/**
 * tools/bench/cmpr-ab.ts, the same-process A/B of the emulator's compression, runs end to end: compared with
 * itself, the build compresses to the same sizes as the "baseline", so each side really ran its own module graph
 * on the same input. Speed is not asserted (benchmarks measure it, tests do not).
 */
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { packageRoot } from '../src/internal.js';
import { runCmprAb } from '../tools/bench/cmpr-ab.js';

test('the build against a copy of itself: one row per kind, equal sizes, a positive ratio', async () => {
  const rows = await runCmprAb({
    baseline: join(packageRoot(), 'asm', 'build', 'dfltcc.wasm'),
    megabytes: 0.125,
    rounds: 2,
    model: 'single',
    kinds: ['text', 'random'],
  });
  expect(rows.map((row) => row.kind)).toEqual(['text', 'random']);
  for (const row of rows) {
    expect(row).toMatchObject({ model: 'single', megabytes: 0.125, rounds: 1 });
    expect(row.builtBytes).toBeGreaterThan(0);
    expect(row.builtBytes).toBe(row.baselineBytes);
    expect(row.speedRatio).toBeGreaterThan(0);
  }
  // Text compresses, random bytes do not: the rows are not mixed up.
  expect(rows[0].builtBytes).toBeLessThan(rows[1].builtBytes);
});
