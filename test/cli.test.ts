/**
 * The CLI through real processes: compress and decompress files and pipes,
 * clear errors with nonzero exits, and no half-written output files.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as nodeZlib from 'node:zlib';
import { describe, expect, test } from 'vitest';
import { corpus } from '../tools/corpus/corpus.js';
import { zaccel } from './support/cli-process.js';

const folder = mkdtempSync(join(tmpdir(), 'zaccel-cli-'));
const data = Buffer.from(corpus('mixed', 1_500_000, 3));
const inputFile = join(folder, 'input.bin');
writeFileSync(inputFile, data);

describe('zaccel compress / decompress', () => {
  test('file to file, every format, decodes with node:zlib and back', async () => {
    for (const [format, decode] of [
      ['gzip', nodeZlib.gunzipSync],
      ['zlib', nodeZlib.inflateSync],
      ['raw', nodeZlib.inflateRawSync],
    ] as const) {
      const out = join(folder, `out.${format}`);
      const run = await zaccel(['compress', inputFile, '-o', out, '--format', format, '--level', '9']);
      expect(run.status, run.stderr).toBe(0);
      expect(decode(readFileSync(out)).equals(data)).toBe(true);
      const back = join(folder, `back.${format}`);
      const restore = await zaccel(['decompress', out, '-o', back, '--format', format]);
      expect(restore.status, restore.stderr).toBe(0);
      expect(readFileSync(back).equals(data)).toBe(true);
    }
  });

  test('the dfltcc engine from the command line, with its model and CPU amount', async () => {
    const out = join(folder, 'dfltcc.gz');
    const run = await zaccel([
      'compress',
      inputFile,
      '-o',
      out,
      '--engine',
      'dfltcc',
      '--level',
      '1',
      '--model',
      'single',
      '--cpu-amount',
      '4096',
    ]);
    expect(run.status, run.stderr).toBe(0);
    const compressed = readFileSync(out);
    expect(compressed.equals(nodeZlib.gzipSync(data, { level: 1 }))).toBe(false);
    expect(nodeZlib.gunzipSync(compressed).equals(data)).toBe(true);
    const restored = await zaccel(['decompress', '-c', out, '--engine', 'dfltcc']);
    expect(restored.status, restored.stderr).toBe(0);
    expect(restored.stdout.equals(data)).toBe(true);
    expect((await zaccel(['compress', '-c', inputFile, '--engine', 'dfltcc', '--model', 'triple'])).status).toBe(2);
  });

  test('stdin to stdout, with auto-detected format', async () => {
    const compressed = await zaccel(['compress', '--level', '1'], { input: data });
    expect(compressed.status, compressed.stderr).toBe(0);
    expect(nodeZlib.gunzipSync(compressed.stdout).equals(data)).toBe(true);
    const restored = await zaccel(['decompress'], { input: compressed.stdout });
    expect(restored.status, restored.stderr).toBe(0);
    expect(restored.stdout.equals(data)).toBe(true);
  });

  test('corrupt input: clear coded message, nonzero exit, no output file left behind', async () => {
    const corrupt = nodeZlib.gzipSync(data);
    corrupt[corrupt.length - 6] ^= 0xff; // damage the CRC
    const bad = join(folder, 'bad.gz');
    writeFileSync(bad, corrupt);
    const out = join(folder, 'never.bin');
    const run = await zaccel(['decompress', bad, '-o', out]);
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/ZACCEL_DATA_ERROR: incorrect data check/);
    expect(existsSync(out)).toBe(false);
    expect(readdirSync(folder).filter((name) => name.includes('partial'))).toEqual([]);
    // gzip's naming, too: bad.gz would become bad; it does not, and bad.gz stays.
    const derived = await zaccel(['decompress', bad]);
    expect(derived.status).toBe(1);
    expect(existsSync(join(folder, 'bad'))).toBe(false);
    expect(existsSync(bad)).toBe(true);
  });

  test('truncated input and output limits fail without output', async () => {
    const truncated = join(folder, 'truncated.gz');
    writeFileSync(truncated, nodeZlib.gzipSync(data).subarray(0, 1000));
    const out = join(folder, 'truncated.out');
    const run = await zaccel(['decompress', truncated, '-o', out]);
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/ZACCEL_TRUNCATED/);
    expect(existsSync(out)).toBe(false);
    const limited = await zaccel(['decompress', '--max-output', '1000'], { input: nodeZlib.gzipSync(data) });
    expect(limited.status).toBe(1);
    expect(limited.stderr).toMatch(/ZACCEL_OUTPUT_LIMIT/);
  });

  test('bad options exit 2 with a message; a missing file exits 1 and names its code once', async () => {
    const level = await zaccel(['compress', inputFile, '-o', join(folder, 'x'), '--level', '12']);
    expect(level.status).toBe(2);
    expect(level.stderr).toMatch(/ZACCEL_BAD_OPTION: .*'level'.*12/);
    expect(existsSync(join(folder, 'x'))).toBe(false);
    const format = await zaccel(['compress', '-c', inputFile, '--format', 'lzma']);
    expect(format.status).toBe(2);
    const missing = await zaccel(['compress', join(folder, 'nope'), '-o', join(folder, 'y')]);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toMatch(/^zaccel: .*nope: ENOENT: no such file or directory/);
    expect(missing.stderr).not.toMatch(/ENOENT: ENOENT/);
    expect(existsSync(join(folder, 'y'))).toBe(false);
  });
});
