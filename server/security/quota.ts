/**
 * Stream quotas: how many streams each principal holds open, so that no
 * one client (token, or address without tokens) can take every one of the
 * server's `--max-streams` slots. Past its quota a principal gets
 * `429 ZACCEL_QUOTA`, with `Retry-After` set to when its first stream could
 * be reaped.
 */
import { ServiceError } from '../errors.js';
import type { Principal } from './principal.js';

export class StreamQuota {
  private readonly held = new Map<string, number>();

  /** Streams the principal with this id holds. */
  count(id: string): number {
    return this.held.get(id) ?? 0;
  }

  /**
   * Throw ZACCEL_QUOTA when the principal may open no more streams. `secondsUntilFree` says when one of
   * its streams may next be reaped: the earliest a retry can succeed if the client does nothing else.
   */
  checkRoom(principal: Principal, secondsUntilFree: () => number): void {
    const count = this.count(principal.id);
    if (count >= principal.maxStreams) {
      const retryAfter = Math.max(1, Math.ceil(secondsUntilFree()));
      throw new ServiceError(
        'ZACCEL_QUOTA',
        `${principal.name} holds ${count} streams, its quota of ${principal.maxStreams}: delete one, or let one idle until it is reaped`,
        { 'retry-after': String(retryAfter) },
      );
    }
  }

  /** The principal with this id opened a stream. */
  add(id: string): void {
    this.held.set(id, this.count(id) + 1);
  }

  /** One of the principal's streams is gone. */
  remove(id: string): void {
    const count = this.count(id);
    if (count <= 1) this.held.delete(id);
    else this.held.set(id, count - 1);
  }
}
