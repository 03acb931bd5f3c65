/**
 * A bounded soak: a few hundred one-shots against the service in a child process of its own, in windows, with a
 * full garbage collection in every thread of the server before each sample. Nothing may grow once the load is
 * steady, judged by the last windows against each other (not against a figure, which depends on the machine):
 *
 * - the Machine, exactly: WebAssembly memory grows to what the busiest moment needed and is reused after that;
 * - retained memory (the V8 heaps' live objects and the ArrayBuffers still referenced, main thread and worker):
 *   the last two windows carry 120 requests of 64 KiB in and out, so keeping one body in six would add more
 *   than the 1 MiB allowed;
 * - the resident set, loosely: after collection it is the allocator's high-water mark, which moves with how
 *   buffers happened to be interleaved and never shrinks much; it may not climb by more than a fifth.
 *
 * Without the collections, garbage V8 has not yet had a reason to free (a worker waits for its ~64 MiB
 * external-memory trigger) would make these comparisons a matter of when the collector last ran.
 */
import { expect, test } from 'vitest';
import { runSoak, type SoakWindow } from '../../tools/http-bench/soak.js';

const retained = (window: SoakWindow) =>
  window.heapUsedMiB + window.externalMiB + window.workerHeapMiB + window.workerExternalMiB;

test('over 360 requests retained memory and the Machine stop growing, and RSS levels off', async () => {
  const result = await runSoak({
    requests: 360,
    windows: 6,
    concurrency: 8,
    bodyBytes: 64 * 1024,
    workers: 1,
    collect: true,
  });
  const windows = JSON.stringify(result.windows);
  expect(result.failed).toBe(0);
  expect(result.answered).toBe(360);
  const last = result.windows.slice(-3);
  expect(new Set(last.map((window) => window.machineMiB)).size, windows).toBe(1);
  const kept = last.map(retained);
  expect(Math.max(...kept) - kept[0], windows).toBeLessThan(1); // MiB
  const rss = last.map((window) => window.rssMiB);
  expect(Math.max(...rss) / rss[0], windows).toBeLessThan(1.2);
});
