/**
 * gzip's habits on the real CLI: -d, -c, -k, -f, -1 … -9, --version, the
 * FILE → FILE.gz naming, refusing to overwrite, never writing through a
 * symlink, usage errors that exit 2, and help that lists only accepted values.
 */
import {
  chmodSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readlinkSync,
  statSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as nodeZlib from 'node:zlib';
import { beforeEach, describe, expect, test } from 'vitest';
import { corpus } from '../tools/corpus/corpus.js';
import { deflateSync } from '../src/index.js';
import { packageRoot } from '../src/machine/modules.js';
import { zaccel } from './support/cli-process.js';

const data = Buffer.from(corpus('mixed', 200_000, 7));
let folder: string;
let file: string;

beforeEach(() => {
  folder = mkdtempSync(join(tmpdir(), 'zaccel-gzip-'));
  file = join(folder, 'notes.txt');
  writeFileSync(file, data);
});

describe('gzip-style files', () => {
  test('compress FILE writes FILE.gz with its mode and times and removes FILE; decompress reverses it', async () => {
    chmodSync(file, 0o640);
    utimesSync(file, new Date('2020-01-02T03:04:05Z'), new Date('2021-02-03T04:05:06Z'));
    const run = await zaccel(['compress', file]);
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout.length).toBe(0);
    expect(existsSync(file)).toBe(false);
    const compressed = statSync(`${file}.gz`);
    expect(compressed.mode & 0o777).toBe(0o640);
    expect(compressed.mtime.toISOString()).toBe('2021-02-03T04:05:06.000Z');
    expect(nodeZlib.gunzipSync(readFileSync(`${file}.gz`)).equals(data)).toBe(true);
    const back = await zaccel(['decompress', `${file}.gz`]);
    expect(back.status, back.stderr).toBe(0);
    expect(existsSync(`${file}.gz`)).toBe(false);
    expect(readFileSync(file).equals(data)).toBe(true);
  });

  test('-k keeps the input; -d decompresses, as a flag of compress and with no command at all', async () => {
    expect((await zaccel(['compress', '-k', file])).status).toBe(0);
    expect(existsSync(file)).toBe(true);
    const viaCompress = await zaccel(['compress', '-d', '-c', `${file}.gz`]);
    expect(viaCompress.status, viaCompress.stderr).toBe(0);
    expect(viaCompress.stdout.equals(data)).toBe(true);
    const bare = await zaccel(['-dc', `${file}.gz`]);
    expect(bare.status, bare.stderr).toBe(0);
    expect(bare.stdout.equals(data)).toBe(true);
    expect(existsSync(`${file}.gz`)).toBe(true);
    const gzipStyle = await zaccel(['-9', '-k', '-c', file]);
    expect(gzipStyle.status, gzipStyle.stderr).toBe(0);
    expect(nodeZlib.gunzipSync(gzipStyle.stdout).equals(data)).toBe(true);
  });

  test('-c (or -o -) writes stdout and keeps the input; several files become one multi-member stream', async () => {
    const other = join(folder, 'other.bin');
    writeFileSync(other, 'second member');
    const run = await zaccel(['compress', '-c', file, other]);
    expect(run.status, run.stderr).toBe(0);
    expect(existsSync(file) && existsSync(other)).toBe(true);
    expect(nodeZlib.gunzipSync(run.stdout).equals(Buffer.concat([data, Buffer.from('second member')]))).toBe(true);
    const dash = await zaccel(['compress', '-o', '-', other], { cwd: folder });
    expect(dash.status, dash.stderr).toBe(0);
    expect(nodeZlib.gunzipSync(dash.stdout).toString()).toBe('second member');
    expect(existsSync(join(folder, '-'))).toBe(false);
  });

  test('-1 … -9 set the level, the last one wins: the same bytes as the library at that level', async () => {
    expect(deflateSync(data, { level: 1 }).equals(deflateSync(data, { level: 9 }))).toBe(false);
    for (const [args, level] of [
      [['-1'], 1],
      [['-9'], 9],
      [['-9', '-1'], 1],
      [['--fast'], 1],
      [['--best'], 9],
      [['-1', '--level', '6'], 6],
      [['--level', '-1'], 6],
    ] as const) {
      const run = await zaccel(['compress', '-c', '--format', 'zlib', ...args, file]);
      expect(run.status, run.stderr).toBe(0);
      expect(run.stdout.equals(deflateSync(data, { level })), args.join(' ')).toBe(true);
    }
  });

  test('an existing output is refused without -f (exit 2, nothing changed) and replaced with it', async () => {
    writeFileSync(`${file}.gz`, 'precious');
    const refused = await zaccel(['compress', file]);
    expect(refused.status).toBe(2);
    expect(refused.stderr).toMatch(/notes\.txt\.gz already exists; not overwritten/);
    expect(readFileSync(`${file}.gz`, 'utf8')).toBe('precious');
    expect(existsSync(file)).toBe(true);
    const target = join(folder, 'out.gz');
    writeFileSync(target, 'precious too');
    expect((await zaccel(['compress', file, '-o', target])).status).toBe(2);
    expect(readFileSync(target, 'utf8')).toBe('precious too');
    const forced = await zaccel(['compress', '-f', file, '-o', target]);
    expect(forced.status, forced.stderr).toBe(0);
    expect(nodeZlib.gunzipSync(readFileSync(target)).equals(data)).toBe(true);
  });

  test('a symlink at the output is never followed: refused without -f, replaced (not written through) with it', async () => {
    const victim = join(folder, 'victim');
    writeFileSync(victim, 'do not touch');
    const link = join(folder, 'link.gz');
    symlinkSync(victim, link);
    const dangling = join(folder, 'dangling.gz');
    symlinkSync(join(folder, 'would-be-created'), dangling);
    for (const target of [link, dangling]) {
      const refused = await zaccel(['compress', file, '-o', target]);
      expect(refused.status).toBe(2);
      expect(readlinkSync(target)).toMatch(/victim|would-be-created/);
    }
    expect(existsSync(join(folder, 'would-be-created'))).toBe(false);
    const forced = await zaccel(['compress', '-f', file, '-o', link]);
    expect(forced.status, forced.stderr).toBe(0);
    expect(lstatSync(link).isSymbolicLink()).toBe(false);
    expect(readFileSync(victim, 'utf8')).toBe('do not touch');
  });

  test('names: FILE.gz is not compressed again without -f; decompress needs a known suffix; -S and --format zlib pick others', async () => {
    writeFileSync(`${file}.gz`, nodeZlib.gzipSync(data));
    const again = await zaccel(['compress', `${file}.gz`]);
    expect(again.status).toBe(2);
    expect(again.stderr).toMatch(/already has the \.gz suffix/);
    const unknown = await zaccel(['decompress', file]);
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toMatch(/has no known suffix/);
    expect((await zaccel(['compress', '--format', 'zlib', file])).status).toBe(0);
    expect(nodeZlib.inflateSync(readFileSync(`${file}.zz`)).equals(data)).toBe(true);
    writeFileSync(file, data);
    expect((await zaccel(['compress', '-S', '.z9', file])).status).toBe(0);
    const back = await zaccel(['decompress', '-S', '.z9', `${file}.z9`]);
    expect(back.status, back.stderr).toBe(0);
    expect(readFileSync(file).equals(data)).toBe(true);
  });

  test('one failing file among several: the others still run and the exit is 1; directories and symlinks are refused', async () => {
    const run = await zaccel(['compress', join(folder, 'missing'), file]);
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/missing: ENOENT/);
    expect(existsSync(`${file}.gz`)).toBe(true);
    const directory = join(folder, 'folder');
    mkdirSync(directory);
    expect((await zaccel(['compress', directory])).status).toBe(2);
    // A symlinked input is not replaced by FILE.gz without -f (gzip opens it with O_NOFOLLOW); -c reads through it.
    const link = join(folder, 'link.txt');
    symlinkSync(`${file}.gz`, link);
    const refused = await zaccel(['compress', link]);
    expect(refused.status).toBe(2);
    expect(refused.stderr).toMatch(/link\.txt is a symbolic link; ignored/);
    expect(lstatSync(link).isSymbolicLink() && !existsSync(`${link}.gz`)).toBe(true);
    expect((await zaccel(['compress', '-c', link])).status).toBe(0);
  });
});

describe('flags, help and usage errors', () => {
  test('--version and -V print the package version', async () => {
    const { version } = JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version: string };
    for (const flag of ['--version', '-V']) {
      const run = await zaccel([flag]);
      expect(run.status).toBe(0);
      expect(run.stdout.toString()).toBe(`zaccel ${version}\n`);
    }
  });

  test('usage errors exit 2: unknown flags and commands, -f and -l are no longer --format and --level', async () => {
    for (const args of [
      ['compress', '--bogus', file],
      ['compress', '-l', '9', file],
      ['compress', '-f', 'zlib', '-c', file], // -f is --force now: "zlib" is taken as a file, which is missing (exit 1)
      ['frobnicate'],
      ['compress', '-c', '-o', join(folder, 'x'), file],
      ['decompress', '--level', '9', file],
      ['compress', '--max-output', '10', file],
      ['compress', '--window-bits', '8', '-c', file],
      ['compress', '--window-bits', '16', '-c', file],
      ['compress', '--level', '+1', '-c', file],
      ['compress', '--strategy', 'huffman', '-c', file],
    ]) {
      const run = await zaccel(args);
      const expected = args[1] === '-f' ? 1 : 2;
      expect(run.status, `${args.join(' ')}: ${run.stderr}`).toBe(expected);
      expect(run.stderr, args.join(' ')).toMatch(/^zaccel: /);
    }
    expect(existsSync(file)).toBe(true);
  });

  test('--window-bits 9 … 15 and every strategy the help names are accepted, and decode', async () => {
    const help = (await zaccel(['compress', '--help'])).stdout.toString();
    const strategies = /--strategy NAME\s+compress: zlib strategy ([a-z, -]+) \(or its number/
      .exec(help)?.[1]
      .split(', ');
    expect(strategies).toEqual(['default', 'filtered', 'huffman-only', 'rle', 'fixed']);
    expect(help).toMatch(/--window-bits N\s+compress: window size, 9 to 15/);
    for (const [flag, values] of [
      ['--strategy', [...strategies!, '0', '4']],
      ['--window-bits', ['9', '15']],
    ] as const) {
      for (const value of values) {
        const run = await zaccel(['compress', '-c', flag, value, file]);
        expect(run.status, `${flag} ${value}: ${run.stderr}`).toBe(0);
        expect(nodeZlib.gunzipSync(run.stdout).equals(data)).toBe(true);
      }
    }
  });

  test('--help lists every command without loading them; each command has its own help', async () => {
    const run = await zaccel(['--help']);
    expect(run.status).toBe(0);
    for (const name of ['compress', 'decompress', 'bench', 'hazard', 'migrate', 'findings', 'serve']) {
      expect(run.stdout.toString()).toMatch(new RegExp(`^  ${name} +\\S`, 'm'));
      const own = await zaccel([name, '--help']);
      expect(own.status, own.stderr).toBe(0);
      expect(own.stdout.toString()).toMatch(new RegExp(`^usage: zaccel ${name} `));
    }
  });
});
