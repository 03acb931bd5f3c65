/**
 * The one-shot suite: whole-buffer calls, as users make them (`deflateSync(buffer)`, `inflateSync(buffer)`,
 * compress2() and uncompress() in C), for every contender, on the mixed corpus at 64 KiB, 1 MiB and 16 MiB,
 * and per corpus kind (text, binary, VM pages, mixed; and `--file` inputs) at one size. As in the grid, all
 * contenders run a cell one after another in an order that rotates between repetitions, so ratios come from
 * the same run under the same load; figures are medians with their min-max spread.
 *
 * Times here are CPU time (the process's user + system), not wall time: on a shared machine a process that
 * waits for a core loses wall time but not CPU time, and a single-threaded whole-buffer call uses one core
 * either way. zref reports its CPU time too, so the ratios to native compare like with like.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as nodeZlib from 'node:zlib';
import * as fflate from 'fflate';
import pako from 'pako';
import { deflateSync, inflateSync, type Level, type Machine } from '../../src/index.js';
import type { ContenderName } from './contender-names.js';
import type { Operation } from './grid-suite.js';
import { runNativeOneShot } from './native-reference.js';
import { megabytesPerSecond, spread, type Spread } from './statistics.js';

/** A contender's whole-buffer calls; the native reference is timed by zref instead. */
interface OneShotCalls {
  name: ContenderName;
  native: boolean;
  levels: (level: Level) => boolean;
  deflate(data: Uint8Array, level: Level): Uint8Array;
  /** Inflate a whole zlib stream whose uncompressed size is `length`; returns the output's length. */
  inflate(compressed: Uint8Array, length: number): number;
}

function oneShotCalls(name: ContenderName, machine: Machine): OneShotCalls {
  const dfltcc = (model: 'single' | 'multiple') => ({ machine, engine: 'dfltcc' as const, dfltccModel: model });
  switch (name) {
    case 'zaccel zlib (wasm)':
      return {
        name,
        native: false,
        levels: () => true,
        deflate: (data, level) => deflateSync(data, { machine, level }),
        inflate: (compressed) => inflateSync(compressed, { machine }).length,
      };
    case 'zaccel dfltcc single':
    case 'zaccel dfltcc multiple': {
      const options = dfltcc(name === 'zaccel dfltcc single' ? 'single' : 'multiple');
      return {
        name,
        native: false,
        levels: (level) => level === 1,
        deflate: (data, level) => deflateSync(data, { ...options, level }),
        inflate: (compressed) => inflateSync(compressed, options).length,
      };
    }
    case 'native zlib (gcc)':
      return {
        name,
        native: true,
        levels: () => true,
        deflate: () => {
          throw new Error('the native reference is timed by zref');
        },
        inflate: () => {
          throw new Error('the native reference is timed by zref');
        },
      };
    case 'node:zlib':
      return {
        name,
        native: false,
        levels: () => true,
        deflate: (data, level) => nodeZlib.deflateSync(data, { level }),
        inflate: (compressed) => nodeZlib.inflateSync(compressed).length,
      };
    case 'pako':
      return {
        name,
        native: false,
        levels: () => true,
        deflate: (data, level) => pako.deflate(data, { level: level as pako.DeflateFunctionOptions['level'] }),
        inflate: (compressed) => pako.inflate(compressed).length,
      };
    case 'fflate':
      return {
        name,
        native: false,
        levels: () => true,
        deflate: (data, level) => fflate.zlibSync(data, { level: level as fflate.DeflateOptions['level'] }),
        // Given the size, as the C caller of uncompress() is: fflate then allocates the output once.
        inflate: (compressed, length) => fflate.unzlibSync(compressed, { out: new Uint8Array(length) }).length,
      };
  }
}

export interface OneShotOptions {
  machine: Machine;
  contenders: ContenderName[];
  /** Inputs of the size table: the mixed corpus at each size. */
  sized: { name: string; data: Uint8Array }[];
  /** Inputs of the per-kind table: each corpus kind (and `--file` input) at one size. */
  kinds: { name: string; data: Uint8Array }[];
  levels: Level[];
  repetitions: number;
  /** Minimum measuring time per cell, in seconds. */
  seconds: number;
  progress?: (message: string) => void;
}

export interface OneShotCell {
  contender: ContenderName;
  operation: Operation;
  /** The input's name: the corpus (with its size, in the size table) or the file. */
  corpus: string;
  bytes: number;
  level: Level;
  /** Uncompressed MB/s (10^6 bytes per second) over the repetitions. */
  throughput: Spread;
  /** Compressed size divided by the input size. */
  ratio: number;
}

export interface OneShotTable {
  inputs: { name: string; bytes: number }[];
  levels: Level[];
  cells: OneShotCell[];
}

export interface OneShotResult {
  repetitions: number;
  /** The mixed corpus at 64 KiB, 1 MiB and 16 MiB (those that fit the run's corpus size). */
  sizes: OneShotTable;
  /** Each corpus kind and `--file` input at one size. */
  kinds: OneShotTable;
}

const cpuSince = (start: NodeJS.CpuUsage) => {
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1e6;
};

/**
 * CPU seconds of one call: a warm-up of half the time (V8 first runs WebAssembly and JavaScript with its
 * baseline compilers and tiers hot code up while it runs, so the first calls measure the wrong code), then
 * calls until `seconds` of CPU time (and at least two) are spent.
 */
export function cpuSecondsPerCall(body: () => void, seconds: number): number {
  const warming = process.cpuUsage();
  do body();
  while (cpuSince(warming) < seconds / 2);
  const start = process.cpuUsage();
  let calls = 0;
  let spent = 0;
  do {
    body();
    calls++;
    spent = cpuSince(start);
  } while (spent < seconds || calls < 2);
  return spent / calls;
}

async function runTable(
  inputs: { name: string; data: Uint8Array }[],
  options: OneShotOptions,
  folder: string,
): Promise<OneShotTable> {
  const calls = options.contenders.map((name) => oneShotCalls(name, options.machine));
  const samples = new Map<
    string,
    { values: number[]; ratio: number; cell: Omit<OneShotCell, 'throughput' | 'ratio'> }
  >();
  for (const [index, input] of inputs.entries()) {
    const file = join(folder, `input-${index}.bin`);
    writeFileSync(file, input.data);
    const plain = Buffer.from(input.data.buffer, input.data.byteOffset, input.data.byteLength);
    const reference = new Map<Level, Buffer>();
    for (const level of options.levels) reference.set(level, nodeZlib.deflateSync(input.data, { level }));
    // Check every in-process contender's output once before timing anything.
    for (const contender of calls.filter((c) => !c.native)) {
      for (const level of options.levels.filter(contender.levels)) {
        if (!nodeZlib.inflateSync(contender.deflate(input.data, level)).equals(plain))
          throw new Error(`${contender.name} one-shot level ${level} does not round-trip`);
        if (contender.inflate(reference.get(level)!, input.data.length) !== input.data.length)
          throw new Error(`${contender.name} one-shot inflate is wrong`);
      }
    }
    for (let repetition = 0; repetition < options.repetitions; repetition++) {
      for (const level of options.levels) {
        for (const operation of ['deflate', 'inflate'] as Operation[]) {
          const runnable = calls.filter((c) => c.levels(level));
          const order = runnable.map((_, position) => runnable[(position + repetition) % runnable.length]);
          for (const contender of order) {
            // A turn of the event loop between cells: the progress line and signals get through.
            await new Promise((resolve) => setImmediate(resolve));
            options.progress?.(
              `one-shot ${input.name}, repetition ${repetition + 1}/${options.repetitions}, level ${level}, ${operation}: ${contender.name}`,
            );
            let seconds: number;
            let compressedBytes = reference.get(level)!.length;
            if (contender.native) {
              const native = await runNativeOneShot(operation, level, options.seconds, file);
              seconds = native.cpuSeconds / native.rounds;
              compressedBytes = native.compressedBytes;
            } else if (operation === 'deflate') {
              seconds = cpuSecondsPerCall(() => {
                compressedBytes = contender.deflate(input.data, level).length;
              }, options.seconds);
            } else {
              const compressed = reference.get(level)!;
              seconds = cpuSecondsPerCall(() => void contender.inflate(compressed, input.data.length), options.seconds);
            }
            const cell = { contender: contender.name, operation, corpus: input.name, bytes: input.data.length, level };
            const key = `${cell.contender}|${operation}|${input.name}|${level}`;
            const entry = samples.get(key) ?? {
              values: [],
              ratio: compressedBytes / Math.max(input.data.length, 1),
              cell,
            };
            entry.values.push(megabytesPerSecond(input.data.length, seconds));
            samples.set(key, entry);
          }
        }
      }
    }
  }
  return {
    inputs: inputs.map((input) => ({ name: input.name, bytes: input.data.length })),
    levels: options.levels,
    cells: [...samples.values()].map((entry) => ({
      ...entry.cell,
      throughput: spread(entry.values),
      ratio: entry.ratio,
    })),
  };
}

export async function runOneShotSuite(options: OneShotOptions): Promise<OneShotResult> {
  const folder = mkdtempSync(join(tmpdir(), 'zaccel-one-shot-'));
  try {
    return {
      repetitions: options.repetitions,
      sizes: await runTable(options.sized, options, folder),
      kinds: await runTable(options.kinds, options, folder),
    };
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
}

/** The median throughput of `contender` divided by that of `baseline` for one input, operation and level. */
export function oneShotRatio(
  table: OneShotTable,
  contender: ContenderName,
  baseline: ContenderName,
  operation: Operation,
  level: Level,
  corpus: string,
): number {
  const find = (name: ContenderName) =>
    table.cells.find(
      (c) => c.contender === name && c.operation === operation && c.level === level && c.corpus === corpus,
    );
  const ours = find(contender);
  const theirs = find(baseline);
  return ours && theirs ? ours.throughput.median / theirs.throughput.median : NaN;
}

/** A size for a table row: 65536 → "64 KiB". */
export function sizeLabel(bytes: number): string {
  if (bytes >= 2 ** 20 && bytes % 2 ** 20 === 0) return `${bytes / 2 ** 20} MiB`;
  if (bytes >= 1024 && bytes % 1024 === 0) return `${bytes / 1024} KiB`;
  return `${bytes} B`;
}
