/**
 * Argument checks, side by side: the same bad (or odd) arguments give the
 * same error class, code and message as node:zlib, or the same acceptance.
 */
import { afterAll, describe, expect, test } from 'vitest';
import { closeThreadPool } from '../../src/index.js';
import { sideBySide, text, thrownBy, type Zlib } from './side-by-side.js';

afterAll(() => closeThreadPool());

/** [label, factory name, options]: each is constructed, and what it throws (or not) compared. */
const optionCases: [string, string, unknown][] = [
  ['level too high', 'createDeflate', { level: 10 }],
  ['level too low', 'createDeflate', { level: -2 }],
  ['level as a string', 'createDeflate', { level: '5' }],
  ['level Infinity', 'createDeflate', { level: Infinity }],
  ['level NaN takes the default', 'createDeflate', { level: NaN }],
  ['memLevel 0', 'createDeflate', { memLevel: 0 }],
  ['memLevel 10', 'createGzip', { memLevel: 10 }],
  ['strategy 5', 'createDeflateRaw', { strategy: 5 }],
  ['strategy NaN takes the default', 'createDeflateRaw', { strategy: NaN }],
  ['windowBits 7', 'createDeflate', { windowBits: 7 }],
  ['windowBits 16', 'createInflate', { windowBits: 16 }],
  ['gzip windowBits 8', 'createGzip', { windowBits: 8 }],
  ['deflate windowBits 8 is accepted', 'createDeflate', { windowBits: 8 }],
  ['deflateRaw windowBits 8 is accepted', 'createDeflateRaw', { windowBits: 8 }],
  ['gunzip windowBits 0 (from the header)', 'createGunzip', { windowBits: 0 }],
  ['inflateRaw windowBits 0', 'createInflateRaw', { windowBits: 0 }],
  ['chunkSize 63', 'createDeflate', { chunkSize: 63 }],
  ['chunkSize as a string', 'createDeflate', { chunkSize: '100' }],
  ['chunkSize NaN takes the default', 'createInflate', { chunkSize: NaN }],
  ['flush 6 (Z_TREES)', 'createDeflate', { flush: 6 }],
  ['finishFlush -1', 'createInflate', { finishFlush: -1 }],
  ['flush as a string', 'createDeflate', { flush: 'sync' }],
  ['maxOutputLength 0', 'createInflate', { maxOutputLength: 0 }],
  ['dictionary as a string', 'createDeflate', { dictionary: 'abc' }],
  ['dictionary as an ArrayBuffer', 'createDeflate', { dictionary: new ArrayBuffer(4) }],
  ['a number for options (createGunzip(15))', 'createGunzip', 15],
  ['null options', 'createDeflate', null],
  ['a string for options', 'createInflate', 'options'],
];

describe('stream options', () => {
  for (const [label, factory, options] of optionCases) {
    test(label, async () => {
      const result = await sideBySide((zlib: Zlib) =>
        thrownBy(() => {
          const stream = zlib[factory](options);
          stream.close();
        }),
      );
      expect(result.zaccel).toEqual(result.node);
    });
  }

  test('NaN options give the default output', async () => {
    const result = await sideBySide(
      (zlib: Zlib) => zlib.deflateSync(text, { level: NaN, memLevel: NaN, strategy: NaN, windowBits: NaN }).length,
    );
    const defaults = await sideBySide((zlib: Zlib) => zlib.deflateSync(text).length);
    expect(result.zaccel).toBe(defaults.zaccel);
    expect(result.node).toBe(defaults.node);
  });
});

describe('one-shot arguments', () => {
  const inputs: [string, unknown][] = [
    ['undefined', undefined],
    ['null', null],
    ['a number', 42],
    ['an object', { length: 3 }],
    ['an array', [1, 2, 3]],
    ['a boolean', true],
  ];
  for (const [label, input] of inputs) {
    test(`sync input: ${label}`, async () => {
      const result = await sideBySide((zlib: Zlib) => thrownBy(() => zlib.deflateSync(input)));
      expect(result.zaccel).toEqual(result.node);
    });
  }

  test('sync input: ArrayBuffer, DataView and Float32Array are compressed as their bytes', async () => {
    const bytes = new Uint8Array(text.buffer, text.byteOffset, 4096);
    const result = await sideBySide((zlib: Zlib) =>
      [bytes.slice().buffer, new DataView(bytes.slice().buffer), new Float32Array(bytes.slice().buffer)].map((input) =>
        zlib.inflateSync(zlib.deflateSync(input)).equals(Buffer.from(bytes)),
      ),
    );
    expect(result.zaccel).toEqual(result.node);
  });

  test('async input: a number is a TypeError, thrown at once', async () => {
    const result = await sideBySide((zlib: Zlib) => thrownBy(() => zlib.deflate(42, () => {})));
    expect(result.zaccel).toEqual(result.node);
  });

  test('async input: undefined compresses nothing', async () => {
    const result = await sideBySide(
      (zlib: Zlib) =>
        new Promise((resolve) =>
          zlib.deflate(undefined, (error: Error | null, output: Buffer) =>
            resolve(error ? error.message : zlib.inflateSync(output).length),
          ),
        ),
    );
    expect(result.zaccel).toEqual(result.node);
  });

  test('a callback that is not a function is a TypeError', async () => {
    const result = await sideBySide((zlib: Zlib) => thrownBy(() => zlib.deflate(text, {}, 'not a function')));
    expect(result.zaccel).toEqual(result.node);
  });
});

describe('params()', () => {
  const cases: [string, unknown, unknown][] = [
    ['level 10', 10, 0],
    ['strategy 9', 6, 9],
    ['level as a string', '1', 0],
    ['level Infinity', Infinity, 0],
  ];
  for (const [label, level, strategy] of cases) {
    test(`validates synchronously: ${label}`, async () => {
      const result = await sideBySide((zlib: Zlib) => {
        const stream = zlib.createDeflate();
        const shape = thrownBy(() => stream.params(level, strategy, () => {}));
        stream.close();
        return shape;
      });
      expect(result.zaccel).toEqual(result.node);
      expect(result.zaccel).not.toBe('no error');
    });
  }
});
