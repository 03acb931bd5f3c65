/**
 * POST /v1/deflate and /v1/inflate through fastify.inject: every format and
 * parameter, the parameter errors, and every error code a body can cause.
 */
import zlib from 'node:zlib';
import { Readable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { deflateSync as zaccelDeflateSync } from '../../src/index.js';
import { testServer, textBytes } from './helpers.js';

let app: FastifyInstance;
const text = textBytes(200_000);

beforeAll(async () => {
  app = await testServer({ maxBodyBytes: 4 << 20, maxOutputBytes: 32 << 20, maxOutputLimitBytes: 64 << 20 });
});
afterAll(async () => {
  await app.close();
});

const post = (url: string, payload?: Buffer | Readable | string, headers: Record<string, string> = {}) =>
  app.inject({ method: 'POST', url, payload, headers: { 'content-type': 'application/octet-stream', ...headers } });

function errorOf(response: { json: () => unknown }) {
  return (response.json() as { error: { code: string; message: string } }).error;
}

describe('deflate', () => {
  test.each([
    ['zlib', (b: Buffer) => zlib.inflateSync(b)],
    ['gzip', (b: Buffer) => zlib.gunzipSync(b)],
    ['raw', (b: Buffer) => zlib.inflateRawSync(b)],
  ] as const)('format %s decodes with node:zlib, with the engine and counts in headers', async (format, decode) => {
    const response = await post(`/v1/deflate?format=${format}&level=6`, text);
    expect(response.statusCode).toBe(200);
    expect(decode(response.rawPayload).equals(text)).toBe(true);
    expect(response.headers['x-zaccel-engine']).toBe('zlib');
    expect(response.headers['x-zaccel-format']).toBe(format);
    expect(response.headers['x-zaccel-fallback']).toBe('false');
    expect(response.headers['x-zaccel-bytes-in']).toBe(String(text.length));
    expect(response.headers['x-zaccel-bytes-out']).toBe(String(response.rawPayload.length));
    expect(response.headers['content-type']).toBe(format === 'gzip' ? 'application/gzip' : 'application/octet-stream');
  });

  test('the default is zlib format at level 6, byte-identical to the library', async () => {
    const response = await post('/v1/deflate', text);
    expect(response.statusCode).toBe(200);
    expect(response.rawPayload.equals(zaccelDeflateSync(text, { level: 6 }))).toBe(true);
  });

  test('level, strategy, windowBits and memLevel reach zlib', async () => {
    for (const query of [
      'level=0',
      'level=1',
      'level=9',
      'strategy=filtered',
      'strategy=huffman',
      'strategy=rle',
      'strategy=fixed',
      'windowBits=9',
      'memLevel=1&level=9',
    ]) {
      const response = await post(`/v1/deflate?${query}`, text);
      expect(response.statusCode, query).toBe(200);
      const parameters = Object.fromEntries(new URLSearchParams(query));
      const strategies = { filtered: 1, huffman: 2, rle: 3, fixed: 4 } as Record<string, number>;
      const expected = zaccelDeflateSync(text, {
        level: parameters.level === undefined ? undefined : (Number(parameters.level) as 6),
        strategy: parameters.strategy === undefined ? undefined : (strategies[parameters.strategy] as 1),
        windowBits: parameters.windowBits === undefined ? undefined : Number(parameters.windowBits),
        memLevel: parameters.memLevel === undefined ? undefined : Number(parameters.memLevel),
      });
      // Pushed in pieces through a stream core rather than whole: same stream unless level 0 (stored block boundaries).
      if (parameters.level !== '0') expect(response.rawPayload.equals(expected), query).toBe(true);
      expect(zlib.inflateSync(response.rawPayload).equals(text), query).toBe(true);
    }
  });

  test('staged body input is stable: copy=auto makes no copy, copy=always copies every call', async () => {
    const auto = await post('/v1/deflate?copy=auto', text);
    expect(auto.headers['x-zaccel-copies']).toBe('0');
    const always = await post('/v1/deflate?copy=always', text);
    expect(Number(always.headers['x-zaccel-copies'])).toBeGreaterThan(0);
    expect(always.headers['x-zaccel-copy-bytes']).toBe(String(text.length));
    expect(always.rawPayload.equals(auto.rawPayload)).toBe(true);
  });

  test('an empty body compresses to an empty stream', async () => {
    const response = await post('/v1/deflate?format=gzip', Buffer.alloc(0));
    expect(response.statusCode).toBe(200);
    expect(zlib.gunzipSync(response.rawPayload).length).toBe(0);
    const bare = await app.inject({ method: 'POST', url: '/v1/deflate' });
    expect(bare.statusCode).toBe(200);
    expect(zlib.inflateSync(bare.rawPayload).length).toBe(0);
  });

  test('any content type is taken as raw bytes, JSON included', async () => {
    const json = Buffer.from('{"a":1}');
    const response = await post('/v1/deflate', json, { 'content-type': 'application/json' });
    expect(response.statusCode).toBe(200);
    expect(zlib.inflateSync(response.rawPayload).equals(json)).toBe(true);
  });

  test('the dfltcc engine: used when available, ZACCEL_ENGINE_UNAVAILABLE (501) when not', async () => {
    const info = app.zaccel.pool.engines().find((engine) => engine.name === 'dfltcc');
    const response = await post('/v1/deflate?engine=dfltcc&format=gzip&level=1', text);
    if (info?.available) {
      expect(response.statusCode).toBe(200);
      expect(response.headers['x-zaccel-engine']).toBe('dfltcc');
      expect(zlib.gunzipSync(response.rawPayload).equals(text)).toBe(true);
      expect(['true', 'false']).toContain(response.headers['x-zaccel-fallback']);
      // Body input is staged, so stable: even an engine that reads twice needs no copy under auto.
      expect(response.headers['x-zaccel-copies']).toBe('0');
    } else {
      expect(response.statusCode).toBe(501);
      expect(errorOf(response).code).toBe('ZACCEL_ENGINE_UNAVAILABLE');
    }
  });

  test('maxOutput caps the compressed output: 413 ZACCEL_OUTPUT_LIMIT', async () => {
    const response = await post('/v1/deflate?level=0&maxOutput=1000', text);
    expect(response.statusCode).toBe(413);
    expect(errorOf(response).code).toBe('ZACCEL_OUTPUT_LIMIT');
  });
});

describe('inflate', () => {
  test.each([
    ['zlib', zlib.deflateSync],
    ['gzip', zlib.gzipSync],
    ['raw', zlib.deflateRawSync],
  ] as const)('format %s from node:zlib', async (format, encode) => {
    const response = await post(`/v1/inflate?format=${format}`, encode(text));
    expect(response.statusCode).toBe(200);
    expect(response.rawPayload.equals(text)).toBe(true);
    expect(response.headers['x-zaccel-bytes-out']).toBe(String(text.length));
  });

  test('auto (the default) finds zlib and gzip; gzip members concatenate', async () => {
    expect((await post('/v1/inflate', zlib.deflateSync(text))).rawPayload.equals(text)).toBe(true);
    expect((await post('/v1/inflate?format=auto', zlib.gzipSync(text))).rawPayload.equals(text)).toBe(true);
    const twice = Buffer.concat([zlib.gzipSync(text), zlib.gzipSync(text)]);
    expect((await post('/v1/inflate?format=gzip', twice)).rawPayload.equals(Buffer.concat([text, text]))).toBe(true);
  });

  test('raw with a small window', async () => {
    const compressed = zlib.deflateRawSync(text, { windowBits: 9 });
    const response = await post('/v1/inflate?format=raw&windowBits=9', compressed);
    expect(response.statusCode).toBe(200);
    expect(response.rawPayload.equals(text)).toBe(true);
  });

  test.each([
    ['garbage', Buffer.from('this is not compressed data at all'), 'zlib', 'ZACCEL_DATA_ERROR'],
    [
      'a bad checksum',
      (() => {
        const b = zlib.deflateSync(text);
        b[b.length - 1] ^= 0xff;
        return b;
      })(),
      'zlib',
      'ZACCEL_DATA_ERROR',
    ],
    ['a truncated stream', zlib.gzipSync(text).subarray(0, 1000), 'gzip', 'ZACCEL_TRUNCATED'],
    ['an empty body', Buffer.alloc(0), 'zlib', 'ZACCEL_TRUNCATED'],
    [
      'bytes after the end',
      Buffer.concat([zlib.deflateSync(text), Buffer.from('extra')]),
      'zlib',
      'ZACCEL_TRAILING_DATA',
    ],
    [
      'a stream that needs a dictionary',
      zlib.deflateSync(text, { dictionary: Buffer.from('zaccel deflate') }),
      'zlib',
      'ZACCEL_NEED_DICTIONARY',
    ],
  ])('%s: 400 with its code', async (_name, body, format, code) => {
    const response = await post(`/v1/inflate?format=${format}`, body);
    expect(response.statusCode).toBe(400);
    expect(response.headers['content-type']).toMatch(/^application\/json/);
    expect(errorOf(response).code).toBe(code);
  });

  test('maxOutput: exactly enough passes, one byte less is 413 ZACCEL_OUTPUT_LIMIT', async () => {
    const compressed = zlib.deflateSync(text);
    expect((await post(`/v1/inflate?maxOutput=${text.length}`, compressed)).statusCode).toBe(200);
    const refused = await post(`/v1/inflate?maxOutput=${text.length - 1}`, compressed);
    expect(refused.statusCode).toBe(413);
    expect(errorOf(refused).code).toBe('ZACCEL_OUTPUT_LIMIT');
  });

  test('the server-wide output cap applies when the request sets none', async () => {
    const small = await testServer({ maxOutputBytes: 100_000 });
    try {
      const response = await small.inject({ method: 'POST', url: '/v1/inflate', payload: zlib.deflateSync(text) });
      expect(response.statusCode).toBe(413);
      expect(errorOf(response).code).toBe('ZACCEL_OUTPUT_LIMIT');
    } finally {
      await small.close();
    }
  });
});

describe('parameters are validated by schema', () => {
  test.each([
    '/v1/deflate?level=10',
    '/v1/deflate?level=-2',
    '/v1/deflate?level=fast',
    '/v1/deflate?level=1.5',
    '/v1/deflate?format=auto',
    '/v1/deflate?format=brotli',
    '/v1/deflate?engine=native',
    '/v1/deflate?strategy=best',
    '/v1/deflate?windowBits=7',
    '/v1/deflate?windowBits=16',
    '/v1/deflate?memLevel=0',
    '/v1/deflate?memLevel=10',
    '/v1/deflate?copy=sometimes',
    '/v1/deflate?maxOutput=0',
    '/v1/deflate?levle=9',
    '/v1/inflate?level=6',
    '/v1/inflate?strategy=rle',
    '/v1/inflate?copy=never',
    '/v1/inflate?format=zip',
    '/v1/inflate?windowBits=16',
    '/v1/inflate?maxOutput=0',
    `/v1/inflate?maxOutput=${(64 << 20) + 1}`,
    '/v1/inflate?maxOutput=-5',
  ])('%s: 400 ZACCEL_BAD_OPTION', async (url) => {
    const response = await post(url, Buffer.from('x'));
    expect(response.statusCode).toBe(400);
    expect(errorOf(response).code).toBe('ZACCEL_BAD_OPTION');
    expect(errorOf(response).message.length).toBeGreaterThan(0);
  });

  test('values the schema allows but zlib refuses are ZACCEL_BAD_OPTION from the library', async () => {
    const response = await post('/v1/inflate?format=raw&windowBits=0', zlib.deflateRawSync(text));
    expect(response.statusCode).toBe(400);
    expect(errorOf(response).code).toBe('ZACCEL_BAD_OPTION');
  });
});

describe('body limits', () => {
  test('a declared Content-Length over the limit is refused before it is processed: 413 ZACCEL_BODY_TOO_LARGE', async () => {
    // A body small enough to read and drop is read first, so that the client gets the answer; the connection stays usable.
    const response = await post('/v1/deflate', Buffer.alloc((4 << 20) + 1));
    expect(response.statusCode).toBe(413);
    expect(errorOf(response).code).toBe('ZACCEL_BODY_TOO_LARGE');
    expect(response.headers.connection).not.toBe('close');
  });

  test('a chunked body that grows past the limit: 413 ZACCEL_BODY_TOO_LARGE', async () => {
    const chunk = Buffer.alloc(256 * 1024, 1);
    let sent = 0;
    const body = new Readable({
      read() {
        sent += chunk.length;
        this.push(sent > 6 << 20 ? null : chunk);
      },
    });
    const response = await post('/v1/deflate?level=1', body);
    expect(response.statusCode).toBe(413);
    expect(errorOf(response).code).toBe('ZACCEL_BODY_TOO_LARGE');
  });
});
