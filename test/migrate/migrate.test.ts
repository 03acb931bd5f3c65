/**
 * The multifd migration simulator, sized for CI: safe configurations lose
 * no page over several seeds; the accelerator's multiple-access reads
 * without a copy corrupt pages, including pages the guest never wrote; and
 * the copy counters match what was sent.
 */
import { describe, expect, test } from 'vitest';
import type { MigrateOptions } from '../../src/migrate/protocol.js';
import { runMigration } from '../../src/migrate/simulator.js';

const base: MigrateOptions = {
  engine: 'dfltcc',
  model: 'multiple',
  copy: 'never',
  ramBytes: 4 << 20,
  pageSize: 4096,
  channels: 2,
  packetPages: 32,
  dirtyRate: 0,
  hotPages: 256,
  pattern: 'counter',
  rounds: 3,
  seed: 1,
  level: 1,
  cpuAmount: 0,
};

describe('zaccel migrate', () => {
  test('every safe configuration: zero corrupted pages over several seeds', async () => {
    const safe: Partial<MigrateOptions>[] = [
      { engine: 'zlib', copy: 'never' },
      { engine: 'zlib', copy: 'auto' },
      { model: 'single', copy: 'never' },
      { model: 'multiple', copy: 'auto' },
      { model: 'multiple', copy: 'always' },
    ];
    for (const configuration of safe) {
      for (const seed of [1, 2, 3]) {
        for (const pattern of ['counter', 'increment'] as const) {
          const result = await runMigration({ ...base, ...configuration, seed, pattern });
          const label = `${JSON.stringify(configuration)} seed ${seed} ${pattern}`;
          expect(result.corruptedPages, label).toBe(0);
          expect(result.firstCorruptedPage, label).toBeNull();
          expect(result.decodeErrors, label).toBe(0);
          expect(result.pagesSent, label).toBeGreaterThanOrEqual(1024);
          expect(result.guestWrites, label).toBeGreaterThan(0);
        }
      }
    }
  });

  test('dfltcc multiple without a copy corrupts pages, some of which the guest never wrote', async () => {
    let corrupted = 0;
    let unwritten = 0;
    for (const seed of [1, 2, 3, 4, 5]) {
      const result = await runMigration({ ...base, seed });
      corrupted += result.corruptedPages;
      unwritten += result.corruptedUnwrittenPages;
      if (result.corruptedPages > 0) expect(result.firstCorruptedPage).not.toBeNull();
    }
    expect(corrupted).toBeGreaterThan(0);
    expect(unwritten).toBeGreaterThan(0);
  });

  test('the counters match what was sent: auto copies only unstable pages of a multiple-access engine', async () => {
    const never = await runMigration({ ...base, copy: 'never', model: 'single' });
    expect(never).toMatchObject({ copies: 0, copyBytes: 0, copyNanoseconds: 0 });
    const always = await runMigration({ ...base, copy: 'always', model: 'single' });
    expect(always.copies).toBe(always.pagesSent);
    expect(always.copyBytes).toBe(always.pagesSent * base.pageSize);
    const auto = await runMigration({ ...base, copy: 'auto' });
    // Pages sent while the guest runs are copied; the final round's, sent with the guest stopped, are not.
    expect(auto.copies).toBeGreaterThan(0);
    expect(auto.copies).toBeLessThan(auto.pagesSent);
    expect(auto.copyBytes).toBe(auto.copies * base.pageSize);
    const zlib = await runMigration({ ...base, engine: 'zlib', copy: 'auto' });
    expect(zlib.copies).toBe(0);
    expect(auto.bytesIn).toBe(auto.pagesSent * base.pageSize);
    expect(auto.bytesOut).toBeGreaterThan(0);
  });
});
