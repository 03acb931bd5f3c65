/**
 * The package as a consumer gets it: `npm pack`, then `npm install` of the tarball into an empty project with
 * `--engine-strict` and no emcc on the PATH (the tarball carries the built wasm; no build may run on the consumer),
 * then the library from ESM and from CommonJS, the CLI through npx, and the types in a strict consumer (no DOM lib,
 * `skipLibCheck: false`, node:zlib's callback type). @arethetypeswrong/cli checks the tarball's `exports`.
 *
 * The tarball is packed from a staging copy of the files `npm pack` would take, with the README rewritten as the
 * `prepack` script does: packing in the work tree itself would rewrite its README while other test files read it.
 * Every step is a child process, so the worker's event loop stays free.
 */
import { execFile } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { gunzipSync, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { packageRoot } from '../../src/machine/modules.js';
import { relativeLinks } from '../../tools/package/packed-readme.js';

const execFileAsync = promisify(execFile);
const root = packageRoot();
const scratch = mkdtempSync(join(tmpdir(), 'zaccel-tarball-'));
const consumer = join(scratch, 'consumer');
const installed = join(consumer, 'node_modules/zaccel');
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/**
 * A PATH with everything in the system's bin folders except emscripten's tools (em*): node, npm and sh stay
 * reachable, emcc does not. (node itself lives in /usr/bin next to emcc here, so dropping a folder is not enough.)
 */
function pathWithoutEmscripten(): string {
  const bin = join(scratch, 'bin');
  mkdirSync(bin);
  const folders = [dirname(process.execPath), ...(process.env.PATH ?? '').split(':')].filter((folder) =>
    existsSync(folder),
  );
  for (const folder of new Set(folders)) {
    for (const name of readdirSync(folder)) {
      if (name.startsWith('em') || existsSync(join(bin, name))) continue;
      symlinkSync(join(folder, name), join(bin, name));
    }
  }
  return bin;
}

interface Result {
  stdout: string;
  stderr: string;
}

let consumerEnv: NodeJS.ProcessEnv;

async function run(
  command: string,
  args: string[],
  options: { cwd?: string; input?: Buffer; env?: NodeJS.ProcessEnv } = {},
): Promise<Result> {
  const child = execFileAsync(command, args, {
    cwd: options.cwd ?? consumer,
    env: options.env ?? consumerEnv,
    encoding: 'latin1',
    maxBuffer: 64 * 1024 * 1024,
  });
  if (options.input !== undefined) child.child.stdin!.end(options.input);
  const { stdout, stderr } = await child;
  return { stdout, stderr };
}

beforeAll(async () => {
  // The files npm would pack, copied to a staging folder whose README gets the prepack rewrite.
  const listing = await run('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], {
    cwd: root,
    env: process.env,
  });
  const [{ files }] = JSON.parse(listing.stdout) as [{ files: { path: string }[] }];
  const staging = join(scratch, 'staging');
  for (const { path } of files) {
    mkdirSync(dirname(join(staging, path)), { recursive: true });
    cpSync(join(root, path), join(staging, path));
  }
  await run(process.execPath, [join(staging, 'dist/tools/package/packed-readme.js'), 'rewrite', staging], {
    cwd: staging,
    env: process.env,
  });
  rmSync(join(staging, 'README.md.orig'));
  const packed = await run('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', scratch], {
    cwd: staging,
    env: process.env,
  });
  const tarball = join(scratch, (JSON.parse(packed.stdout) as [{ filename: string }])[0].filename);

  consumerEnv = { ...process.env, PATH: pathWithoutEmscripten(), npm_config_update_notifier: 'false' };
  mkdirSync(consumer);
  writeFileSync(join(consumer, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'commonjs' }));
  await run('npm', ['install', '--engine-strict', '--prefer-offline', '--no-audit', '--no-fund', tarball]);
});

describe('the packed tarball, installed into an empty project', () => {
  test('emcc is not on the PATH the install ran with, and no build ran', async () => {
    await expect(run('sh', ['-c', 'command -v emcc'])).rejects.toThrow();
    expect(existsSync(join(installed, 'wasm/build/zref'))).toBe(false);
    expect(existsSync(join(installed, 'wasm/build/zlib-1.3.1'))).toBe(false);
  });

  test('it holds the built wasm, both licences, and a README whose links are absolute', () => {
    for (const file of ['wasm/build/zlib.wasm', 'asm/build/dfltcc.wasm', 'LICENSE', 'LICENSE-zlib']) {
      expect(existsSync(join(installed, file)), file).toBe(true);
    }
    expect(readFileSync(join(installed, 'LICENSE-zlib'), 'utf8')).toContain('Jean-loup Gailly and Mark Adler');
    const readme = readFileSync(join(installed, 'README.md'), 'utf8');
    expect(readme).toContain('](https://');
    expect(relativeLinks(readme)).toEqual([]);
  });

  test('every source map carries its sources', () => {
    const maps = readdirSync(join(installed, 'dist'), { recursive: true, encoding: 'utf8' }).filter((file) =>
      file.endsWith('.map'),
    );
    expect(maps.length).toBeGreaterThan(0);
    for (const file of maps) {
      const map = JSON.parse(readFileSync(join(installed, 'dist', file), 'utf8')) as {
        sources: string[];
        sourcesContent?: string[];
      };
      expect(map.sourcesContent?.length, file).toBe(map.sources.length);
    }
  });

  test('no chart, load-test or benchmark-competitor package came with it', () => {
    const modules = readdirSync(join(consumer, 'node_modules'));
    for (const name of ['vega', 'vega-lite', 'autocannon', 'tinybench', 'pako', 'fflate', 'd3-scale']) {
      expect(modules, name).not.toContain(name);
    }
  });

  test('ESM: import from zaccel round-trips with node:zlib', async () => {
    const script = `
      import { gzipSync, inflateSync, constants } from 'zaccel';
      import { deflateSync } from 'node:zlib';
      const gz = gzipSync('hello from ESM', { level: constants.Z_BEST_COMPRESSION });
      const back = inflateSync(deflateSync('and back'));
      process.stdout.write(JSON.stringify([gz.toString('base64'), back.toString()]));
    `;
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script]);
    const [gz, back] = JSON.parse(stdout) as [string, string];
    expect(gunzipSync(Buffer.from(gz, 'base64')).toString()).toBe('hello from ESM');
    expect(back).toBe('and back');
  });

  test('CommonJS: require(zaccel) works, for both engines', async () => {
    const script = `
      const zaccel = require('zaccel');
      const text = 'hello from CommonJS '.repeat(50);
      const results = zaccel.engineNames().map((engine) => zaccel.gunzipSync(zaccel.gzipSync(text, { engine })).toString() === text);
      process.stdout.write(JSON.stringify({ engines: zaccel.engineNames(), results }));
    `;
    const { stdout } = await run(process.execPath, ['-e', script]);
    expect(JSON.parse(stdout)).toEqual({ engines: ['zlib', 'dfltcc'], results: [true, true] });
  });

  test('the CLI: npx zaccel compress and decompress, through pipes', async () => {
    const input = Buffer.from('a line the CLI compresses\n'.repeat(1000));
    const compressed = await run('npx', ['--no-install', 'zaccel', 'compress'], { input });
    const bytes = Buffer.from(compressed.stdout, 'latin1');
    expect(gunzipSync(bytes).equals(input)).toBe(true);
    const restored = await run('npx', ['--no-install', 'zaccel', 'decompress'], { input: gzipSync(input) });
    expect(Buffer.from(restored.stdout, 'latin1').equals(input)).toBe(true);
  });

  test('types: a strict consumer without the DOM lib and with skipLibCheck false compiles, ESM and CommonJS', async () => {
    const types = join(consumer, 'types');
    mkdirSync(types);
    const body = `
      const compressed: Buffer = gzipSync('typed', { level: 9, engine: 'dfltcc' });
      // node:zlib's callback shape: a function written for node:zlib fits zaccel's.
      const callback: (error: Error | null, result: Buffer) => void = (error, result) => {
        if (error === null) process.stdout.write(result.toString());
      };
      gunzip(compressed, callback);
      zlib.gunzip(compressed, callback);
      const stream: Transform = createGzip({ level: 1 });
      stream.end('x');
      export const streams = [new CompressionStream('gzip'), new DecompressionStream('auto')];
    `;
    writeFileSync(
      join(types, 'esm.mts'),
      `import { createGzip, CompressionStream, DecompressionStream, gunzip, gzipSync } from 'zaccel';
       import zlib from 'node:zlib';
       import type { Transform } from 'node:stream';
       ${body}`,
    );
    writeFileSync(
      join(types, 'cjs.cts'),
      `import { createGzip, CompressionStream, DecompressionStream, gunzip, gzipSync } from 'zaccel';
       import zlib = require('node:zlib');
       import type { Transform } from 'node:stream';
       ${body}`,
    );
    writeFileSync(
      join(types, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          target: 'ES2022',
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          lib: ['ES2022'],
          types: ['node'],
          typeRoots: [join(root, 'node_modules/@types')],
          strict: true,
          exactOptionalPropertyTypes: true,
          skipLibCheck: false,
          noEmit: true,
        },
        files: ['esm.mts', 'cjs.cts'],
      }),
    );
    const tsc = run(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', types]);
    await expect(
      tsc.catch((error: { stdout: string }) => Promise.reject(new Error(error.stdout))),
    ).resolves.toBeDefined();
  });

  test('@arethetypeswrong/cli passes the exports (require resolves to ESM by design: require(esm), Node >= 20.19)', async () => {
    const tarball = readdirSync(scratch).find((name) => name.endsWith('.tgz'))!;
    const attw = join(root, 'node_modules/@arethetypeswrong/cli/dist/index.js');
    const { stdout } = await run(
      process.execPath,
      [attw, join(scratch, tarball), '--format', 'json', '--ignore-rules', 'cjs-resolves-to-esm'],
      {
        env: process.env,
      },
    );
    // attw exits non-zero on any problem not ignored; the JSON says which it saw and what it analysed.
    const report = JSON.parse(stdout) as {
      analysis: { entrypoints: Record<string, unknown> };
      problems: Record<string, unknown[]>;
    };
    expect(Object.keys(report.analysis.entrypoints)).toEqual(['.', './package.json']);
    expect(Object.keys(report.problems).filter((kind) => kind !== 'CJSResolvesToESM')).toEqual([]);
  });
});
