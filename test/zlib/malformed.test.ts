/**
 * Malformed streams get coded errors, zlib's message is kept, and nothing
 * hangs. Modelled on zlib's infcover.c cases.
 */
import * as nodeZlib from 'node:zlib';
import { describe, expect, test } from 'vitest';
import { corpus } from '../../tools/corpus/corpus.js';
import {
  defaultMachine,
  gunzipSync,
  inflateRawSync,
  inflateSync,
  isZaccelError,
  unzipSync,
  type ErrorCode,
} from '../../src/index.js';
import { BitWriter, fixedLiteralCode } from '../support/bits.js';

const data = Buffer.from(corpus('text', 20_000, 1));
const zlibStream = nodeZlib.deflateSync(data);
const gzipStream = nodeZlib.gzipSync(data);

function withByte(buffer: Buffer, index: number, value: number): Buffer {
  const copy = Buffer.from(buffer);
  copy[index < 0 ? copy.length + index : index] = value;
  return copy;
}

/** A fixed-Huffman block: literal 'a', then a match of length 3 at distance `distance`. */
function fixedBlockWithMatch(distance: number): Buffer {
  const writer = new BitWriter().bits(1, 1).bits(1, 2);
  writer.code(...fixedLiteralCode(0x61));
  writer.code(...fixedLiteralCode(257)); // length 3
  writer.code(distance - 1, 5).bits(0, 0); // distance codes 0..3 are distances 1..4, no extra bits
  writer.code(...fixedLiteralCode(256));
  return writer.bytesOut();
}

interface Case {
  name: string;
  run: () => unknown;
  code: ErrorCode;
  message?: RegExp;
}

const cases: Case[] = [
  {
    name: 'truncated zlib stream',
    run: () => inflateSync(zlibStream.subarray(0, zlibStream.length / 2)),
    code: 'ZACCEL_TRUNCATED',
  },
  { name: 'truncated gzip trailer', run: () => gunzipSync(gzipStream.subarray(0, -3)), code: 'ZACCEL_TRUNCATED' },
  { name: 'empty input', run: () => inflateSync(Buffer.alloc(0)), code: 'ZACCEL_TRUNCATED' },
  {
    name: 'bad zlib header check',
    run: () => inflateSync(withByte(zlibStream, 1, zlibStream[1] ^ 1)),
    code: 'ZACCEL_DATA_ERROR',
    message: /incorrect header check/,
  },
  {
    name: 'unknown compression method',
    run: () => inflateSync(Buffer.from([0x79, 0x9c - 7, 0, 0])),
    code: 'ZACCEL_DATA_ERROR',
  },
  {
    name: 'bad gzip magic',
    run: () => gunzipSync(withByte(gzipStream, 0, 0x1e)),
    code: 'ZACCEL_DATA_ERROR',
    message: /incorrect header check/,
  },
  {
    name: 'bad zlib checksum',
    run: () => inflateSync(withByte(zlibStream, -1, zlibStream.at(-1)! ^ 0xff)),
    code: 'ZACCEL_DATA_ERROR',
    message: /incorrect data check/,
  },
  {
    name: 'bad gzip CRC',
    run: () => gunzipSync(withByte(gzipStream, -8, gzipStream.at(-8)! ^ 0xff)),
    code: 'ZACCEL_DATA_ERROR',
    message: /incorrect data check/,
  },
  {
    name: 'bad gzip length',
    run: () => gunzipSync(withByte(gzipStream, -4, gzipStream.at(-4)! ^ 0xff)),
    code: 'ZACCEL_DATA_ERROR',
    message: /incorrect length check/,
  },
  {
    name: 'invalid block type',
    run: () => inflateRawSync(Buffer.from([0x07, 0, 0])),
    code: 'ZACCEL_DATA_ERROR',
    message: /invalid block type/,
  },
  {
    name: 'invalid stored block lengths',
    run: () => inflateRawSync(Buffer.from([0x01, 0x05, 0x00, 0x00, 0x00, 1, 2, 3, 4, 5])),
    code: 'ZACCEL_DATA_ERROR',
    message: /invalid stored block lengths/,
  },
  {
    // Dynamic block whose code-length code gives three symbols a 1-bit code: over-subscribed.
    name: 'invalid code lengths set',
    run: () =>
      inflateRawSync(
        new BitWriter()
          .bits(1, 1)
          .bits(2, 2)
          .bits(0, 5)
          .bits(0, 5)
          .bits(0, 4)
          .bits(1, 3)
          .bits(1, 3)
          .bits(1, 3)
          .bits(0, 3)
          .bits(0, 16)
          .bytesOut(),
      ),
    code: 'ZACCEL_DATA_ERROR',
    message: /invalid code lengths set/,
  },
  {
    name: 'distance too far back',
    run: () => inflateRawSync(fixedBlockWithMatch(2)),
    code: 'ZACCEL_DATA_ERROR',
    message: /invalid distance too far back/,
  },
  {
    name: 'trailing garbage after a zlib stream',
    run: () => inflateSync(Buffer.concat([zlibStream, Buffer.from('xyz')])),
    code: 'ZACCEL_TRAILING_DATA',
  },
  {
    name: 'trailing garbage after a raw stream',
    run: () => inflateRawSync(Buffer.concat([nodeZlib.deflateRawSync(data), Buffer.from([1])])),
    code: 'ZACCEL_TRAILING_DATA',
  },
  {
    name: 'trailing garbage after a gzip member (as node:zlib)',
    run: () => gunzipSync(Buffer.concat([gzipStream, Buffer.from('xyz')])),
    code: 'ZACCEL_DATA_ERROR',
    message: /incorrect header check/,
  },
  {
    name: 'output past maxOutputLength',
    run: () => inflateSync(zlibStream, { maxOutputLength: 1000 }),
    code: 'ZACCEL_OUTPUT_LIMIT',
  },
  {
    name: 'unzip of output past maxOutputLength',
    run: () => unzipSync(gzipStream, { maxOutputLength: data.length - 1 }),
    code: 'ZACCEL_OUTPUT_LIMIT',
  },
  {
    name: 'missing dictionary',
    run: () => inflateSync(nodeZlib.deflateSync(data, { dictionary: Buffer.from('dict') })),
    code: 'ZACCEL_NEED_DICTIONARY',
  },
  {
    name: 'wrong dictionary',
    run: () =>
      inflateSync(nodeZlib.deflateSync(data, { dictionary: Buffer.from('dict') }), {
        dictionary: Buffer.from('other'),
      }),
    code: 'ZACCEL_NEED_DICTIONARY',
  },
  { name: 'bad option: level', run: () => inflateSync(zlibStream, { windowBits: 3 }), code: 'ZACCEL_BAD_OPTION' },
];

describe('malformed streams get coded errors', () => {
  test('the hand-built match decodes when the distance is valid (the case below is not vacuous)', () => {
    expect(inflateRawSync(fixedBlockWithMatch(1)).toString()).toBe('aaaa');
  });

  for (const c of cases) {
    test(c.name, () => {
      const before = defaultMachine().stats().bytesInUse;
      let thrown: unknown;
      try {
        c.run();
      } catch (error) {
        thrown = error;
      }
      expect(isZaccelError(thrown)).toBe(true);
      expect(thrown).toMatchObject({ zaccelCode: c.code });
      if (c.message) expect((thrown as Error).message).toMatch(c.message);
      // The failed stream returned all of its memory.
      expect(defaultMachine().stats().bytesInUse).toBe(before);
    });
  }

  test('exactly maxOutputLength bytes is allowed', () => {
    expect(inflateSync(zlibStream, { maxOutputLength: data.length }).equals(data)).toBe(true);
  });
});
