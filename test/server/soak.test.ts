/**
 * A bounded soak: a few hundred one-shots against the service in a child process of its own, in windows, with a
 * full garbage collection in every thread of the server before each sample. Nothing may grow once the load is
 * steady, judged by the windows after the first against each other (not against a figure, which depends on the
 * machine):
 *
 * - the Machine, exactly: WebAssembly memory grows to what the busiest moment needed and is reused after that;
 * - retained memory (the V8 heaps' live objects and the ArrayBuffers still referenced, main thread and worker),
 *   from the end of the first window on: the four windows after it carry 240 requests of 64 KiB in, so keeping
 *   one compressed answer in six adds 1.5 to 2.5 MiB, more than is allowed (tried: it fails), where a sound
 *   server moves by a few hundred KiB of heap;
 * - the resident set, loosely: after collection it is the allocator's high-water mark, which moves with how
 *   buffers happened to be interleaved and never shrinks much; it may not climb by more than a fifth.
 *
 * Without the collections, garbage V8 has not yet had a reason to free (a worker waits for its ~64 MiB
 * external-memory trigger) would make these comparisons a matter of when the collector last ran; each thread
 * collects twice, because ArrayBuffers the first collection found dead are only freed, and counted as freed,
 * once the event loop has turned (collect-garbage.ts). All figures of a window come from one /metrics scrape.
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
  const kept = result.windows.slice(1).map(retained);
  expect(Math.max(...kept) - kept[0], windows).toBeLessThan(1); // MiB
  const rss = last.map((window) => window.rssMiB);
  expect(Math.max(...rss) / rss[0], windows).toBeLessThan(1.2);
});
