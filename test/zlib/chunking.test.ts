/**
 * Streaming at every boundary: 1-byte pushes, growing and shrinking chunks
 * and random split points give exactly the one-shot result, and output after
 * a sync flush decodes with node:zlib before the stream ends.
 */
import * as nodeZlib from 'node:zlib';
import { describe, expect, test } from 'vitest';
import { corpus } from '../../tools/corpus/corpus.js';
import { constants, createDeflateCore, deflateSync, gzipSync } from '../../src/index.js';
import { growingShrinking, randomSplits, splitEvery } from '../support/chunks.js';
import { deflateChunks, inflateChunks } from '../support/streams.js';

const data = corpus('mixed', 40_000, 77);

describe('chunking gives the one-shot result', () => {
  for (const level of [1, 6, 9] as const) {
    const expected = deflateSync(data, { level });
    test(`deflate level ${level}: 1-byte pushes`, () => {
      expect(deflateChunks(splitEvery(data, 1), { level }).equals(expected)).toBe(true);
    });
    test(`deflate level ${level}: growing and shrinking chunks`, () => {
      expect(deflateChunks(growingShrinking(data, 700), { level }).equals(expected)).toBe(true);
    });
    test(`deflate level ${level}: random split points`, () => {
      for (const seed of [1, 2, 3])
        expect(deflateChunks(randomSplits(data, seed, 5000), { level }).equals(expected)).toBe(true);
    });
  }

  test('deflate with tiny output chunks (chunkSize 64) equals the one-shot', () => {
    expect(
      deflateChunks(splitEvery(data, 999), { level: 6, chunkSize: 64 }).equals(deflateSync(data, { level: 6 })),
    ).toBe(true);
  });

  test('gzip at random split points equals the one-shot', () => {
    expect(deflateChunks(randomSplits(data, 9, 3000), {}, 'gzip').equals(gzipSync(data))).toBe(true);
  });

  test('inflate: 1-byte pushes, growing/shrinking and random splits', () => {
    const compressed = nodeZlib.gzipSync(data);
    const expected = Buffer.from(data);
    expect(inflateChunks(splitEvery(compressed, 1), 'gzip').equals(expected)).toBe(true);
    expect(inflateChunks(growingShrinking(compressed, 300), 'gzip').equals(expected)).toBe(true);
    for (const seed of [4, 5, 6])
      expect(inflateChunks(randomSplits(compressed, seed, 2000), 'gzip').equals(expected)).toBe(true);
  });
});

describe('flush modes', () => {
  test('after each sync flush, all output so far decodes with node:zlib before the stream ends', () => {
    const core = createDeflateCore('raw', { level: 6 });
    const out: Buffer[] = [];
    core.ondata = (chunk) => out.push(chunk);
    const inflater = nodeZlib.createInflateRaw();
    const pages = splitEvery(corpus('vm-pages', 64 * 1024, 3), 4096);
    let sent = 0;
    for (const page of pages) {
      core.push(page, constants.Z_SYNC_FLUSH);
      sent += page.length;
      const soFar = Buffer.concat(out);
      // A sync flush ends on a byte boundary with an empty stored block: 00 00 ff ff.
      expect(soFar.subarray(-4).equals(Buffer.from([0, 0, 0xff, 0xff]))).toBe(true);
      const decoded = nodeZlib.inflateRawSync(soFar, { finishFlush: constants.Z_SYNC_FLUSH });
      expect(decoded.length).toBe(sent);
      expect(decoded.equals(Buffer.concat(pages.slice(0, decoded.length / 4096)))).toBe(true);
    }
    core.close();
    inflater.destroy();
  });

  test('every flush mode produces a stream node:zlib decodes', () => {
    for (const flush of [
      constants.Z_NO_FLUSH,
      constants.Z_PARTIAL_FLUSH,
      constants.Z_SYNC_FLUSH,
      constants.Z_FULL_FLUSH,
      constants.Z_BLOCK,
    ]) {
      const core = createDeflateCore('zlib', {});
      const out: Buffer[] = [];
      core.ondata = (chunk) => out.push(chunk);
      for (const chunk of splitEvery(data, 3000)) core.push(chunk, flush as 0);
      core.push(new Uint8Array(0), constants.Z_FINISH);
      core.close();
      expect(nodeZlib.inflateSync(Buffer.concat(out)).equals(Buffer.from(data)), `flush ${flush}`).toBe(true);
    }
  });

  test('a full flush makes the rest decodable on its own (history reset)', () => {
    const core = createDeflateCore('raw', {});
    const out: Buffer[] = [];
    core.ondata = (chunk) => out.push(chunk);
    core.push(data.subarray(0, 20_000), constants.Z_FULL_FLUSH);
    const cut = Buffer.concat(out).length;
    core.push(data.subarray(20_000), constants.Z_FINISH);
    core.close();
    const tail = Buffer.concat(out).subarray(cut);
    expect(nodeZlib.inflateRawSync(tail).equals(Buffer.from(data.subarray(20_000)))).toBe(true);
  });

  test('params change mid-stream, and reset starts a new stream', () => {
    const core = createDeflateCore('zlib', { level: 1 });
    const out: Buffer[] = [];
    core.ondata = (chunk) => out.push(chunk);
    core.push(data.subarray(0, 15_000), constants.Z_NO_FLUSH);
    core.params(9, constants.Z_FILTERED as 1);
    core.push(data.subarray(15_000, 30_000), constants.Z_NO_FLUSH);
    core.params(0, constants.Z_DEFAULT_STRATEGY as 0);
    core.push(data.subarray(30_000), constants.Z_FINISH);
    expect(nodeZlib.inflateSync(Buffer.concat(out)).equals(Buffer.from(data))).toBe(true);
    out.length = 0;
    core.reset();
    core.push(data, constants.Z_FINISH);
    core.close();
    expect(Buffer.concat(out).equals(deflateSync(data, { level: 0 }))).toBe(true);
  });

  test('the Transform stream flush() delivers everything written so far', async () => {
    const { createDeflate } = await import('../../src/index.js');
    const stream = createDeflate();
    const out: Buffer[] = [];
    stream.on('data', (chunk: Buffer) => out.push(chunk));
    stream.write(data.subarray(0, 10_000));
    await new Promise<void>((resolve) => stream.flush(constants.Z_SYNC_FLUSH, resolve));
    const decoded = nodeZlib.inflateSync(Buffer.concat(out), { finishFlush: constants.Z_SYNC_FLUSH });
    expect(decoded.equals(Buffer.from(data.subarray(0, 10_000)))).toBe(true);
    stream.destroy();
  });
});
