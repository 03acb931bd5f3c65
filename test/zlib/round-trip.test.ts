/**
 * Round trips with node:zlib in both directions, through the one-shots, the
 * callback/promise forms, the Node Transform streams and the web streams.
 */
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import * as nodeZlib from 'node:zlib';
import { describe, expect, test } from 'vitest';
import { corpus, type CorpusName } from '../../tools/corpus/corpus.js';
import * as zaccel from '../../src/index.js';

const inputs: [string, Uint8Array][] = [
  ...(['text', 'binary', 'zeros', 'random', 'vm-pages'] as CorpusName[]).map((name): [string, Uint8Array] => [
    name,
    corpus(name, 300_000, 5),
  ]),
  ['empty', new Uint8Array(0)],
  ['one byte', new Uint8Array([7])],
];

const pairs = [
  { name: 'zlib', ours: [zaccel.deflateSync, zaccel.inflateSync], node: [nodeZlib.deflateSync, nodeZlib.inflateSync] },
  { name: 'gzip', ours: [zaccel.gzipSync, zaccel.gunzipSync], node: [nodeZlib.gzipSync, nodeZlib.gunzipSync] },
  {
    name: 'raw',
    ours: [zaccel.deflateRawSync, zaccel.inflateRawSync],
    node: [nodeZlib.deflateRawSync, nodeZlib.inflateRawSync],
  },
] as const;

describe('round trips with node:zlib', () => {
  for (const pair of pairs) {
    for (const [name, data] of inputs) {
      test(`${pair.name}, ${name}: ours -> node and node -> ours`, () => {
        for (const level of [0, 1, 6, 9] as const) {
          const ours = pair.ours[0](data, { level });
          expect(pair.node[1](ours).equals(Buffer.from(data))).toBe(true);
          const theirs = pair.node[0](data, { level });
          expect(pair.ours[1](theirs).equals(Buffer.from(data))).toBe(true);
        }
      });
    }
  }

  test('unzip detects zlib and gzip headers', () => {
    const data = corpus('text', 10_000, 3);
    expect(zaccel.unzipSync(nodeZlib.gzipSync(data)).equals(Buffer.from(data))).toBe(true);
    expect(zaccel.unzipSync(nodeZlib.deflateSync(data)).equals(Buffer.from(data))).toBe(true);
  });

  test('multi-member gzip is read as node:zlib reads it, zero padding ignored', () => {
    const members = Buffer.concat([
      nodeZlib.gzipSync('first '),
      nodeZlib.gzipSync('second '),
      nodeZlib.gzipSync('third'),
    ]);
    expect(zaccel.gunzipSync(members).toString()).toBe(nodeZlib.gunzipSync(members).toString());
    const padded = Buffer.concat([members, Buffer.alloc(100)]);
    expect(zaccel.gunzipSync(padded).toString()).toBe('first second third');
  });

  test('dictionaries round-trip both ways (zlib and raw)', () => {
    const dictionary = Buffer.from('compression dictionary with common words the and of page block');
    const data = Buffer.from('the page block of the compression dictionary and the common words '.repeat(50));
    const ours = zaccel.deflateSync(data, { dictionary });
    expect(nodeZlib.inflateSync(ours, { dictionary }).equals(data)).toBe(true);
    expect(zaccel.inflateSync(nodeZlib.deflateSync(data, { dictionary }), { dictionary }).equals(data)).toBe(true);
    const raw = zaccel.deflateRawSync(data, { dictionary });
    expect(nodeZlib.inflateRawSync(raw, { dictionary }).equals(data)).toBe(true);
    expect(zaccel.inflateRawSync(raw, { dictionary }).equals(data)).toBe(true);
  });

  test('callback and promise forms', async () => {
    const data = corpus('text', 3_000_000, 9);
    const compressed = await zaccel.gzip(data, { level: 6 });
    expect(nodeZlib.gunzipSync(compressed).equals(Buffer.from(data))).toBe(true);
    const restored = await new Promise<Buffer>((resolve, reject) =>
      zaccel.gunzip(compressed, (error, result) => (error ? reject(error) : resolve(result!))),
    );
    expect(restored.equals(Buffer.from(data))).toBe(true);
    await expect(zaccel.inflate(Buffer.from('not zlib'))).rejects.toMatchObject({
      code: 'Z_DATA_ERROR',
      zaccelCode: 'ZACCEL_DATA_ERROR',
    });
  });

  test('info: true reports the engine', () => {
    const result = zaccel.deflateSync('hello', { info: true });
    expect(result.engine).toBeInstanceOf(zaccel.Deflate);
    expect(result.engine.engineName).toBe('zlib');
    expect(nodeZlib.inflateSync(result.buffer).toString()).toBe('hello');
  });

  test('Node Transform streams pipe both ways', async () => {
    const data = Buffer.from(corpus('mixed', 2_000_000, 4));
    const compressed: Buffer[] = [];
    await pipeline(
      Readable.from([data.subarray(0, 700_000), data.subarray(700_000)]),
      zaccel.createGzip({ level: 1 }),
      async (source: AsyncIterable<Buffer>) => {
        for await (const chunk of source) compressed.push(chunk);
      },
    );
    expect(nodeZlib.gunzipSync(Buffer.concat(compressed)).equals(data)).toBe(true);
    const restored: Buffer[] = [];
    await pipeline(
      Readable.from([nodeZlib.deflateRawSync(data)]),
      zaccel.createInflateRaw(),
      async (source: AsyncIterable<Buffer>) => {
        for await (const chunk of source) restored.push(chunk);
      },
    );
    expect(Buffer.concat(restored).equals(data)).toBe(true);
  });

  test('web CompressionStream and DecompressionStream', async () => {
    const data = Buffer.from(corpus('text', 200_000, 8));
    for (const format of ['deflate', 'deflate-raw', 'gzip'] as const) {
      const compressed = Buffer.from(
        await new Response(new Blob([data]).stream().pipeThrough(new zaccel.CompressionStream(format))).arrayBuffer(),
      );
      const viaNode =
        format === 'deflate'
          ? nodeZlib.inflateSync(compressed)
          : format === 'gzip'
            ? nodeZlib.gunzipSync(compressed)
            : nodeZlib.inflateRawSync(compressed);
      expect(viaNode.equals(data)).toBe(true);
      const restored = Buffer.from(
        await new Response(
          new Blob([compressed]).stream().pipeThrough(new zaccel.DecompressionStream(format)),
        ).arrayBuffer(),
      );
      expect(restored.equals(data)).toBe(true);
    }
  });
});
