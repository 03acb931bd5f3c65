/**
 * The zlib engine's deflate output is byte-identical to native zlib built
 * with gcc from the same verified source, across the parameter grid.
 */
import { describe, expect, test } from 'vitest';
import { corpus } from '../../tools/corpus/corpus.js';
import type { Format } from '../../src/engines/engine.js';
import {
  deflateRawSync,
  deflateSync,
  gzipSync,
  type DeflateOptions,
  type Level,
  type Strategy,
} from '../../src/index.js';
import { nativeDeflate, type NativeJob } from '../support/native.js';
import { runWorker } from '../support/run-worker.js';
import { yieldToLoop } from '../support/yield-to-loop.js';

const oneShot: Record<Format, (data: Uint8Array, options: DeflateOptions) => Buffer> = {
  raw: deflateRawSync,
  zlib: deflateSync,
  gzip: gzipSync,
};
/** Inputs larger than this are deflated in a worker thread (the same one-shot, from dist/): the 8 MiB corpus. */
const OFF_THREAD_BYTES = 1 << 20;

async function deflateOffThread(format: Format, input: Uint8Array, options: DeflateOptions): Promise<Buffer> {
  // The worker reports only when done: its quiet limit is a hang guard for the whole deflate on a busy machine.
  const done = await runWorker(
    new URL('../support/one-shot-deflate-worker.mjs', import.meta.url),
    { format, input, options },
    600_000,
  );
  return Buffer.from(done.output as Uint8Array);
}

const zlibWindowBits = (format: Format, windowBits: number) =>
  format === 'raw' ? -windowBits : format === 'gzip' ? windowBits + 16 : windowBits;

interface Case {
  format: Format;
  level: Level;
  windowBits: number;
  memLevel: number;
  strategy: Strategy;
  input: Uint8Array;
  inputName: string;
  dictionary?: Uint8Array;
}

async function compareAll(cases: Case[]): Promise<void> {
  const jobs: NativeJob[] = cases.map((c) => ({
    windowBits: zlibWindowBits(c.format, c.windowBits),
    level: c.level,
    memLevel: c.memLevel,
    strategy: c.strategy,
    input: c.input,
    dictionary: c.dictionary,
  }));
  const expected = await nativeDeflate(jobs);
  const mismatches: string[] = [];
  for (const [index, c] of cases.entries()) {
    // The grid is tens of seconds of synchronous work on a busy machine: one case at a time.
    await yieldToLoop();
    const native = expected[index];
    const label = `${c.format} level ${c.level} windowBits ${c.windowBits} memLevel ${c.memLevel} strategy ${c.strategy} ${c.inputName}${c.dictionary ? ' +dict' : ''}`;
    const options: DeflateOptions = {
      level: c.level,
      windowBits: c.windowBits,
      memLevel: c.memLevel,
      strategy: c.strategy,
      dictionary: c.dictionary,
    };
    const run = () => oneShot[c.format](c.input, options);
    if (native === undefined) {
      // zlib refuses a dictionary on gzip streams; zaccel ignores it, as node:zlib does (a gzip stream has no place for one).
      if (c.format === 'gzip' && c.dictionary)
        expect(
          run().equals(
            oneShot.gzip(c.input, {
              level: c.level,
              windowBits: c.windowBits,
              memLevel: c.memLevel,
              strategy: c.strategy,
            }),
          ),
        ).toBe(true);
      else mismatches.push(`${label}: native refused`);
      continue;
    }
    const ours = c.input.length > OFF_THREAD_BYTES ? await deflateOffThread(c.format, c.input, options) : run();
    if (!ours.equals(native)) mismatches.push(`${label}: ${ours.length} bytes vs native ${native.length}`);
  }
  expect(mismatches).toEqual([]);
}

const levels: Level[] = [-1, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
const strategies: Strategy[] = [0, 1, 2, 3, 4];
const mixed = corpus('mixed', 96 * 1024, 11);
const text = corpus('text', 48 * 1024, 12);
const dictionary = corpus('text', 4 * 1024, 13);

// Tens of seconds on a busy machine: the limit is a hang guard.
describe('zlib engine deflate is byte-identical to native zlib 1.3.1', { timeout: 600_000 }, () => {
  test('every level x strategy x windowBits {9,12,15} x memLevel {1,8,9} (zlib format, mixed corpus)', async () => {
    const cases: Case[] = [];
    for (const level of levels)
      for (const strategy of strategies)
        for (const windowBits of [9, 12, 15])
          for (const memLevel of [1, 8, 9])
            cases.push({ format: 'zlib', level, strategy, windowBits, memLevel, input: mixed, inputName: 'mixed' });
    expect(cases.length).toBe(495);
    await compareAll(cases);
  });

  test('every format, with and without a dictionary, across levels, strategies and windows', async () => {
    const cases: Case[] = [];
    for (const format of ['raw', 'zlib', 'gzip'] as Format[])
      for (const withDictionary of [false, true])
        for (const level of levels)
          for (const strategy of strategies)
            for (const windowBits of [9, 15])
              cases.push({
                format,
                level,
                strategy,
                windowBits,
                memLevel: 8,
                input: text,
                inputName: 'text',
                dictionary: withDictionary ? dictionary : undefined,
              });
    await compareAll(cases);
  });

  test('every corpus kind: text, binary, zeros, random, empty, 1 byte and 8 MiB', async () => {
    const inputs: [string, Uint8Array][] = [
      ['text', corpus('text', 256 * 1024, 21)],
      ['binary', corpus('binary', 256 * 1024, 22)],
      ['zeros', corpus('zeros', 256 * 1024)],
      ['random', corpus('random', 256 * 1024, 23)],
      ['empty', new Uint8Array(0)],
      ['one byte', new Uint8Array([0x5a])],
      ['8 MiB mixed', corpus('mixed', 8 * 1024 * 1024, 24)],
    ];
    const cases: Case[] = [];
    for (const [inputName, input] of inputs)
      for (const format of ['raw', 'zlib', 'gzip'] as Format[])
        for (const level of (input.length > 1024 * 1024 ? [1, 6, 9] : [-1, 0, 1, 6, 9]) as Level[])
          cases.push({ format, level, strategy: 0, windowBits: 15, memLevel: 8, input, inputName });
    await compareAll(cases);
  });
});
