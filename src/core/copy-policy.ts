/**
 * The copy decision, made before every deflate call on input in machine
 * memory:
 *
 *   copy = policy === 'always'
 *       || (policy === 'auto' && access === 'multiple' && !input.stable)
 *
 * Every decision is counted, per stream and per engine for the thread.
 */
import type { AccessModel, EngineName } from '../engines/engine.js';

export type CopyPolicy = 'auto' | 'always' | 'never';

export interface CopyCounters {
  /** Deflate calls the decision was made for. */
  decisions: number;
  /** Calls whose input was copied first. */
  copies: number;
  /** Bytes copied. */
  copyBytes: number;
  /** Time spent copying, in nanoseconds. */
  copyNanoseconds: number;
}

export const emptyCounters = (): CopyCounters => ({ decisions: 0, copies: 0, copyBytes: 0, copyNanoseconds: 0 });

export function mustCopy(policy: CopyPolicy, access: AccessModel, stable: boolean): boolean {
  return policy === 'always' || (policy === 'auto' && access === 'multiple' && !stable);
}

const threadTotals = new Map<EngineName, CopyCounters>();

/** The thread's totals per engine since start (or the last reset). */
export function copyStats(): Record<string, CopyCounters> {
  return Object.fromEntries([...threadTotals].map(([engine, counters]) => [engine, { ...counters }]));
}

export function resetCopyStats(): void {
  threadTotals.clear();
}

/** Counts one stream's decisions, and adds them to the thread's totals for its engine. */
export class CopyLedger {
  readonly counters = emptyCounters();
  private readonly totals: CopyCounters;

  constructor(engine: EngineName) {
    let totals = threadTotals.get(engine);
    if (totals === undefined) {
      totals = emptyCounters();
      threadTotals.set(engine, totals);
    }
    this.totals = totals;
  }

  decided(): void {
    this.counters.decisions++;
    this.totals.decisions++;
  }

  copied(bytes: number, nanoseconds: number): void {
    for (const counters of [this.counters, this.totals]) {
      counters.copies++;
      counters.copyBytes += bytes;
      counters.copyNanoseconds += nanoseconds;
    }
  }
}
