/**
 * The zlib suite: the zlib engine (WebAssembly) against native zlib built
 * from the same source and against node:zlib, compress and inflate, at
 * several levels, on one deterministic corpus. Contenders are interleaved
 * within each repetition (the order rotates), and every figure is a median
 * of repetitions with its min-max spread, so ratios come from one run.
 */
import { writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as nodeZlib from 'node:zlib';
import { Bench } from 'tinybench';
import { constants, type Level } from '../constants.js';
import { corpus } from '../corpus/corpus.js';
import { createDeflateCore, createInflateCore } from '../core/factories.js';
import type { Machine } from '../machine/machine.js';
import { runNative } from './native-reference.js';
import { megabytesPerSecond, spread, type Spread } from './statistics.js';

export type Operation = 'deflate' | 'inflate';
export const ZLIB_CONTENDERS = ['zaccel zlib (wasm)', 'native zlib (gcc)', 'node:zlib'] as const;
export type ZlibContender = (typeof ZLIB_CONTENDERS)[number];

export interface ZlibSuiteOptions {
  corpusBytes: number;
  levels: Level[];
  /** Input bytes per deflate call (and output window per inflate call). */
  chunk: number;
  repetitions: number;
  /** Minimum measuring time per cell, in seconds. */
  seconds: number;
  machine: Machine;
  progress?: (message: string) => void;
}

export interface ZlibCell {
  contender: ZlibContender;
  operation: Operation;
  level: Level;
  /** Uncompressed megabytes per second (1 MB = 10^6 bytes), over the repetitions. */
  throughput: Spread;
  compressedBytes: number;
}

export interface ZlibSuiteResult {
  corpusBytes: number;
  chunk: number;
  repetitions: number;
  cells: ZlibCell[];
}

/** The benchmark corpus: text-like, binary/code-like and VM-page-like thirds. */
export function benchmarkCorpus(bytes: number): Uint8Array {
  const third = Math.floor(bytes / 3);
  const out = new Uint8Array(bytes);
  out.set(corpus('text', third, 31));
  out.set(corpus('binary', third, 32), third);
  out.set(corpus('vm-pages', bytes - 2 * third, 33), 2 * third);
  return out;
}

/** Deflate through the zlib engine's stream core, `chunk` bytes per call. */
function zaccelDeflate(machine: Machine, data: Uint8Array, level: Level, chunk: number): number {
  const core = createDeflateCore('zlib', { machine, level, chunkSize: chunk });
  let produced = 0;
  core.ondata = (piece) => (produced += piece.length);
  for (let offset = 0; offset < data.length; offset += chunk) {
    const end = Math.min(data.length, offset + chunk);
    core.push(data.subarray(offset, end), end === data.length ? constants.Z_FINISH : constants.Z_NO_FLUSH);
  }
  core.close();
  return produced;
}

function zaccelInflate(machine: Machine, compressed: Uint8Array, chunk: number): number {
  const core = createInflateCore('zlib', { machine, chunkSize: chunk });
  let produced = 0;
  core.ondata = (piece) => (produced += piece.length);
  core.push(compressed, true);
  core.close();
  return produced;
}

/** Median seconds of one call, measured with tinybench for at least `seconds`. */
async function timeInProcess(body: () => void, seconds: number): Promise<number> {
  const bench = new Bench({ time: seconds * 1000, iterations: 2, warmupIterations: 1, warmupTime: 0 });
  bench.add('cell', body);
  await bench.run();
  const result = bench.tasks[0].result;
  if (result === undefined || result.state !== 'completed') throw new Error(`benchmark cell failed: ${result?.state}`);
  return result.latency.p50 / 1000;
}

export async function runZlibSuite(options: ZlibSuiteOptions): Promise<ZlibSuiteResult> {
  const { machine, chunk, seconds } = options;
  const data = benchmarkCorpus(options.corpusBytes);
  const folder = mkdtempSync(join(tmpdir(), 'zaccel-bench-'));
  const corpusFile = join(folder, 'corpus.bin');
  writeFileSync(corpusFile, data);
  const samples = new Map<string, { values: number[]; compressedBytes: number }>();
  const record = (contender: ZlibContender, operation: Operation, level: Level, mbps: number, compressedBytes: number) => {
    const key = `${contender}|${operation}|${level}`;
    const entry = samples.get(key) ?? { values: [], compressedBytes };
    entry.values.push(mbps);
    samples.set(key, entry);
  };

  try {
    const compressedAt = new Map<Level, Buffer>();
    for (const level of options.levels) compressedAt.set(level, nodeZlib.deflateSync(data, { level }));
    // Self-check before timing anything: the zlib engine's output decodes, and matches node:zlib's decoding.
    for (const level of options.levels) {
      const core = createDeflateCore('zlib', { machine, level });
      const pieces: Buffer[] = [];
      core.ondata = (piece) => pieces.push(piece);
      core.push(data, constants.Z_FINISH);
      core.close();
      if (!nodeZlib.inflateSync(Buffer.concat(pieces)).equals(Buffer.from(data))) throw new Error(`zlib engine output at level ${level} does not decode`);
    }

    for (let repetition = 0; repetition < options.repetitions; repetition++) {
      for (const level of options.levels) {
        const compressed = compressedAt.get(level)!;
        for (const operation of ['deflate', 'inflate'] as Operation[]) {
          // Rotate the order each repetition so no contender always runs first (or last).
          const order = ZLIB_CONTENDERS.map((_, index) => ZLIB_CONTENDERS[(index + repetition) % ZLIB_CONTENDERS.length]);
          for (const contender of order) {
            options.progress?.(`zlib suite: repetition ${repetition + 1}/${options.repetitions}, level ${level}, ${operation}, ${contender}`);
            let compressedBytes = compressed.length;
            let secondsPerRound: number;
            if (contender === 'native zlib (gcc)') {
              const native = await runNative(operation, level, chunk, seconds, corpusFile);
              secondsPerRound = native.seconds / native.rounds;
              compressedBytes = native.compressedBytes;
            } else if (contender === 'zaccel zlib (wasm)') {
              secondsPerRound =
                operation === 'deflate'
                  ? await timeInProcess(() => void (compressedBytes = zaccelDeflate(machine, data, level, chunk)), seconds)
                  : await timeInProcess(() => void zaccelInflate(machine, compressed, chunk), seconds);
            } else {
              secondsPerRound =
                operation === 'deflate'
                  ? await timeInProcess(() => void (compressedBytes = nodeZlib.deflateSync(data, { level, chunkSize: chunk }).length), seconds)
                  : await timeInProcess(() => void nodeZlib.inflateSync(compressed, { chunkSize: chunk }), seconds);
            }
            record(contender, operation, level, megabytesPerSecond(data.length, secondsPerRound), compressedBytes);
          }
        }
      }
    }
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }

  const cells: ZlibCell[] = [];
  for (const [key, entry] of samples) {
    const [contender, operation, level] = key.split('|');
    cells.push({
      contender: contender as ZlibContender,
      operation: operation as Operation,
      level: Number(level) as Level,
      throughput: spread(entry.values),
      compressedBytes: entry.compressedBytes,
    });
  }
  return { corpusBytes: data.length, chunk, repetitions: options.repetitions, cells };
}

/** The median throughput of `contender` divided by that of `baseline`, for one operation and level. */
export function ratio(result: ZlibSuiteResult, contender: ZlibContender, baseline: ZlibContender, operation: Operation, level: Level): number {
  const find = (name: ZlibContender) => result.cells.find((cell) => cell.contender === name && cell.operation === operation && cell.level === level);
  const ours = find(contender);
  const theirs = find(baseline);
  return ours && theirs ? ours.throughput.median / theirs.throughput.median : NaN;
}
