/**
 * zlib-ng's test_deflate_concurrency, as zaccel runs it: an 8 KiB buffer in
 * a Machine, level 1, raw deflate with windowBits -15. The first half is
 * compressed in place while it is being written; then the writer pauses, the
 * second half is compressed with Z_FINISH and left alone, node:zlib inflates
 * the stream, and the second half must come back exactly.
 */
import * as nodeZlib from 'node:zlib';
import { type AccessModel, constants, type CopyPolicy, type DeflateCore, type EngineName } from '../../src/index.js';
import type { GuestMemory } from '../../src/internal.js';

export const HAZARD_BUFFER_BYTES = 8 * 1024;
export const HALF = HAZARD_BUFFER_BYTES / 2;

/**
 * What the writer does. `snapshot`: it increments every byte of the first half; the second half is the
 * first half as the writer left it (so it matches what a re-read history holds). `sweep`: zlib-ng's own
 * mutator, incrementing every byte of the whole buffer until it pauses.
 */
export type MutationPattern = 'snapshot' | 'sweep';

export interface HazardOptions {
  engine: EngineName;
  model: AccessModel;
  copy: CopyPolicy;
  iterations?: number;
  seconds?: number;
  deterministic: boolean;
  pattern: MutationPattern;
  /** dfltcc: bytes before CC3 (0 = unbounded). */
  cpuAmount: number;
  /** Stop at the first corrupt run (to measure how soon a race shows). */
  stopAtFirstCorruption?: boolean;
  /**
   * Threads, dfltcc: the writer thread writes only when the compressor's hazard hook asks, between the
   * accelerator's encode read and history read, and the compressor waits for it. Real threads, but the
   * race's worst case every run, whatever the scheduler does (tests on a busy machine). See WriterControl.
   */
  rendezvous?: boolean;
}

export interface HazardResult {
  engine: EngineName;
  model: AccessModel | null;
  copy: CopyPolicy;
  mode: 'deterministic' | 'threads';
  pattern: MutationPattern;
  runs: number;
  corruptRuns: number;
  /** corruptRuns / runs. */
  detectionRate: number;
  /** The first run (1-based) whose second half decoded wrong, or null. */
  firstCorruptRun: number | null;
  copies: number;
  copyBytes: number;
  copyNanoseconds: number;
  /** Writer sweeps over the first half during the runs. */
  mutations: number;
  seconds: number;
}

/** The deflate options every run uses. */
export function scenarioOptions(options: HazardOptions) {
  return {
    engine: options.engine,
    level: 1 as const,
    windowBits: 15,
    dfltccModel: options.model,
    copy: options.copy,
    cpuAmount: options.cpuAmount,
  };
}

export interface RunHooks {
  /** The writer starts (threads) or is armed (deterministic). */
  startWriting(): void;
  /** The writer stops; returns once it no longer writes. */
  stopWriting(): void;
  /** Compress the first half while it is written. */
  compressFirstHalf(core: DeflateCore, output: Buffer[]): void;
}

/** One run; true when the second half came back exactly. */
export function runOnce(
  core: DeflateCore,
  guest: GuestMemory,
  base: number,
  pattern: MutationPattern,
  hooks: RunHooks,
): boolean {
  const output: Buffer[] = [];
  core.reset();
  core.ondata = (chunk) => output.push(chunk);
  hooks.startWriting();
  try {
    hooks.compressFirstHalf(core, output);
  } finally {
    hooks.stopWriting();
  }
  if (pattern === 'snapshot') guest.copyWithin(base + HALF, base, HALF);
  core.pushRegion({ address: base + HALF, length: HALF, stable: true }, constants.Z_FINISH);
  const expected = guest.readRange(base + HALF, HALF);
  try {
    const decoded = nodeZlib.inflateRawSync(Buffer.concat(output));
    return decoded.length === HAZARD_BUFFER_BYTES && decoded.subarray(HALF).equals(expected);
  } catch {
    return false; // a stream that does not even decode is corrupt too
  }
}

/** What a series of runs found, and the copy counters of its stream. */
export interface RunTally {
  runs: number;
  corruptRuns: number;
  firstCorruptRun: number | null;
  copies: number;
  copyBytes: number;
  copyNanoseconds: number;
  seconds: number;
}

/**
 * Run until the iteration count, the time limit or (when asked) the first corrupt run, whichever comes
 * first; `runOne` returns true when the second half came back exactly.
 */
export function runSeries(
  core: DeflateCore,
  options: HazardOptions,
  runOne: () => boolean,
  progress?: (runs: number, corruptRuns: number) => void,
): RunTally {
  const started = process.hrtime.bigint();
  const deadline = options.seconds === undefined ? Infinity : Date.now() + options.seconds * 1000;
  const limit = options.iterations ?? Infinity;
  let runs = 0;
  let corruptRuns = 0;
  let firstCorruptRun: number | null = null;
  while (runs < limit && Date.now() < deadline && !(options.stopAtFirstCorruption && corruptRuns > 0)) {
    const right = runOne();
    runs++;
    if (!right) {
      corruptRuns++;
      firstCorruptRun ??= runs;
    }
    if (runs % 50 === 0) progress?.(runs, corruptRuns);
  }
  const { copies, copyBytes, copyNanoseconds } = core.copies.counters;
  return {
    runs,
    corruptRuns,
    firstCorruptRun,
    copies,
    copyBytes,
    copyNanoseconds,
    seconds: Number(process.hrtime.bigint() - started) / 1e9,
  };
}

/** The first half, compressed where it lies: input the writer may change, so not stable. */
export function compressInPlace(core: DeflateCore, base: number): void {
  core.pushRegion({ address: base, length: HALF, stable: false }, constants.Z_NO_FLUSH);
}
