/**
 * The request body's idle timer (server/idle-timer.ts), on vitest's fake clock: it fires after a whole idle
 * period without a byte, not while paused, and, when due, lets bytes that were already waiting count.
 * The same behaviour with a real socket and a blocked thread is in timeouts.test.ts.
 */
import { afterEach, beforeEach, expect, test, vi } from 'vitest';
import { IdleTimer } from '../../server/idle-timer.js';

const IDLE = 1_000;
/** The fake clock runs an immediate that a timer callback scheduled 1 ms later (so that a tick cannot loop forever). */
const DECISION = 1;
let fired: number;
let timer: IdleTimer;

beforeEach(() => {
  vi.useFakeTimers();
  fired = 0;
  timer = new IdleTimer(IDLE, () => fired++);
});

afterEach(() => {
  timer.stop();
  vi.useRealTimers();
});

test('a whole idle period without a byte: it fires, once', () => {
  timer.touch();
  vi.advanceTimersByTime(IDLE);
  expect(fired).toBe(0); // due, and the decision waits for this turn's reads
  vi.advanceTimersByTime(DECISION);
  expect(fired).toBe(1);
  vi.advanceTimersByTime(10 * IDLE);
  expect(fired).toBe(1);
});

test('bytes within the period put it off: it fires an idle period after the last one', () => {
  timer.touch();
  vi.advanceTimersByTime(IDLE / 2);
  timer.touch();
  vi.advanceTimersByTime(IDLE / 2 + 1); // the first arming is due: too early, armed again
  expect(fired).toBe(0);
  vi.advanceTimersByTime(IDLE / 2 - 1 + DECISION);
  expect(fired).toBe(1);
});

test('due by the clock, but a byte is read before the decision: it does not fire', () => {
  timer.touch();
  vi.advanceTimersToNextTimer(); // the timeout runs and leaves its decision to an immediate
  expect(fired).toBe(0);
  timer.touch(); // this turn's socket reads found a byte
  vi.advanceTimersToNextTimer(); // the decision: armed again for a whole period from that byte
  expect(fired).toBe(0);
  vi.advanceTimersByTime(IDLE - DECISION - 1);
  expect(fired).toBe(0);
  vi.advanceTimersByTime(1 + DECISION + DECISION);
  expect(fired).toBe(1);
});

test('paused, it never fires; touched again, it runs a whole period; stopped, never again', () => {
  timer.touch();
  timer.pause();
  vi.advanceTimersByTime(10 * IDLE);
  expect(fired).toBe(0);
  timer.touch();
  vi.advanceTimersByTime(IDLE + DECISION);
  expect(fired).toBe(1);
  timer.touch(); // after it fired it is stopped: nothing starts it again
  timer.stop();
  vi.advanceTimersByTime(10 * IDLE);
  expect(fired).toBe(1);
});
