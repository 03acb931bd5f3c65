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

export interface CmprAbOptions {
  /** The dfltcc.wasm to compare against. */
  baseline: string;
  megabytes?: number;
  /** Rounds, the first of which is a warm-up (at least 2). */
  rounds?: number;
  model?: 'single' | 'multiple';
  kinds?: CorpusName[];
}

export interface CmprAbRow {
  kind: CorpusName;
  model: 'single' | 'multiple';
  megabytes: number;
  rounds: number;
  baselineMs: number;
  builtMs: number;
  /** Median of the per-round ratios baseline time ÷ built time: above 1, the build is faster. */
  speedRatio: number;
  baselineBytes: number;
  builtBytes: number;
}

export async function runCmprAb(options: CmprAbOptions): Promise<CmprAbRow[]> {
  const model = options.model ?? 'multiple';
  const megabytes = options.megabytes ?? 8;
  const rounds = Math.max(2, options.rounds ?? 21);
  const kinds = options.kinds ?? ['text', 'binary', 'vm-pages', 'random', 'mixed'];
  const folder = baselinePackage(options.baseline);
  try {
    const baseline = (await import(pathToFileURL(join(folder, 'dist', 'src', 'index.js')).href)) as Library;
    const libraries: Library[] = [baseline, built];
    const inputs = kinds.map((kind) => corpus(kind, Math.round(megabytes * 1048576), 1));
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
    return kinds.map((kind, k) => {
      const ratios = times[k][0].map((before, round) => before / times[k][1][round]);
      return {
        kind,
        model,
        megabytes,
        rounds: rounds - 1,
        baselineMs: Number(median(times[k][0]).toFixed(1)),
        builtMs: Number(median(times[k][1]).toFixed(1)),
        speedRatio: Number(median(ratios).toFixed(3)),
        baselineBytes: sizes[k][0],
        builtBytes: sizes[k][1],
      };
    });
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
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
  const rows = await runCmprAb({
    baseline: values.baseline,
    megabytes: Number(values.megabytes),
    rounds: Number(values.rounds),
    model: values.model === 'single' ? 'single' : 'multiple',
    kinds: values.kinds.split(',') as CorpusName[],
  });
  for (const row of rows) console.log(JSON.stringify(row));
}
