/**
 * node:zlib's classes and constants, side by side with zaccel's: construction
 * with and without `new`, instanceof, subclassing, `codes` and the legacy
 * top-level Z_* constants.
 */
import { afterAll, describe, expect, test } from 'vitest';
import { closeThreadPool } from '../../src/index.js';
import { drain, sideBySide, text, type Zlib } from './side-by-side.js';

afterAll(() => closeThreadPool());

const classNames = ['Deflate', 'Inflate', 'Gzip', 'Gunzip', 'DeflateRaw', 'InflateRaw', 'Unzip'];

describe('classes', () => {
  test('each class constructs with new and without, and instances are instanceof it', async () => {
    const result = await sideBySide((zlib: Zlib) =>
      classNames.map((name) => {
        const withNew = new zlib[name]();
        const withoutNew = zlib[name]();
        const created = zlib[`create${name}`]();
        const facts = [
          typeof zlib[name],
          zlib[name].name,
          withNew instanceof zlib[name],
          withoutNew instanceof zlib[name],
          created instanceof zlib[name],
          withNew.constructor === zlib[name],
          typeof withNew.pipe,
          typeof withNew.flush,
          typeof withNew.params,
          typeof withNew.reset,
          typeof withNew.close,
        ];
        for (const stream of [withNew, withoutNew, created]) stream.close();
        return facts;
      }),
    );
    expect(result.zaccel).toEqual(result.node);
  });

  test('a subclass constructs, keeps its own methods, and compresses', async () => {
    const result = await sideBySide(async (zlib: Zlib) => {
      const Gzip: new (options?: object) => Zlib = zlib.Gzip;
      class Labelled extends Gzip {
        label(): string {
          return `gzip level ${this._level}`;
        }
      }
      const stream = new Labelled({ level: 3 });
      const facts = [
        stream instanceof Labelled,
        stream instanceof zlib.Gzip,
        stream.label(),
        Object.getPrototypeOf(Labelled) === zlib.Gzip,
      ];
      const done = drain(stream as Zlib);
      stream.end(text);
      const output = await done;
      return [...facts, zlib.gunzipSync(output).equals(text)];
    });
    expect(result.zaccel).toEqual(result.node);
    expect(result.zaccel.at(-1)).toBe(true);
  });

  test('instances of different classes are not instanceof each other', async () => {
    const result = await sideBySide((zlib: Zlib) => {
      const gzip = zlib.createGzip();
      const facts = classNames.map((name) => gzip instanceof zlib[name]);
      gzip.close();
      return facts;
    });
    expect(result.zaccel).toEqual(result.node);
  });
});

describe('constants', () => {
  test('codes maps each status to its name and back', async () => {
    const result = await sideBySide((zlib: Zlib) => ({ ...zlib.codes }));
    expect(result.zaccel).toEqual(result.node);
    expect(Object.isFrozen((await import('../../src/index.js')).codes)).toBe(true);
  });

  test('the legacy top-level Z_* constants have node:zlib values', async () => {
    const names = Object.keys((await import('node:zlib')).constants).filter((name) => name.startsWith('Z_'));
    const result = await sideBySide((zlib: Zlib) => names.map((name) => [name, zlib[name]]));
    expect(result.zaccel).toEqual(result.node);
  });

  test('constants holds node:zlib values for every zlib name', async () => {
    const node = (await import('node:zlib')).constants as Record<string, number>;
    const ours = (await import('../../src/index.js')).constants as Record<string, number>;
    const names = Object.keys(node).filter((name) => !name.startsWith('BROTLI'));
    expect(names.map((name) => [name, ours[name]])).toEqual(names.map((name) => [name, node[name]]));
  });
});
