/**
 * The HTTP benchmark's smoke run: short, one worker, two concurrencies. The
 * figures themselves are for `node dist/tools/http-bench/http-bench.js`; this
 * checks that a run completes without errors and reports what it should.
 */
import { expect, test } from 'vitest';
import { runHttpSuite } from '../../tools/http-bench/http-bench.js';

test('runHttpSuite: autocannon against /v1/deflate beside in-process deflateSync', async () => {
  const result = await runHttpSuite({
    workers: 1,
    seconds: 0.5,
    concurrencies: [1, 2],
    levels: [1],
    bodyBytes: 256 * 1024,
  });
  expect(result.kind).toBe('zaccel-http-bench');
  expect(result.workers).toBe(1);
  expect(result.levels).toHaveLength(1);
  const [level] = result.levels;
  expect(level.http.map((run) => run.concurrency)).toEqual([1, 2]);
  for (const run of level.http) {
    expect(run.requests).toBeGreaterThan(0);
    expect(run.errors).toBe(0);
    expect(run.non2xx).toBe(0);
    expect(run.throughputMBps).toBeGreaterThan(0);
    expect(run.inProcessMBps).toBeGreaterThan(0);
    expect(run.ratio).toBeCloseTo(run.throughputMBps / run.inProcessMBps, 6);
    expect(run.latencyMs.p99).toBeGreaterThan(0);
    expect(run.eventLoopLagMs.p99).toBeGreaterThanOrEqual(0);
    // The main thread's share is part of the whole process's CPU; the client spends some CPU on every request.
    if (process.platform === 'linux') {
      expect(run.mainThreadCpuSecondsPerMB).toBeGreaterThan(0);
      expect(run.mainThreadCpuSecondsPerMB!).toBeLessThan(run.serverCpuSecondsPerMB);
    }
    expect(run.clientCpuSecondsPerMB).toBeGreaterThan(0);
    // Every request opens, feeds, ends and closes a session, and hears back at least opened, done and closed.
    expect(run.messagesPerRequest.toWorkers).toBeGreaterThanOrEqual(4);
    expect(run.messagesPerRequest.fromWorkers).toBeGreaterThanOrEqual(3);
  }
  expect(level.targetRatio).toBe(0.8);
  expect(level.ratio).toBeGreaterThan(0);
  expect(result.met).toBe(
    level.ratio >= level.targetRatio && level.eventLoopLagP99Ms < result.targets.eventLoopLagP99Ms,
  );
  expect(JSON.parse(JSON.stringify(result))).toEqual(result);
}, 600_000); // a hang guard: load runs that see no answer on a busy machine are repeated, longer
