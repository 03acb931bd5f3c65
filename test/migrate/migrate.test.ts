/**
 * The multifd migration simulator, sized for CI: safe configurations lose
 * no page over several seeds; the accelerator's multiple-access reads
 * without a copy corrupt pages that resending does not repair; and the copy
 * counters match what was sent.
 */
import { describe, expect, test } from 'vitest';
import type { MigrateOptions } from '../../tools/migrate/protocol.js';
import { runMigration } from '../../tools/migrate/simulator.js';

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
  const safe: Partial<MigrateOptions>[] = [
    { engine: 'zlib', copy: 'never' },
    { engine: 'zlib', copy: 'auto' },
    { model: 'single', copy: 'never' },
    { model: 'multiple', copy: 'auto' },
    { model: 'multiple', copy: 'always' },
  ];
  // One test per configuration: six migrations each, well inside the test timeout on a loaded two-core machine.
  for (const configuration of safe) {
    test(`safe configuration ${JSON.stringify(configuration)}: zero corrupted pages over several seeds`, async () => {
      for (const seed of [1, 2, 3]) {
        for (const pattern of ['counter', 'copy'] as const) {
          const result = await runMigration({ ...base, ...configuration, seed, pattern });
          const label = `${JSON.stringify(configuration)} seed ${seed} ${pattern}`;
          expect(result.corruptedPages, label).toBe(0);
          expect(result.firstCorruptedPage, label).toBeNull();
          expect(result.decodeErrors, label).toBe(0);
          expect(result.pagesSent, label).toBeGreaterThanOrEqual(1024);
          expect(result.guestWrites, label).toBeGreaterThan(0);
        }
      }
    });
  }

  test('dfltcc multiple without a copy, a guest that copies pages: pages resent with stable contents still arrive corrupted', async () => {
    // A free race need not happen on a busy machine (the guest and channel threads may never overlap), so the guest
    // runs in rendezvous mode: still a real thread, it writes the page a channel's accelerator is reading, inside the
    // window between its encode read and its history read, whenever the channel's hazard hook asks. With one
    // channel the whole migration is then deterministic: the same run twice corrupts the same pages.
    const rendezvous: Partial<MigrateOptions> = { pattern: 'copy', hotPages: 128, channels: 1, rendezvous: true };
    for (const seed of [1, 2]) {
      const unsafe = await runMigration({ ...base, ...rendezvous, seed });
      expect(unsafe.corruptedPages, `seed ${seed}`).toBeGreaterThan(0);
      expect(unsafe.firstCorruptedPage).not.toBeNull();
      // The guest wrote these pages, so they were resent, the last time with the guest stopped: resending did not repair them.
      expect(unsafe.corruptedPages - unsafe.corruptedUnwrittenPages).toBeGreaterThan(0);
      const again = await runMigration({ ...base, ...rendezvous, seed });
      expect(again.corruptedPages, `seed ${seed}, run again`).toBe(unsafe.corruptedPages);
      // The same writes at the same points, through a private copy: nothing is corrupted.
      const safe = await runMigration({ ...base, ...rendezvous, seed, copy: 'auto' });
      expect(safe.guestWrites, `seed ${seed}`).toBe(unsafe.guestWrites);
      expect(safe.corruptedPages, `seed ${seed}`).toBe(0);
    }
  });

  test('the counters match what was sent: auto copies only unstable pages of a multiple-access engine', async () => {
    const never = await runMigration({ ...base, copy: 'never', model: 'single' });
    expect(never).toMatchObject({ copies: 0, copyBytes: 0, copyNanoseconds: 0 });
    const always = await runMigration({ ...base, copy: 'always', model: 'single' });
    expect(always.copies).toBe(always.pagesSent);
    expect(always.copyBytes).toBe(always.pagesSent * base.pageSize);
    // Rendezvous: the guest writes during every live round, so the final round surely has pages to send (a free guest
    // that a busy machine does not schedule late in the last live round would leave it empty).
    const auto = await runMigration({ ...base, copy: 'auto', rendezvous: true });
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
