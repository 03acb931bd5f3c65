/**
 * One-shots side by side: results, `info`, finishFlush on truncated input,
 * and the errors of bad data, as a program written for node:zlib sees them.
 */
import { promisify } from 'node:util';
import { afterAll, describe, expect, test } from 'vitest';
import { closeThreadPool } from '../../src/index.js';
import { shapeOf, sideBySide, text, thrownBy, type Zlib } from './side-by-side.js';

afterAll(() => closeThreadPool());

const pairs: [string, string][] = [
  ['deflate', 'inflate'],
  ['deflateRaw', 'inflateRaw'],
  ['gzip', 'gunzip'],
  ['gzip', 'unzip'],
  ['deflate', 'unzip'],
];

describe('round trips', () => {
  for (const [compress, decompress] of pairs) {
    test(`${compress} then ${decompress}: sync, callback and promisified`, async () => {
      const result = await sideBySide(async (zlib: Zlib) => {
        const sync = zlib[`${decompress}Sync`](zlib[`${compress}Sync`](text)).equals(text);
        const viaCallback = await new Promise<boolean>((resolve, reject) =>
          zlib[compress](text, (error: Error | null, packed: Buffer) => {
            if (error) return reject(error);
            zlib[decompress](packed, (again: Error | null, plain: Buffer) =>
              again ? reject(again) : resolve(plain.equals(text)),
            );
          }),
        );
        const viaPromisify = (await promisify(zlib[decompress])(await promisify(zlib[compress])(text))).equals(text);
        return [sync, viaCallback, viaPromisify];
      });
      expect(result.zaccel).toEqual(result.node);
      expect(result.zaccel).toEqual([true, true, true]);
    });
  }
});

describe('info: true', () => {
  test('sync and callback forms return { buffer, engine } with the stream as engine', async () => {
    const result = await sideBySide(async (zlib: Zlib) => {
      const sync = zlib.gzipSync(text, { info: true });
      const viaCallback = await new Promise<{ buffer: Buffer; engine: unknown }>((resolve, reject) =>
        zlib.deflateRaw(text, { info: true }, (error: Error | null, value: { buffer: Buffer; engine: unknown }) =>
          error ? reject(error) : resolve(value),
        ),
      );
      return [
        Object.keys(sync).sort(),
        Buffer.isBuffer(sync.buffer),
        sync.engine instanceof zlib.Gzip,
        zlib.gunzipSync(sync.buffer).equals(text),
        viaCallback.engine instanceof zlib.DeflateRaw,
        zlib.inflateRawSync(viaCallback.buffer).equals(text),
      ];
    });
    expect(result.zaccel).toEqual(result.node);
  });
});

describe('finishFlush on truncated input', () => {
  test('Z_SYNC_FLUSH returns what the truncated stream holds; Z_FINISH is an error', async () => {
    const result = await sideBySide(async (zlib: Zlib) => {
      const packed = zlib.deflateSync(text);
      const truncated = packed.subarray(0, packed.length - 200);
      const partial = zlib.inflateSync(truncated, { finishFlush: zlib.constants.Z_SYNC_FLUSH });
      const partialAsync = await promisify(zlib.inflate)(truncated, { finishFlush: zlib.constants.Z_SYNC_FLUSH });
      return {
        partial: partial.length,
        prefix: text.subarray(0, partial.length).equals(partial),
        partialAsync: partialAsync.length,
        finish: thrownBy(() => zlib.inflateSync(truncated)),
      };
    });
    expect(result.zaccel).toEqual(result.node);
    expect(result.zaccel.partial).toBeGreaterThan(0);
  });
});

describe('errors of bad data', () => {
  const cases: [string, (zlib: Zlib) => [string, Buffer]][] = [
    ['bad zlib header', () => ['inflateSync', Buffer.from('not zlib data at all')]],
    ['bad gzip header', () => ['gunzipSync', Buffer.from('not gzip data at all')]],
    ['bad block type', () => ['inflateRawSync', Buffer.from([0x07, 0, 0])]],
    ['empty input', () => ['inflateSync', Buffer.alloc(0)]],
    ['truncated gzip', (zlib) => ['gunzipSync', zlib.gzipSync(text).subarray(0, 100)]],
    [
      'bad checksum',
      (zlib) => {
        const packed = Buffer.from(zlib.deflateSync(text));
        packed[packed.length - 1] ^= 0xff;
        return ['inflateSync', packed];
      },
    ],
    ['missing dictionary', (zlib) => ['inflateSync', zlib.deflateSync(text, { dictionary: Buffer.from('fox dog') })]],
  ];
  for (const [label, make] of cases) {
    test(`sync: ${label}`, async () => {
      const result = await sideBySide((zlib: Zlib) => {
        const [method, input] = make(zlib);
        return thrownBy(() => zlib[method](input));
      });
      expect(result.zaccel).toEqual(result.node);
      expect(result.zaccel).not.toBe('no error');
    });
    test(`callback: ${label}`, async () => {
      const result = await sideBySide(async (zlib: Zlib) => {
        const [method, input] = make(zlib);
        const name = method.replace(/Sync$/, '');
        return new Promise((resolve) =>
          zlib[name](input, (error: Error | null) => resolve(error ? shapeOf(error) : 'no error')),
        );
      });
      expect(result.zaccel).toEqual(result.node);
    });
  }

  test('a wrong dictionary', async () => {
    const result = await sideBySide((zlib: Zlib) => {
      const packed = zlib.deflateSync(text, { dictionary: Buffer.from('fox dog') });
      return thrownBy(() => zlib.inflateSync(packed, { dictionary: Buffer.from('other words') }));
    });
    expect(result.zaccel).toEqual(result.node);
  });

  test('output past maxOutputLength', async () => {
    const result = await sideBySide((zlib: Zlib) =>
      thrownBy(() => zlib.inflateSync(zlib.deflateSync(text), { maxOutputLength: 1000 })),
    );
    expect(result.zaccel).toEqual(result.node);
  });
});

describe('concatenated gzip members', () => {
  test('decode as one, in sync and async forms', async () => {
    const result = await sideBySide(async (zlib: Zlib) => {
      const members = Buffer.concat([zlib.gzipSync('first '), zlib.gzipSync('second')]);
      return [zlib.gunzipSync(members).toString(), (await promisify(zlib.unzip)(members)).toString()];
    });
    expect(result.zaccel).toEqual(result.node);
  });
});
