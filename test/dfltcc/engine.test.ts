/**
 * The dfltcc engine, driven as IBM's zlib drives the accelerator: round
 * trips through node:zlib, every flush mode, tiny buffers, long inputs,
 * random CPU amounts, dictionaries, parameter switches, the settings, the
 * bound, and visible fallbacks.
 */
import * as nodeZlib from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { corpus } from '../../tools/corpus/corpus.js';
import {
  constants,
  createDeflateCore,
  createInflateCore,
  deflateRawSync,
  deflateSync,
  defaultMachine,
  gunzipSync,
  gzipSync,
  inflateRawSync,
  inflateSync,
  type DeflateOptions,
  type FlushMode,
  type OneShotInfo,
} from '../../src/index.js';
import { growingShrinking, randomSplits, splitEvery } from '../support/chunks.js';
import { deflateChunks, inflateChunks } from '../support/streams.js';

const dfltcc: DeflateOptions = { engine: 'dfltcc', level: 1 };
const text = Buffer.from(corpus('text', 200_000, 41));
const mixed = Buffer.from(corpus('mixed', 300_000, 42));

describe('the accelerator path really runs', () => {
  test('level-1 output differs from zlib and decodes everywhere', () => {
    for (const data of [text, mixed, Buffer.from(corpus('binary', 200_000, 43))]) {
      const result: OneShotInfo = deflateSync(data, { ...dfltcc, info: true });
      expect(result.engine.engineName).toBe('dfltcc');
      expect(result.engine.fallbacks).toBe(0);
      expect(result.buffer.equals(deflateSync(data, { level: 1 }))).toBe(false);
      expect(nodeZlib.inflateSync(result.buffer).equals(data)).toBe(true);
      expect(inflateSync(result.buffer).equals(data)).toBe(true);
      expect(inflateSync(result.buffer, { engine: 'dfltcc' }).equals(data)).toBe(true);
    }
  });

  test("streamed in 64 KiB writes, the size stays within +15% of zlib level 1 (the hardware's range)", () => {
    // The first block is fixed-Huffman and holds the first write, as IBM's zlib does; dynamic blocks follow.
    for (const name of ['text', 'binary', 'vm-pages'] as const) {
      const data = Buffer.from(corpus(name, 2 << 20, 46));
      const ours = deflateChunks(splitEvery(data, 65536), dfltcc);
      const zlib = deflateSync(data, { level: 1 });
      expect(nodeZlib.inflateSync(ours).equals(data)).toBe(true);
      expect(ours.length, name).toBeLessThanOrEqual(Math.ceil(zlib.length * 1.15));
    }
  });

  test('levels outside the mask fall back to software, counted, and are byte-identical to the zlib engine', () => {
    for (const level of [2, 6, 9] as const) {
      const result = deflateSync(mixed, { engine: 'dfltcc', level, info: true });
      expect(result.engine.fallbacks).toBeGreaterThan(0);
      expect(result.buffer.equals(deflateSync(mixed, { level }))).toBe(true);
    }
    // Level 0's stored blocks follow the call pattern (the dfltcc one-shot streams its input), so compare decoded.
    const stored = deflateSync(mixed, { engine: 'dfltcc', level: 0, info: true });
    expect(stored.engine.fallbacks).toBeGreaterThan(0);
    expect(nodeZlib.inflateSync(stored.buffer).equals(mixed)).toBe(true);
    for (const options of [
      { windowBits: 12 },
      { strategy: constants.Z_FILTERED as 1 },
      { strategy: constants.Z_RLE as 3 },
    ]) {
      const result = gzipSync(text, { ...dfltcc, ...options, info: true });
      expect(result.engine.fallbacks).toBeGreaterThan(0);
      expect(result.buffer.equals(gzipSync(text, { level: 1, ...options }))).toBe(true);
    }
  });

  test('Z_FIXED stays on the accelerator', () => {
    const result = deflateRawSync(text, { ...dfltcc, strategy: constants.Z_FIXED as 4, info: true });
    expect(result.engine.fallbacks).toBe(0);
    expect(nodeZlib.inflateRawSync(result.buffer).equals(text)).toBe(true);
  });
});

describe('round trips', () => {
  for (const format of ['raw', 'zlib', 'gzip'] as const) {
    test(`${format}: dfltcc deflate -> node:zlib, node:zlib -> dfltcc inflate, every level`, () => {
      const nodeInflate = { raw: nodeZlib.inflateRawSync, zlib: nodeZlib.inflateSync, gzip: nodeZlib.gunzipSync }[
        format
      ];
      const nodeDeflate = { raw: nodeZlib.deflateRawSync, zlib: nodeZlib.deflateSync, gzip: nodeZlib.gzipSync }[format];
      const ours = (
        {
          raw: [deflateRawSync, inflateRawSync],
          zlib: [deflateSync, inflateSync],
          gzip: [gzipSync, gunzipSync],
        } as const
      )[format];
      for (const data of [mixed, Buffer.alloc(0), Buffer.from([9]), Buffer.from(corpus('random', 70_000, 4))]) {
        expect(nodeInflate(ours[0](data, dfltcc)).equals(data)).toBe(true);
        for (const level of [0, 1, 6, 9]) {
          for (const strategy of [0, 1, 2, 3, 4]) {
            expect(ours[1](nodeDeflate(data, { level, strategy }), { engine: 'dfltcc' }).equals(data)).toBe(true);
          }
        }
      }
    });
  }

  test('inputs over 1 MiB cross block boundaries', () => {
    const large = Buffer.from(corpus('mixed', 5 << 20, 44));
    const compressed = deflateChunks(splitEvery(large, 300_000), dfltcc);
    expect(nodeZlib.inflateSync(compressed).equals(large)).toBe(true);
    expect(inflateSync(compressed, { engine: 'dfltcc' }).equals(large)).toBe(true);
    // Smaller blocks give more dynamic blocks; still decodes.
    const small = deflateChunks(splitEvery(large, 100_000), {
      ...dfltcc,
      dfltcc: { blockSize: 65536, firstFhtBlockSize: 0 },
    });
    expect(nodeZlib.inflateSync(small).equals(large)).toBe(true);
  });

  test('every flush mode, at every chunk, decodes with node:zlib', () => {
    for (const flush of [0, 1, 2, 3, 5] as FlushMode[]) {
      const compressed = deflateChunks(splitEvery(mixed, 7_001), dfltcc, 'zlib', flush);
      expect(nodeZlib.inflateSync(compressed).equals(mixed), `flush ${flush}`).toBe(true);
    }
  });

  test('after each sync flush, everything so far decodes (the multifd channel pattern)', () => {
    const core = createDeflateCore('raw', dfltcc);
    const out: Buffer[] = [];
    core.ondata = (chunk) => out.push(chunk);
    const pages = splitEvery(corpus('vm-pages', 128 * 1024, 5), 4096);
    let sent = 0;
    for (const page of pages) {
      core.push(page, constants.Z_SYNC_FLUSH);
      sent += page.length;
      const decoded = nodeZlib.inflateRawSync(Buffer.concat(out), { finishFlush: constants.Z_SYNC_FLUSH });
      expect(decoded.length).toBe(sent);
    }
    core.close();
  });

  test('1-byte input chunks, growing/shrinking and random splits', () => {
    const data = mixed.subarray(0, 20_000);
    const compressed = nodeZlib.gzipSync(data, { level: 9 });
    const splitters = [
      (bytes: Uint8Array) => splitEvery(bytes, 1),
      (bytes: Uint8Array) => growingShrinking(bytes, 500),
      (bytes: Uint8Array) => randomSplits(bytes, 7, 3000),
    ];
    for (const split of splitters) {
      expect(nodeZlib.inflateSync(deflateChunks(split(data), dfltcc)).equals(data)).toBe(true);
      expect(inflateChunks(split(compressed), 'gzip', { engine: 'dfltcc' }).equals(data)).toBe(true);
    }
  });

  test('1-byte output buffers, through the codec, both ways', () => {
    const data = text.subarray(0, 6_000);
    const machine = defaultMachine();
    const deflater = createDeflateCore('zlib', dfltcc);
    const input = machine.alloc(data.length);
    const output = machine.alloc(1);
    machine.write(input.address, data);
    const compressed: number[] = [];
    let offset = 0;
    for (let calls = 0; calls < 1_000_000; calls++) {
      const step = deflater.codec.deflate(
        input.address + offset,
        data.length - offset,
        output.address,
        1,
        constants.Z_FINISH,
      );
      offset += step.consumed;
      if (step.produced) compressed.push(machine.u8(output.address));
      if (step.status === constants.Z_STREAM_END) break;
      expect(step.status).toBe(constants.Z_OK);
    }
    deflater.close();
    expect(nodeZlib.inflateSync(Buffer.from(compressed)).equals(data)).toBe(true);

    const inflater = createInflateCore('zlib', { engine: 'dfltcc' });
    const source = Buffer.from(compressed);
    const staged = machine.alloc(source.length);
    machine.write(staged.address, source);
    const restored: number[] = [];
    offset = 0;
    for (let calls = 0; calls < 1_000_000; calls++) {
      const step = inflater.codec.inflate(
        staged.address + offset,
        Math.min(1, source.length - offset),
        output.address,
        1,
        constants.Z_NO_FLUSH,
      );
      offset += step.consumed;
      if (step.produced) restored.push(machine.u8(output.address));
      if (step.status === constants.Z_STREAM_END) break;
      expect([constants.Z_OK, constants.Z_BUF_ERROR]).toContain(step.status);
    }
    inflater.close();
    for (const region of [input, output, staged]) machine.free(region);
    expect(Buffer.from(restored).equals(data)).toBe(true);
  });

  test('property: random CPU amounts, chunk sizes, flushes and models give streams that decode to the input', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 5000 }),
        fc.array(fc.integer({ min: 1, max: 9000 }), { minLength: 1, maxLength: 12 }),
        fc.array(fc.constantFrom<FlushMode>(0, 1, 2, 3, 5), { minLength: 1, maxLength: 12 }),
        fc.constantFrom<'single' | 'multiple'>('single', 'multiple'),
        fc.integer({ min: 0, max: 1000 }),
        (cpuAmount, sizes, flushes, model, seed) => {
          const data = corpus(
            'mixed',
            sizes.reduce((a, b) => a + b, 0),
            seed,
          );
          const options: DeflateOptions = { ...dfltcc, cpuAmount, dfltccModel: model, chunkSize: 64 + (seed % 3000) };
          const core = createDeflateCore('gzip', options);
          const out: Buffer[] = [];
          core.ondata = (chunk) => out.push(chunk);
          let offset = 0;
          sizes.forEach((size, index) => {
            core.push(data.subarray(offset, offset + size), flushes[index % flushes.length]);
            offset += size;
          });
          core.push(new Uint8Array(0), constants.Z_FINISH);
          core.close();
          const compressed = Buffer.concat(out);
          expect(nodeZlib.gunzipSync(compressed).equals(Buffer.from(data))).toBe(true);
          expect(
            gunzipSync(compressed, { engine: 'dfltcc', cpuAmount, dfltccModel: model }).equals(Buffer.from(data)),
          ).toBe(true);
        },
      ),
      { numRuns: 40, seed: 20261126 },
    );
  });
});

describe('dictionaries, parameters and settings', () => {
  const dictionary = Buffer.from(corpus('text', 40_000, 45));
  const data = Buffer.from(corpus('text', 30_000, 45).reverse());

  test('dictionaries go through the history, both ways', () => {
    const ours = deflateSync(data, { ...dfltcc, dictionary });
    expect(nodeZlib.inflateSync(ours, { dictionary }).equals(data)).toBe(true);
    expect(inflateSync(ours, { engine: 'dfltcc', dictionary }).equals(data)).toBe(true);
    expect(inflateSync(nodeZlib.deflateSync(data, { dictionary }), { engine: 'dfltcc', dictionary }).equals(data)).toBe(
      true,
    );
    const raw = deflateRawSync(data, { ...dfltcc, dictionary });
    expect(nodeZlib.inflateRawSync(raw, { dictionary }).equals(data)).toBe(true);
    expect(inflateRawSync(raw, { engine: 'dfltcc', dictionary }).equals(data)).toBe(true);
    expect(() => inflateSync(ours, { engine: 'dfltcc', dictionary: Buffer.from('wrong') })).toThrow(
      expect.objectContaining({ zaccelCode: 'ZACCEL_NEED_DICTIONARY' }),
    );
    expect(() => inflateSync(ours, { engine: 'dfltcc' })).toThrow(
      expect.objectContaining({ zaccelCode: 'ZACCEL_NEED_DICTIONARY' }),
    );
  });

  test('deflateParams switches between accelerator and software mid-stream', () => {
    const core = createDeflateCore('zlib', dfltcc);
    const out: Buffer[] = [];
    core.ondata = (chunk) => out.push(chunk);
    const parts = splitEvery(mixed, 50_000);
    const levels = [6, 1, 9, 1, 0, 1] as const;
    parts.forEach((part, index) => {
      core.push(part, constants.Z_NO_FLUSH);
      core.params(levels[index % levels.length], 0);
    });
    core.push(new Uint8Array(0), constants.Z_FINISH);
    expect(core.codec.fallbacks).toBeGreaterThan(0);
    core.close();
    expect(nodeZlib.inflateSync(Buffer.concat(out)).equals(mixed)).toBe(true);
  });

  test('DFLTCC=0 (enabled: false) runs everything in software, byte-identical to zlib', () => {
    const off = { ...dfltcc, dfltcc: { enabled: false } };
    const result = deflateSync(mixed, { ...off, info: true });
    expect(result.buffer.equals(deflateSync(mixed, { level: 1 }))).toBe(true);
    expect(result.engine.fallbacks).toBeGreaterThan(0);
    const restored = inflateSync(result.buffer, { ...off, info: true });
    expect(restored.engine.fallbacks).toBeGreaterThan(0);
  });

  test('SOURCE_DATE_EPOCH (reproducible) compresses in software but inflates on the accelerator', () => {
    const reproducible = { ...dfltcc, dfltcc: { reproducible: true } };
    const result = deflateSync(mixed, { ...reproducible, info: true });
    expect(result.buffer.equals(deflateSync(mixed, { level: 1 }))).toBe(true);
    const restored = inflateSync(result.buffer, { ...reproducible, info: true });
    expect(restored.engine.fallbacks).toBe(0);
    expect(restored.buffer.equals(mixed)).toBe(true);
  });

  test('the level mask selects accelerated levels', () => {
    const mask = { engine: 'dfltcc' as const, dfltcc: { levelMask: 0x3fe } };
    for (const level of [1, 5, 9] as const) {
      const result = deflateSync(mixed, { ...mask, level, info: true });
      expect(result.engine.fallbacks).toBe(0);
      expect(nodeZlib.inflateSync(result.buffer).equals(mixed)).toBe(true);
    }
    expect(() => deflateSync(mixed, { ...mask, dfltcc: { levelMask: 0x10000 } })).toThrow(
      expect.objectContaining({ zaccelCode: 'ZACCEL_BAD_OPTION' }),
    );
  });

  test('output stays within 2n + 288 plus the wrapper on random data', () => {
    for (const size of [1, 100, 5000, 100_000, 1 << 20]) {
      const data = corpus('random', size, size);
      const core = createDeflateCore('zlib', dfltcc);
      const bound = core.codec.bound(size);
      core.close();
      expect(bound).toBe(2 * size + 288 + 6);
      expect(deflateSync(data, dfltcc).length).toBeLessThanOrEqual(bound);
    }
  });
});

describe('XPND errors surface as coded errors with the OESC', () => {
  test('a stored block whose NLEN is wrong gives OESC 0x12 (the Node test input)', () => {
    expect(() => inflateRawSync(Buffer.from([0x00, 0xbb, 0x04, 0x09, 0x01, 0xa5]), { engine: 'dfltcc' })).toThrow(
      expect.objectContaining({
        zaccelCode: 'ZACCEL_DATA_ERROR',
        message: 'Operation-Ending-Supplemental Code is 0x12',
      }),
    );
  });

  test('header and trailer errors keep zlib messages; truncation is coded', () => {
    const stream = nodeZlib.gzipSync(text);
    const bad = Buffer.from(stream);
    bad[bad.length - 4] ^= 1; // ISIZE, the uncompressed length
    expect(() => gunzipSync(bad, { engine: 'dfltcc' })).toThrow(
      expect.objectContaining({ zaccelCode: 'ZACCEL_DATA_ERROR', message: 'incorrect length check' }),
    );
    expect(() => gunzipSync(stream.subarray(0, 100), { engine: 'dfltcc' })).toThrow(
      expect.objectContaining({ zaccelCode: 'ZACCEL_TRUNCATED' }),
    );
    expect(() => inflateSync(Buffer.from([0x78, 0x9d, 0, 0]), { engine: 'dfltcc' })).toThrow(
      expect.objectContaining({ message: 'incorrect header check' }),
    );
  });

  test('gzip headers with extra field, name, comment and header CRC', () => {
    const body = nodeZlib.deflateRawSync(text);
    const header = [
      0x1f,
      0x8b,
      8,
      0x02 | 0x04 | 0x08 | 0x10,
      0,
      0,
      0,
      0,
      0,
      3,
      4,
      0,
      1,
      2,
      3,
      4,
      ...Buffer.from('name\0comment\0'),
    ];
    const crc = nodeZlib.crc32(Buffer.from(header)) & 0xffff;
    const trailer = Buffer.alloc(8);
    trailer.writeUInt32LE(nodeZlib.crc32(text), 0);
    trailer.writeUInt32LE(text.length, 4);
    const member = Buffer.concat([Buffer.from([...header, crc & 0xff, crc >> 8]), body, trailer]);
    expect(nodeZlib.gunzipSync(member).equals(text)).toBe(true);
    expect(gunzipSync(member, { engine: 'dfltcc' }).equals(text)).toBe(true);
    const corrupt = Buffer.from(member);
    corrupt[header.length] ^= 1;
    expect(() => gunzipSync(corrupt, { engine: 'dfltcc' })).toThrow(
      expect.objectContaining({ message: 'header crc mismatch' }),
    );
  });
});
