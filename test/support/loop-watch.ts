/**
 * A vitest setup file that measures, per test, the longest stretch during which the test worker's event loop
 * could not run a timer: the synchronous work that, past 60 s of wall-clock time, makes vitest's worker RPC give
 * up ("Timeout calling onTaskUpdate") and fail a run whose tests all passed. It only measures: a test never fails
 * because of it (timings are not asserted on a shared machine).
 *
 * With ZACCEL_LOOP_REPORT=DIR, each test file appends one JSON line per test to DIR/loop-stalls.jsonl, which
 * `node tools/ci/loop-report.mjs DIR` ranks. Without it, a stall of 15 s or more is still named on stderr.
 *
 * It also lets the event loop turn once after every test. vitest's runner goes from one test to the next on
 * promises alone, so without this, synchronous tests in a row are one stretch to the worker's RPC: each may be
 * short, and their sum still past the RPC's 60 s.
 */
import { appendFileSync, mkdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { afterAll, afterEach, beforeEach } from 'vitest';

const TICK_MS = 50;
const WARN_MS = 15_000;
const COLLECT = '(collect: module top level)';
const BETWEEN = '(hooks and between tests)';

// Captured before any test can install fake timers, so the watch always runs on the real clock.
const realSetInterval = globalThis.setInterval;
const realClearInterval = globalThis.clearInterval;
const realSetTimeout = globalThis.setTimeout;
const realSetImmediate = globalThis.setImmediate;
const now = () => performance.now();

/** The longest stall seen while each test was running, by test name. */
const longest = new Map<string, number>();
let current = COLLECT;
/** Every test that was current since the last tick: a stall is charged to all of them. */
let since = new Set<string>([current]);
let lastTick = now();

const timer = realSetInterval(() => {
  const tick = now();
  const stall = tick - lastTick - TICK_MS;
  for (const name of since) longest.set(name, Math.max(longest.get(name) ?? 0, stall));
  lastTick = tick;
  since = new Set([current]);
}, TICK_MS);
timer.unref();

function enter(name: string): void {
  current = name;
  since.add(name);
}

beforeEach((context) => {
  const path: string[] = [];
  for (let suite = context.task.suite; suite?.name; suite = suite.suite) path.unshift(suite.name);
  enter([...path, context.task.name].join(' > '));
});

afterEach(async () => {
  enter(BETWEEN);
  // A timer first (the watch's overdue tick closes this test's stretch), then an immediate, which comes after the
  // poll phase: the answers to the RPC calls made meanwhile are read before the next test starts.
  await new Promise<void>((resolve) => realSetTimeout(resolve, 0));
  await new Promise<void>((resolve) => realSetImmediate(resolve));
});

afterAll((suite) => {
  realClearInterval(timer);
  // The last stretch, which no tick closed yet.
  const stall = now() - lastTick - TICK_MS;
  for (const name of since) longest.set(name, Math.max(longest.get(name) ?? 0, stall));
  const file = relative(process.cwd(), (suite as { filepath?: string }).filepath ?? 'unknown');
  const entries = [...longest].map(([test, stallMs]) => ({ file, test, stallMs: Math.max(0, Math.round(stallMs)) }));
  for (const entry of entries)
    if (entry.stallMs >= WARN_MS)
      process.stderr.write(
        `loop-watch: ${entry.file} "${entry.test}" kept the test worker busy for ${entry.stallMs} ms\n`,
      );
  const directory = process.env.ZACCEL_LOOP_REPORT;
  if (directory) {
    mkdirSync(directory, { recursive: true });
    appendFileSync(join(directory, 'loop-stalls.jsonl'), entries.map((entry) => `${JSON.stringify(entry)}\n`).join(''));
  }
});
