/**
 * zaccel as a drop-in `zlib` for @fastify/compress: the plugin compresses
 * responses and decompresses request bodies with zaccel's node:zlib-shaped
 * exports. zaccel has no Brotli; the plugin itself falls back to node:zlib
 * for any function its `zlib` option lacks, which this test shows too.
 */
import zlib from 'node:zlib';
import compress from '@fastify/compress';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, expect, test } from 'vitest';
import * as zaccel from '../../src/index.js';
import { textBytes } from './helpers.js';

const big = textBytes(300_000, 3).toString('latin1');
const small = textBytes(4_000, 4).toString('latin1');

/** zaccel's namespace as it is, with each call counted: proof that the plugin called zaccel. */
const calls: Record<string, number> = {};
const counted = Object.fromEntries(
  Object.entries(zaccel).map(([name, value]) => [
    name,
    typeof value === 'function' && /^(create|.*Sync$)/.test(name)
      ? (...args: unknown[]) => {
          calls[name] = (calls[name] ?? 0) + 1;
          return (value as (...a: unknown[]) => unknown)(...args);
        }
      : value,
  ]),
);

async function appWith(zlibOption: object): Promise<FastifyInstance> {
  const app = Fastify();
  await app.register(compress, { zlib: zlibOption, global: true, threshold: 1024 });
  app.get('/big', async (_request, reply) => reply.type('text/plain').send(big));
  app.get('/small', async (_request, reply) => reply.type('text/plain').send(small));
  app.post('/echo', async (request) => ({ length: (request.body as { text: string }).text.length }));
  await app.ready();
  return app;
}

let plain: FastifyInstance;
let spied: FastifyInstance;

beforeAll(async () => {
  plain = await appWith(zaccel); // the module namespace itself, unwrapped
  spied = await appWith(counted);
});
afterAll(async () => {
  await plain.close();
  await spied.close();
});

test.each(['gzip', 'deflate'])(
  'responses compressed with %s by zaccel (the namespace as the zlib option)',
  async (encoding) => {
    for (const [url, body] of [
      ['/big', big],
      ['/small', small],
    ]) {
      const response = await plain.inject({ method: 'GET', url, headers: { 'accept-encoding': encoding } });
      expect(response.statusCode).toBe(200);
      expect(response.headers['content-encoding']).toBe(encoding);
      const decoded =
        encoding === 'gzip' ? zlib.gunzipSync(response.rawPayload) : zlib.inflateSync(response.rawPayload);
      expect(decoded.toString('latin1')).toBe(body);
    }
  },
);

test('the plugin called zaccel: streams for large payloads, one-shots for small ones', async () => {
  for (const key of Object.keys(calls)) delete calls[key];
  for (const encoding of ['gzip', 'deflate']) {
    for (const url of ['/big', '/small']) {
      const response = await spied.inject({ method: 'GET', url, headers: { 'accept-encoding': encoding } });
      expect(response.headers['content-encoding']).toBe(encoding);
    }
  }
  expect((calls.createGzip ?? 0) + (calls.gzipSync ?? 0)).toBe(2);
  expect((calls.createDeflate ?? 0) + (calls.deflateSync ?? 0)).toBe(2);
  expect(Object.keys(calls).length).toBeGreaterThan(0);
});

test.each([
  ['gzip', zlib.gzipSync, 'createGunzip'],
  ['deflate', zlib.deflateSync, 'createInflate'],
] as const)('request bodies with Content-Encoding %s are decompressed by zaccel', async (encoding, encode, factory) => {
  for (const key of Object.keys(calls)) delete calls[key];
  const payload = encode(Buffer.from(JSON.stringify({ text: big })));
  const response = await spied.inject({
    method: 'POST',
    url: '/echo',
    payload,
    headers: { 'content-type': 'application/json', 'content-encoding': encoding },
  });
  expect(response.statusCode).toBe(200);
  expect(response.json()).toEqual({ length: big.length });
  expect(calls[factory]).toBe(1);
});

test('Brotli is not in zaccel: the plugin takes it from node:zlib', async () => {
  expect('createBrotliCompress' in zaccel).toBe(false);
  const response = await plain.inject({ method: 'GET', url: '/big', headers: { 'accept-encoding': 'br' } });
  expect(response.headers['content-encoding']).toBe('br');
  expect(zlib.brotliDecompressSync(response.rawPayload).toString('latin1')).toBe(big);
});
