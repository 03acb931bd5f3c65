/**
 * The benchmark harness runs end to end and its output is well formed.
 * Timings are never asserted: this machine is shared and noisy.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { packageRoot } from '../src/machine/modules.js';

test('zaccel bench --quick --json produces a complete, well-formed report', () => {
  const cli = join(packageRoot(), 'dist/src/cli/main.js');
  const run = spawnSync(process.execPath, [cli, 'bench', '--quick', '--json', '--corpus-mib', '1', '--seconds', '0.02'], { maxBuffer: 1 << 24 });
  expect(run.status, run.stderr.toString()).toBe(0);
  const report = JSON.parse(run.stdout.toString());
  expect(report.system).toMatchObject({ cores: expect.any(Number), node: process.versions.node });
  expect(report.zlib.corpusBytes).toBe(1 << 20);
  const cells = report.zlib.cells as { contender: string; operation: string; level: number; throughput: { median: number; min: number; max: number } }[];
  for (const contender of ['zaccel zlib (wasm)', 'native zlib (gcc)', 'node:zlib'])
    for (const operation of ['deflate', 'inflate'])
      for (const level of [1, 6, 9]) {
        const cell = cells.find((c) => c.contender === contender && c.operation === operation && c.level === level);
        expect(cell, `${contender} ${operation} ${level}`).toBeDefined();
        expect(cell!.throughput.median).toBeGreaterThan(0);
        expect(cell!.throughput.min).toBeLessThanOrEqual(cell!.throughput.max);
      }
});
