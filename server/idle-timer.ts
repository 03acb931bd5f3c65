/**
 * The idle timer of a request body: `onIdle` runs when no byte came for `idleMs` while the timer was running.
 *
 * - `touch()` notes that a byte came, and starts the timer if it is not running. It only records the time:
 *   re-arming a timer for each of a body's sixteen or so chunks a MiB cost more than the rest of their handling.
 *   When the timer fires early (bytes came since it was armed), it is armed again for what is left.
 * - When it is due by the clock, it decides only after this turn of the event loop has read its sockets. If this
 *   thread was busy (a long GC, a slow request), bytes that came meanwhile are still waiting in the socket, and
 *   timers run before sockets are read: they must count, or a busy server would time out clients that kept
 *   sending. An immediate runs after the reads.
 * - `pause()` stops it while the server itself holds the body back (paused for the worker): the client is not
 *   late while we are. `stop()` ends it for good.
 */
export class IdleTimer {
  private timer: NodeJS.Timeout | undefined;
  private lastByte = 0;
  private stopped = false;

  constructor(
    private readonly idleMs: number,
    private readonly onIdle: () => void,
  ) {}

  touch(): void {
    this.lastByte = Date.now();
    if (this.timer === undefined && !this.stopped) this.arm(this.idleMs);
  }

  pause(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  stop(): void {
    this.stopped = true;
    this.pause();
  }

  private arm(ms: number): void {
    const timer = setTimeout(() => this.due(timer), ms);
    timer.unref();
    this.timer = timer;
  }

  private left(): number {
    return this.idleMs - (Date.now() - this.lastByte);
  }

  private due(timer: NodeJS.Timeout): void {
    if (this.timer !== timer) return;
    if (this.left() > 0) {
      this.arm(this.left());
      return;
    }
    setImmediate(() => {
      if (this.timer !== timer) return; // paused, stopped or armed again meanwhile
      if (this.left() > 0) {
        this.arm(this.left());
        return;
      }
      this.stop();
      this.onIdle();
    });
  }
}
