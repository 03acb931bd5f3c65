/**
 * The CLI through real processes: compress and decompress files and pipes,
 * clear errors with nonzero exits, and no half-written output files.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as nodeZlib from 'node:zlib';
import { describe, expect, test } from 'vitest';
import { corpus } from '../tools/corpus/corpus.js';
import { packageRoot } from '../src/machine/modules.js';

const cli = join(packageRoot(), 'dist/tools/cli/main.js');
const zaccel = (args: string[], input?: Buffer) => spawnSync(process.execPath, [cli, ...args], { input, maxBuffer: 1 << 28 });
const folder = mkdtempSync(join(tmpdir(), 'zaccel-cli-'));
const data = Buffer.from(corpus('mixed', 1_500_000, 3));
const inputFile = join(folder, 'input.bin');
writeFileSync(inputFile, data);

describe('zaccel compress / decompress', () => {
  test('file to file, every format, decodes with node:zlib and back', () => {
    for (const [format, decode] of [['gzip', nodeZlib.gunzipSync], ['zlib', nodeZlib.inflateSync], ['raw', nodeZlib.inflateRawSync]] as const) {
      const out = join(folder, `out.${format}`);
      const run = zaccel(['compress', inputFile, '-o', out, '--format', format, '--level', '9']);
      expect(run.status, run.stderr.toString()).toBe(0);
      expect(decode(readFileSync(out)).equals(data)).toBe(true);
      const back = join(folder, `back.${format}`);
      const restore = zaccel(['decompress', out, '-o', back, '--format', format]);
      expect(restore.status, restore.stderr.toString()).toBe(0);
      expect(readFileSync(back).equals(data)).toBe(true);
    }
  });

  test('the dfltcc engine from the command line, with its model and CPU amount', () => {
    const out = join(folder, 'dfltcc.gz');
    const run = zaccel(['compress', inputFile, '-o', out, '--engine', 'dfltcc', '--level', '1', '--model', 'single', '--cpu-amount', '4096']);
    expect(run.status, run.stderr.toString()).toBe(0);
    const compressed = readFileSync(out);
    expect(compressed.equals(nodeZlib.gzipSync(data, { level: 1 }))).toBe(false);
    expect(nodeZlib.gunzipSync(compressed).equals(data)).toBe(true);
    const restored = zaccel(['decompress', out, '--engine', 'dfltcc']);
    expect(restored.status).toBe(0);
    expect(restored.stdout.equals(data)).toBe(true);
    expect(zaccel(['compress', inputFile, '--engine', 'dfltcc', '--model', 'triple']).status).toBe(2);
  });

  test('stdin to stdout, with auto-detected format', () => {
    const compressed = zaccel(['compress', '--level', '1'], data);
    expect(compressed.status).toBe(0);
    expect(nodeZlib.gunzipSync(compressed.stdout).equals(data)).toBe(true);
    const restored = zaccel(['decompress'], compressed.stdout);
    expect(restored.status).toBe(0);
    expect(restored.stdout.equals(data)).toBe(true);
  });

  test('corrupt input: clear coded message, nonzero exit, no output file left behind', () => {
    const corrupt = nodeZlib.gzipSync(data);
    corrupt[corrupt.length - 6] ^= 0xff; // damage the CRC
    const bad = join(folder, 'bad.gz');
    writeFileSync(bad, corrupt);
    const out = join(folder, 'never.bin');
    const run = zaccel(['decompress', bad, '-o', out]);
    expect(run.status).toBe(1);
    expect(run.stderr.toString()).toMatch(/ZACCEL_DATA_ERROR: incorrect data check/);
    expect(existsSync(out)).toBe(false);
    expect(readdirSync(folder).filter((name) => name.includes('partial'))).toEqual([]);
  });

  test('truncated input and output limits fail without output', () => {
    const truncated = join(folder, 'truncated.gz');
    writeFileSync(truncated, nodeZlib.gzipSync(data).subarray(0, 1000));
    const out = join(folder, 'truncated.out');
    const run = zaccel(['decompress', truncated, '-o', out]);
    expect(run.status).toBe(1);
    expect(run.stderr.toString()).toMatch(/ZACCEL_TRUNCATED/);
    expect(existsSync(out)).toBe(false);
    const limited = zaccel(['decompress', '--max-output', '1000'], nodeZlib.gzipSync(data));
    expect(limited.status).toBe(1);
    expect(limited.stderr.toString()).toMatch(/ZACCEL_OUTPUT_LIMIT/);
  });

  test('bad options exit 2 with a message; a missing file exits 1', () => {
    const level = zaccel(['compress', inputFile, '-o', join(folder, 'x'), '--level', '12']);
    expect(level.status).toBe(2);
    expect(level.stderr.toString()).toMatch(/ZACCEL_BAD_OPTION: .*"options.level".*Received 12/);
    const format = zaccel(['compress', inputFile, '--format', 'lzma']);
    expect(format.status).toBe(2);
    const missing = zaccel(['compress', join(folder, 'nope'), '-o', join(folder, 'y')]);
    expect(missing.status).toBe(1);
    expect(missing.stderr.toString()).toMatch(/ENOENT/);
    expect(existsSync(join(folder, 'y'))).toBe(false);
  });
});
