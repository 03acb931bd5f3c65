/**
 * The engines suite: every contender, compress and inflate, over levels,
 * chunk sizes and corpora. Within each repetition all contenders run for a
 * cell one after another, in an order that rotates between repetitions, so
 * ratios come from the same run under the same machine load. Figures are
 * medians of the repetitions with their min-max spread.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as nodeZlib from 'node:zlib';
import { Bench } from 'tinybench';
import { deflateSync, type Level } from '../../src/index.js';
import type { Contender, ContenderName } from './contenders.js';
import { runNative } from './native-reference.js';
import { megabytesPerSecond, spread, type Spread } from './statistics.js';

export type Operation = 'deflate' | 'inflate';

export interface GridOptions {
  contenders: Contender[];
  corpora: { name: string; data: Uint8Array }[];
  levels: Level[];
  chunks: number[];
  repetitions: number;
  /** Minimum measuring time per cell, in seconds. */
  seconds: number;
  progress?: (message: string) => void;
}

export interface GridCell {
  contender: ContenderName;
  operation: Operation;
  corpus: string;
  level: Level;
  chunk: number;
  /** Uncompressed MB/s (10^6 bytes per second) over the repetitions. */
  throughput: Spread;
  /** Compressed size divided by the input size. */
  ratio: number;
}

/** One-shot (deflateSync) compressed sizes at level 1 per corpus: the dfltcc engine's and the zlib engine's. */
export interface OneShotSizes {
  corpus: string;
  dfltcc: number;
  zlib: number;
}

export interface GridResult {
  corpora: { name: string; bytes: number }[];
  /** Level-1 one-shot sizes per corpus (absent in reports written before they were measured). */
  oneShot?: OneShotSizes[];
  levels: Level[];
  chunks: number[];
  repetitions: number;
  cells: GridCell[];
}

/** Median seconds of one call, measured with tinybench for at least `seconds`. */
export async function timeInProcess(body: () => void, seconds: number): Promise<number> {
  const bench = new Bench({ time: seconds * 1000, iterations: 2, warmupIterations: 1, warmupTime: 0 });
  bench.add('cell', body);
  await bench.run();
  const result = bench.tasks[0].result;
  if (result === undefined || result.state !== 'completed')
    throw new Error(`benchmark cell failed: ${String(result?.state)}`);
  return result.latency.p50 / 1000;
}

export async function runGrid(options: GridOptions): Promise<GridResult> {
  const folder = mkdtempSync(join(tmpdir(), 'zaccel-bench-'));
  const samples = new Map<string, { values: number[]; ratio: number; cell: Omit<GridCell, 'throughput' | 'ratio'> }>();
  const record = (cell: Omit<GridCell, 'throughput' | 'ratio'>, mbps: number, ratio: number) => {
    const key = `${cell.contender}|${cell.operation}|${cell.corpus}|${cell.level}|${cell.chunk}`;
    const entry = samples.get(key) ?? { values: [], ratio, cell };
    entry.values.push(mbps);
    samples.set(key, entry);
  };
  try {
    for (const corpus of options.corpora) {
      const file = join(folder, `${corpus.name}.bin`);
      writeFileSync(file, corpus.data);
      const reference = new Map<Level, Buffer>();
      for (const level of options.levels) reference.set(level, nodeZlib.deflateSync(corpus.data, { level }));
      // Check every in-process contender's output once before timing anything.
      for (const contender of options.contenders.filter((c) => !c.native)) {
        for (const level of options.levels.filter(contender.levels)) {
          const compressed = contender.deflate(corpus.data, level, options.chunks[0]);
          if (!nodeZlib.inflateSync(compressed).equals(Buffer.from(corpus.data)))
            throw new Error(`${contender.name} level ${level} does not round-trip`);
          if (contender.inflate(reference.get(level)!, options.chunks[0]) !== corpus.data.length)
            throw new Error(`${contender.name} inflate is wrong`);
        }
      }
      for (let repetition = 0; repetition < options.repetitions; repetition++) {
        for (const level of options.levels) {
          for (const chunk of options.chunks) {
            for (const operation of ['deflate', 'inflate'] as Operation[]) {
              const runnable = options.contenders.filter((c) => c.levels(level));
              const order = runnable.map((_, index) => runnable[(index + repetition) % runnable.length]);
              for (const contender of order) {
                options.progress?.(
                  `${corpus.name}, repetition ${repetition + 1}/${options.repetitions}, level ${level}, ${chunk} B chunks, ${operation}: ${contender.name}`,
                );
                const cell = { contender: contender.name, operation, corpus: corpus.name, level, chunk };
                let seconds: number;
                let compressedBytes = reference.get(level)!.length;
                if (contender.native) {
                  const native = await runNative(operation, level, chunk, options.seconds, file);
                  seconds = native.seconds / native.rounds;
                  compressedBytes = native.compressedBytes;
                } else if (operation === 'deflate') {
                  seconds = await timeInProcess(() => {
                    compressedBytes = contender.deflate(corpus.data, level, chunk).length;
                  }, options.seconds);
                } else {
                  const compressed = reference.get(level)!;
                  seconds = await timeInProcess(() => void contender.inflate(compressed, chunk), options.seconds);
                }
                record(
                  cell,
                  megabytesPerSecond(corpus.data.length, seconds),
                  compressedBytes / Math.max(corpus.data.length, 1),
                );
              }
            }
          }
        }
      }
    }
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
  return {
    corpora: options.corpora.map((corpus) => ({ name: corpus.name, bytes: corpus.data.length })),
    oneShot: options.corpora.map((corpus) => ({
      corpus: corpus.name,
      dfltcc: deflateSync(corpus.data, { engine: 'dfltcc', level: 1 }).length,
      zlib: deflateSync(corpus.data, { engine: 'zlib', level: 1 }).length,
    })),
    levels: options.levels,
    chunks: options.chunks,
    repetitions: options.repetitions,
    cells: [...samples.values()].map((entry) => ({
      ...entry.cell,
      throughput: spread(entry.values),
      ratio: entry.ratio,
    })),
  };
}

export interface CellQuery {
  operation: Operation;
  level: Level;
  chunk?: number;
  corpus?: string;
}

/** The median throughput of `contender` divided by that of `baseline` for one cell (first chunk and corpus by default). */
export function speedRatio(
  result: GridResult,
  contender: ContenderName,
  baseline: ContenderName,
  query: CellQuery,
): number {
  const chunk = query.chunk ?? result.chunks[0];
  const corpus = query.corpus ?? result.corpora[0].name;
  const find = (name: ContenderName) =>
    result.cells.find(
      (cell) =>
        cell.contender === name &&
        cell.operation === query.operation &&
        cell.level === query.level &&
        cell.chunk === chunk &&
        cell.corpus === corpus,
    );
  const ours = find(contender);
  const theirs = find(baseline);
  return ours && theirs ? ours.throughput.median / theirs.throughput.median : NaN;
}

export function findCell(result: GridResult, contender: ContenderName, query: CellQuery): GridCell | undefined {
  const chunk = query.chunk ?? result.chunks[0];
  const corpus = query.corpus ?? result.corpora[0].name;
  return result.cells.find(
    (cell) =>
      cell.contender === contender &&
      cell.operation === query.operation &&
      cell.level === query.level &&
      cell.chunk === chunk &&
      cell.corpus === corpus,
  );
}
