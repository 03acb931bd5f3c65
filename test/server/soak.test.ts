/**
 * A bounded soak: a few hundred one-shots against the service in a child process of its own, in windows. The
 * server's resident set must level off: the last windows are compared with each other (not with a figure,
 * which depends on the machine), and the Machine must not grow once the load is steady.
 */
import { expect, test } from 'vitest';
import { runSoak } from '../../tools/http-bench/soak.js';

test('RSS levels off over 360 requests, and the Machine stops growing', async () => {
  const result = await runSoak({ requests: 360, windows: 6, concurrency: 8, bodyBytes: 64 * 1024, workers: 1 });
  expect(result.failed).toBe(0);
  expect(result.answered).toBe(360);
  const last = result.windows.slice(-3);
  const rss = last.map((window) => window.rssMiB);
  const spread = (Math.max(...rss) - Math.min(...rss)) / Math.min(...rss);
  expect(spread, JSON.stringify(result.windows)).toBeLessThan(0.15);
  expect(new Set(last.map((window) => window.machineMiB)).size, JSON.stringify(result.windows)).toBe(1);
});
