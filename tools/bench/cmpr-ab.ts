/**
 * Same-process A/B of the DFLTCC emulator's compression: the library with a
 * baseline dfltcc.wasm against the library as built, both driven through
 * createDeflateCore ('zlib' format, engine 'dfltcc', level 1) in 64 KiB writes. On a shared,
 * noisy machine only a comparison within one process, alternating the two
 * modules round by round, gives ratios that hold (issue 10: within 10 % of
 * the speed before the z15 parse rules).
 *
 * Run: node dist/tools/bench/cmpr-ab.js --baseline path/to/dfltcc.wasm
 *        [--megabytes 8] [--rounds 21] [--model multiple|single] [--kinds text,binary,vm-pages,random,mixed]
 *
 * The baseline runs from a temporary copy of this package's dist/ (a module
 * graph of its own, so each copy compiles its own dfltcc.wasm). Each round
 * compresses every corpus kind with both, in alternating order; the first
 * round is a warm-up. It prints one JSON object per kind: the median CPU
 * milliseconds of each and the median of the per-round throughput ratios
 * (built ÷ baseline; above 1 is faster), with the compressed sizes.
 */
import { copyFileSync, cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import * as built from '../../src/index.js';
import { packageRoot } from '../../src/internal.js';
import { type CorpusName, corpus } from '../corpus/corpus.js';

type Library = typeof built;

const WRITE_BYTES = 65536;

/** A copy of this package's dist/ whose dfltcc.wasm is `baseline`; returns its folder. */
function baselinePackage(baseline: string): string {
  const root = packageRoot();
  const folder = mkdtempSync(join(tmpdir(), 'zaccel-cmpr-ab-'));
  copyFileSync(join(root, 'package.json'), join(folder, 'package.json'));
  cpSync(join(root, 'dist'), join(folder, 'dist'), { recursive: true });
  symlinkSync(join(root, 'node_modules'), join(folder, 'node_modules'));
  mkdirSync(join(folder, 'wasm', 'build'), { recursive: true });
  copyFileSync(join(root, 'wasm', 'build', 'zlib.wasm'), join(folder, 'wasm', 'build', 'zlib.wasm'));
  mkdirSync(join(folder, 'asm', 'build'), { recursive: true });
  copyFileSync(baseline, join(folder, 'asm', 'build', 'dfltcc.wasm'));
  return folder;
}

/** CPU milliseconds to compress `input` in 64 KiB writes, and the compressed size. */
function compressOnce(library: Library, input: Uint8Array, model: 'single' | 'multiple'): [number, number] {
  const core = library.createDeflateCore('zlib', { engine: 'dfltcc', level: 1, dfltccModel: model });
  let size = 0;
  core.ondata = (chunk) => {
    size += chunk.length;
  };
  const start = process.cpuUsage();
  for (let offset = 0; offset < input.length; offset += WRITE_BYTES) {
    const end = Math.min(offset + WRITE_BYTES, input.length);
    const flush = end === input.length ? library.constants.Z_FINISH : library.constants.Z_NO_FLUSH;
    core.push(input.subarray(offset, end), flush);
  }
  const used = process.cpuUsage(start);
  core.close();
  return [(used.user + used.system) / 1000, size];
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[sorted.length >> 1];
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      baseline: { type: 'string' },
      megabytes: { type: 'string', default: '8' },
      rounds: { type: 'string', default: '21' },
      model: { type: 'string', default: 'multiple' },
      kinds: { type: 'string', default: 'text,binary,vm-pages,random,mixed' },
    },
  });
  if (values.baseline === undefined) throw new Error('--baseline path/to/dfltcc.wasm is required');
  const model = values.model === 'single' ? 'single' : 'multiple';
  const rounds = Math.max(2, Number(values.rounds));
  const kinds = values.kinds.split(',') as CorpusName[];
  const folder = baselinePackage(values.baseline);
  try {
    const baseline = (await import(pathToFileURL(join(folder, 'dist', 'src', 'index.js')).href)) as Library;
    const libraries: Library[] = [baseline, built];
    const inputs = kinds.map((kind) => corpus(kind, Number(values.megabytes) * 1048576, 1));
    const times = kinds.map(() => libraries.map((): number[] => []));
    const sizes = kinds.map(() => libraries.map(() => 0));
    for (let round = 0; round < rounds; round++) {
      for (let k = 0; k < kinds.length; k++) {
        const order = round % 2 === 0 ? [0, 1] : [1, 0];
        for (const which of order) {
          const [milliseconds, size] = compressOnce(libraries[which], inputs[k], model);
          if (round > 0) times[k][which].push(milliseconds);
          sizes[k][which] = size;
        }
      }
    }
    for (let k = 0; k < kinds.length; k++) {
      const ratios = times[k][0].map((before, round) => before / times[k][1][round]);
      const row = {
        kind: kinds[k],
        model,
        megabytes: Number(values.megabytes),
        rounds: rounds - 1,
        baselineMs: Number(median(times[k][0]).toFixed(1)),
        builtMs: Number(median(times[k][1]).toFixed(1)),
        speedRatio: Number(median(ratios).toFixed(3)),
        baselineBytes: sizes[k][0],
        builtBytes: sizes[k][1],
      };
      console.log(JSON.stringify(row));
    }
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
}

await main();
