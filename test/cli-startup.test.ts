/**
 * What `zaccel compress` and `zaccel decompress` load: no third-party module
 * (so they start fast, and work where only zaccel is installed), and not the
 * other commands. Two independent proofs: a load hook lists every module the
 * process loads, and a copy of the package with no node_modules at all still
 * compresses, while `bench` there says what to install.
 */
import { cpSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as nodeZlib from 'node:zlib';
import { describe, expect, test } from 'vitest';
import { packageRoot } from '../src/machine/modules.js';
import { zaccel } from './support/cli-process.js';

const folder = mkdtempSync(join(tmpdir(), 'zaccel-startup-'));
const small = join(folder, 'small.txt');
writeFileSync(small, 'a small file, as gzip would be timed on\n'.repeat(100));
const preload = join(packageRoot(), 'test/support/module-log.mjs');

/** Every module URL the command loaded, through the load hook of test/support/module-log.mjs. */
async function modulesLoadedBy(args: string[], input?: Buffer): Promise<string[]> {
  const log = join(folder, `modules-${Math.random().toString(16).slice(2)}.log`);
  writeFileSync(log, '');
  const run = await zaccel(args, {
    input,
    nodeArgs: ['--import', preload],
    env: { ...process.env, ZACCEL_MODULE_LOG: log },
  });
  expect(run.status, run.stderr).toBe(0);
  return readFileSync(log, 'utf8').split('\n').filter(Boolean);
}

describe('start-up', () => {
  test('the load hook sees third-party modules when they load (so its silence below means something)', async () => {
    const log = join(folder, 'hook-check.log');
    writeFileSync(log, '');
    const run = await zaccel([], {
      script: join(packageRoot(), 'test/support/import-a-package.mjs'),
      nodeArgs: ['--import', preload],
      env: { ...process.env, ZACCEL_MODULE_LOG: log },
    });
    expect(run.status, run.stderr).toBe(0);
    expect(readFileSync(log, 'utf8')).toMatch(/\/node_modules\/pako\//);
  });

  test('compress and decompress load no node_modules file, and no other command', async () => {
    const compressed = nodeZlib.gzipSync(readFileSync(small));
    for (const [args, input] of [
      [['compress', '-c', small]],
      [['decompress'], compressed],
      [['-d'], compressed],
    ] as const) {
      const modules = await modulesLoadedBy([...args], input);
      expect(
        modules.some((url) => url.endsWith('/dist/tools/cli/codec-commands.js')),
        args.join(' '),
      ).toBe(true);
      expect(
        modules.filter((url) => url.includes('/node_modules/')),
        args.join(' '),
      ).toEqual([]);
      expect(
        modules.filter((url) => /\/dist\/(server|tools\/(bench|http-bench|hazard|migrate|findings))\//.test(url)),
        args.join(' '),
      ).toEqual([]);
      expect(
        modules.filter((url) => /-command\.js$/.test(url) && !url.endsWith('/codec-commands.js')),
        args.join(' '),
      ).toEqual([]);
    }
  });

  test('--version and --help load no command at all', async () => {
    for (const args of [['--version'], ['--help']]) {
      const modules = await modulesLoadedBy(args);
      expect(
        modules.filter((url) => url.includes('/node_modules/') || /-commands?\.js$/.test(url)),
        args.join(' '),
      ).toEqual([]);
    }
  });

  test('a copy of the package with no node_modules: compress and decompress work, bench --help too, bench says what to install', async () => {
    const copy = join(folder, 'package');
    mkdirSync(join(copy, 'wasm/build'), { recursive: true });
    mkdirSync(join(copy, 'asm/build'), { recursive: true });
    cpSync(join(packageRoot(), 'dist'), join(copy, 'dist'), { recursive: true });
    cpSync(join(packageRoot(), 'package.json'), join(copy, 'package.json'));
    cpSync(join(packageRoot(), 'wasm/build/zlib.wasm'), join(copy, 'wasm/build/zlib.wasm'));
    cpSync(join(packageRoot(), 'asm/build/dfltcc.wasm'), join(copy, 'asm/build/dfltcc.wasm'));
    const script = join(copy, 'dist/tools/cli/main.js');
    const data = readFileSync(small);
    const compressed = await zaccel(['compress', '-9'], { script, input: data });
    expect(compressed.status, compressed.stderr).toBe(0);
    expect(nodeZlib.gunzipSync(compressed.stdout).equals(data)).toBe(true);
    const restored = await zaccel(['-d'], { script, input: compressed.stdout });
    expect(restored.status, restored.stderr).toBe(0);
    expect(restored.stdout.equals(data)).toBe(true);
    const benchHelp = await zaccel(['bench', '--help'], { script });
    expect(benchHelp.status, benchHelp.stderr).toBe(0);
    expect(benchHelp.stdout.toString()).toMatch(
      /--contenders LIST +contenders, comma-separated \(default all: zaccel zlib \(wasm\), /,
    );
    const bench = await zaccel(['bench', '--quick', '--out', join(folder, 'charts')], { script });
    expect(bench.status).toBe(1);
    expect(bench.stderr).toMatch(
      /^zaccel: bench needs packages that are not installed: tinybench, pako, fflate \(the benchmark itself\); autocannon \(the http suite/,
    );
    expect(bench.stderr).toMatch(
      /vega, vega-lite \(the charts of --out\)\. Install them with: npm install tinybench pako fflate autocannon vega vega-lite\n$/,
    );
  });
});
