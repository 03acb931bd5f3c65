/**
 * zaccel hazard: the copy decision under real concurrency and
 * deterministically. Unsafe configurations must show corruption; safe ones
 * must never, and the copy counters must match what happened.
 */
import { describe, expect, test } from 'vitest';
import { runDeterministic, runThreaded } from '../../tools/hazard/hazard.js';
import { HALF, type HazardOptions } from '../../tools/hazard/scenario.js';

const base: HazardOptions = {
  engine: 'dfltcc',
  model: 'multiple',
  copy: 'never',
  deterministic: true,
  pattern: 'snapshot',
  cpuAmount: 0,
  iterations: 25,
};

describe('deterministic hazard mode', () => {
  test('multiple model, copy never: (nearly) every run corrupts the untouched half', () => {
    const result = runDeterministic(base);
    expect(result).toMatchObject({ runs: 25, firstCorruptRun: 1, copies: 0, copyBytes: 0 });
    // Whether a run's second half reaches into the rewritten history depends on the matcher; nearly all do.
    expect(result.corruptRuns).toBeGreaterThanOrEqual(20);
    expect(result.mutations).toBeGreaterThan(0);
  });

  test('multiple model with always and auto, single model, and zlib: never corrupt', () => {
    for (const options of [
      { ...base, copy: 'always' as const },
      { ...base, copy: 'auto' as const },
      { ...base, model: 'single' as const },
      { ...base, model: 'single' as const, copy: 'auto' as const },
      { ...base, engine: 'zlib' as const },
      { ...base, engine: 'zlib' as const, copy: 'auto' as const },
    ]) {
      const result = runDeterministic(options);
      expect(result.corruptRuns, JSON.stringify(options)).toBe(0);
      expect(result.runs).toBe(25);
    }
  });

  test("the sweep pattern (zlib-ng's writer) and a small CPU amount corrupt too", () => {
    expect(runDeterministic({ ...base, pattern: 'sweep' }).corruptRuns).toBeGreaterThan(0);
    expect(runDeterministic({ ...base, cpuAmount: 512 }).corruptRuns).toBeGreaterThan(0);
  });

  test('auto copies only for a multiple-access engine on unstable input; the counters match', () => {
    const auto = runDeterministic({ ...base, copy: 'auto' });
    // One copy per run: the unstable first half. The second half is stable.
    expect(auto).toMatchObject({ copies: 25, copyBytes: 25 * HALF });
    expect(auto.copyNanoseconds).toBeGreaterThan(0);
    const always = runDeterministic({ ...base, copy: 'always' });
    expect(always).toMatchObject({ copies: 50, copyBytes: 50 * HALF });
    for (const options of [
      { ...base, model: 'single' as const, copy: 'auto' as const },
      { ...base, engine: 'zlib' as const, copy: 'auto' as const },
      base,
    ]) {
      expect(runDeterministic(options)).toMatchObject({ copies: 0, copyBytes: 0, copyNanoseconds: 0 });
    }
    // zlib under always copies each 256-byte piece of the first half and the second half.
    expect(runDeterministic({ ...base, engine: 'zlib', copy: 'always' })).toMatchObject({
      copies: 25 * 17,
      copyBytes: 50 * HALF,
    });
  });
});

describe('real threads', () => {
  const threads: HazardOptions = { ...base, deterministic: false, iterations: undefined };

  test('every safe configuration: zero corrupt runs', async () => {
    for (const options of [
      { ...threads, copy: 'auto' as const },
      { ...threads, copy: 'always' as const },
      { ...threads, model: 'single' as const },
      { ...threads, engine: 'zlib' as const },
    ]) {
      for (const pattern of ['snapshot', 'sweep'] as const) {
        const result = await runThreaded({ ...options, pattern, iterations: 200, seconds: 10 });
        expect(result.runs).toBeGreaterThan(0);
        expect(result.corruptRuns, `${JSON.stringify(options)} ${pattern}`).toBe(0);
        expect(result.mutations).toBeGreaterThan(0);
      }
    }
  });

  // A free race may not happen at all on a busy machine (the threads need not overlap), so the unsafe case runs in
  // rendezvous mode: the writer thread writes inside the accelerator's window whenever the compressor's hook asks.
  test("multiple model, copy never: the writer thread, writing inside the accelerator's window, corrupts (nearly) every run", async () => {
    for (const pattern of ['snapshot', 'sweep'] as const) {
      const result = await runThreaded({ ...threads, pattern, iterations: 25, rendezvous: true });
      expect(result.runs).toBe(25);
      expect(result.firstCorruptRun, pattern).toBe(1);
      expect(result.corruptRuns, pattern).toBeGreaterThanOrEqual(20);
      // The writer wrote once per request, at least once a run.
      expect(result.mutations).toBeGreaterThanOrEqual(25);
    }
  });

  test('the same rendezvous with a private copy (auto, always): the writer writes every run, nothing is corrupt', async () => {
    for (const copy of ['auto', 'always'] as const) {
      const result = await runThreaded({ ...threads, pattern: 'snapshot', iterations: 25, rendezvous: true, copy });
      expect(result.corruptRuns, copy).toBe(0);
      expect(result.mutations, copy).toBeGreaterThanOrEqual(25);
    }
  });
});
