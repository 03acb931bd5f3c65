/**
 * Whole-buffer inflate (InflateCore.inflateWhole, what inflateSync and friends run): output goes straight
 * into one region sized from the gzip ISIZE or grown geometrically. These cases steer every sizing path
 * (exact ISIZE, an ISIZE that is too small, padding where the ISIZE would be, growth from a small guess)
 * and check the output against node:zlib, the output limit at its edge, and that no region is left behind.
 */
import * as nodeZlib from 'node:zlib';
import { afterAll, describe, expect, test } from 'vitest';
import { corpus } from '../../tools/corpus/corpus.js';
import {
  constants,
  gunzipSync,
  inflateRawSync,
  inflateSync,
  InflateCore,
  Machine,
  unzipSync,
} from '../../src/index.js';
import { resolveInflateOptions } from '../../src/options.js';

const machine = Machine.create({ initialBytes: 32 * 1024 * 1024 });
// The first call sets up the engine's per-machine state (a region that stays): count from after it.
inflateSync(nodeZlib.deflateSync(Buffer.from('warm')), { machine });
const baseline = machine.stats().liveRegions;
afterAll(() => expect(machine.stats().liveRegions).toBe(baseline));

const mixed = Buffer.from(corpus('mixed', 300_000, 5));
/** Compresses about 1000:1, so the first guess (4 × input, at least 64 KiB) has to grow several times. */
const zeros = Buffer.alloc(3 * 1024 * 1024 + 17);

describe('whole-buffer inflate matches node:zlib', () => {
  test('gzip, one member: the region is exactly ISIZE', () => {
    expect(gunzipSync(nodeZlib.gzipSync(mixed), { machine }).equals(mixed)).toBe(true);
  });

  test('gzip, two members: the last ISIZE is too small for the whole, so the region grows', () => {
    const small = mixed.subarray(0, 100);
    const stream = Buffer.concat([nodeZlib.gzipSync(mixed), nodeZlib.gzipSync(small)]);
    expect(gunzipSync(stream, { machine }).equals(Buffer.concat([mixed, small]))).toBe(true);
  });

  test('gzip followed by zero padding: no ISIZE to trust, the output is still whole', () => {
    const stream = Buffer.concat([nodeZlib.gzipSync(mixed), Buffer.alloc(64)]);
    expect(gunzipSync(stream, { machine }).equals(nodeZlib.gunzipSync(stream))).toBe(true);
  });

  test('zlib and raw streams of high ratio grow from the first guess', () => {
    expect(inflateSync(nodeZlib.deflateSync(zeros), { machine }).equals(zeros)).toBe(true);
    expect(inflateRawSync(nodeZlib.deflateRawSync(zeros), { machine }).equals(zeros)).toBe(true);
    expect(unzipSync(nodeZlib.gzipSync(zeros), { machine }).equals(zeros)).toBe(true);
  });

  test('empty streams give empty output', () => {
    expect(inflateSync(nodeZlib.deflateSync(Buffer.alloc(0)), { machine }).length).toBe(0);
    expect(gunzipSync(nodeZlib.gzipSync(Buffer.alloc(0)), { machine }).length).toBe(0);
  });
});

describe('maxOutputLength at its edge', () => {
  const cases: [string, Buffer, (input: Buffer, options: object) => Buffer][] = [
    ['gzip (ISIZE-sized region)', nodeZlib.gzipSync(mixed), gunzipSync],
    ['zlib (grown region)', nodeZlib.deflateSync(mixed), inflateSync],
  ];
  for (const [name, stream, inflate] of cases) {
    test(`${name}: exactly the limit passes, one byte less fails as node:zlib does`, () => {
      expect(inflate(stream, { machine, maxOutputLength: mixed.length }).equals(mixed)).toBe(true);
      expect(() => inflate(stream, { machine, maxOutputLength: mixed.length - 1 })).toThrow(
        expect.objectContaining({ zaccelCode: 'ZACCEL_OUTPUT_LIMIT' }),
      );
      expect(() => nodeZlib.inflateSync(nodeZlib.deflateSync(mixed), { maxOutputLength: mixed.length - 1 })).toThrow(
        RangeError,
      );
    });
  }

  test('a high-ratio stream stops at the limit, long before its full size', () => {
    const limit = 200_000;
    expect(() => inflateSync(nodeZlib.deflateSync(zeros), { machine, maxOutputLength: limit })).toThrow(
      expect.objectContaining({ zaccelCode: 'ZACCEL_OUTPUT_LIMIT' }),
    );
  });
});

describe('finishFlush', () => {
  test('Z_SYNC_FLUSH on a truncated stream returns what it holds, as node:zlib', () => {
    const stream = nodeZlib.deflateSync(mixed);
    const truncated = stream.subarray(0, stream.length >> 1);
    const options = { finishFlush: constants.Z_SYNC_FLUSH };
    const ours = inflateSync(truncated, { ...options, machine });
    expect(ours.length).toBeGreaterThan(0);
    expect(ours.equals(nodeZlib.inflateSync(truncated, options))).toBe(true);
  });

  test('Z_FINISH on a truncated stream is the truncation error', () => {
    const stream = nodeZlib.gzipSync(mixed);
    expect(() => gunzipSync(stream.subarray(0, stream.length - 9), { machine })).toThrow(
      expect.objectContaining({ zaccelCode: 'ZACCEL_TRUNCATED' }),
    );
  });
});

describe('the core directly', () => {
  test('inflateWhole returns the output without calling ondata, and frees its regions', () => {
    const core = new InflateCore(resolveInflateOptions('zlib', {}, 16 * 1024), machine);
    const pieces: Buffer[] = [];
    core.ondata = (piece) => pieces.push(piece);
    const before = machine.stats().liveRegions;
    const output = core.inflateWhole(nodeZlib.deflateSync(zeros), true);
    expect(output.equals(zeros)).toBe(true);
    expect(pieces).toEqual([]);
    expect(machine.stats().liveRegions).toBe(before);
    expect(core.bytesOut).toBe(zeros.length);
    core.close();
  });
});
