/**
 * Without tokens: every client sees every stream (as before tokens existed),
 * and one client (an IPv4 address, or an IPv6 /64) may hold at most
 * `--max-streams-per-client` streams, so that it cannot take all of the
 * server's `--max-streams` slots: past it, 429 ZACCEL_QUOTA with Retry-After.
 */
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { resolveConfig } from '../../server/config.js';
import { clientAddress } from '../../server/security/principal.js';
import { eventually, listen, request, testServer } from './helpers.js';

let app: FastifyInstance;

beforeAll(async () => {
  app = await testServer({ maxStreamsPerClient: 2, maxStreams: 5, streamIdleMs: 20_000 });
});
afterAll(async () => {
  await app.close();
});

const open = (remoteAddress: string) =>
  app.inject({ method: 'POST', url: '/v1/streams', remoteAddress, payload: { mode: 'deflate' } });
const idOf = (response: { json: () => unknown }) => (response.json() as { id: string }).id;
const remove = (id: string) => app.inject({ method: 'DELETE', url: `/v1/streams/${id}` });

describe('the per-client stream quota', () => {
  test('a client past it gets 429 ZACCEL_QUOTA with Retry-After; others still open theirs; a DELETE gives room back', async () => {
    const first = [await open('10.0.0.1'), await open('10.0.0.1')];
    expect(first.map((response) => response.statusCode)).toEqual([201, 201]);
    const refused = await open('10.0.0.1');
    expect(refused.statusCode).toBe(429);
    expect((refused.json() as { error: { code: string; message: string } }).error).toMatchObject({
      code: 'ZACCEL_QUOTA',
      message: expect.stringContaining('10.0.0.1'),
    });
    const retryAfter = Number(refused.headers['retry-after']);
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(20);
    const other = await open('10.0.0.2');
    expect(other.statusCode).toBe(201);
    expect((await remove(idOf(first[0]))).statusCode).toBe(200);
    const again = await open('10.0.0.1');
    expect(again.statusCode).toBe(201);
    for (const id of [idOf(first[1]), idOf(other), idOf(again)]) await remove(id);
    expect(app.zaccel.streams.size).toBe(0);
  });

  test('an IPv6 client is its /64; an IPv4-mapped address is the IPv4 client', async () => {
    const ids = [await open('2001:db8:1:2::1'), await open('2001:db8:1:2:ffff::9')].map((response) => {
      expect(response.statusCode).toBe(201);
      return idOf(response);
    });
    expect((await open('2001:db8:1:2::abcd')).statusCode).toBe(429);
    const elsewhere = await open('2001:db8:1:3::1');
    expect(elsewhere.statusCode).toBe(201);
    const mapped = [await open('10.9.9.9'), await open('::ffff:10.9.9.9')];
    expect(mapped.map((response) => response.statusCode)).toEqual([201, 201]);
    expect((await open('10.9.9.9')).statusCode).toBe(429);
    for (const id of [...ids, idOf(elsewhere), ...mapped.map(idOf)]) await remove(id);
  });

  test('the quota is checked before the server limit: at its quota a client hears 429, a new client on a full server 503', async () => {
    const ids: string[] = [];
    for (const address of ['10.1.0.1', '10.1.0.1', '10.1.0.2', '10.1.0.2', '10.1.0.3']) {
      const response = await open(address);
      expect(response.statusCode).toBe(201);
      ids.push(idOf(response));
    }
    expect((await open('10.1.0.1')).statusCode).toBe(429);
    const full = await open('10.1.0.4');
    expect(full.statusCode).toBe(503);
    expect((full.json() as { error: { code: string } }).error.code).toBe('ZACCEL_AT_CAPACITY');
    for (const id of ids) await remove(id);
  });

  test('a stream that failed to open gives its quota back', async () => {
    for (let attempt = 0; attempt < 4; attempt++) {
      const bad = await app.inject({
        method: 'POST',
        url: '/v1/streams',
        remoteAddress: '10.2.0.1',
        payload: { mode: 'deflate', format: 'gzip', dictionary: 'AAAA' },
      });
      // Refused by the worker as it makes the core: the stream was registered, then removed.
      expect(bad.statusCode).toBe(400);
    }
    const response = await open('10.2.0.1');
    expect(response.statusCode).toBe(201);
    await remove(idOf(response));
  });

  test('a reaped stream gives its quota back', async () => {
    // The idle period is long enough that no busy moment of the machine lets the stream be reaped before the
    // second request is refused; the reaper is then run as of a minute later.
    const server = await testServer({ maxStreamsPerClient: 1, streamIdleMs: 60_000 });
    try {
      const first = await server.inject({ method: 'POST', url: '/v1/streams', payload: { mode: 'deflate' } });
      expect(first.statusCode).toBe(201);
      const refused = await server.inject({ method: 'POST', url: '/v1/streams', payload: { mode: 'deflate' } });
      expect(refused.statusCode).toBe(429);
      server.zaccel.streams.reap(Date.now() + 60_000);
      await eventually(
        async () => (await server.inject({ method: 'GET', url: `/v1/streams/${idOf(first)}` })).statusCode === 404,
        10_000,
        'the reaper',
      );
      const second = await server.inject({ method: 'POST', url: '/v1/streams', payload: { mode: 'deflate' } });
      expect(second.statusCode).toBe(201);
    } finally {
      await server.close();
    }
  });

  test('without tokens streams are not private: another address may use a stream by its id', async () => {
    const opened = await open('10.3.0.1');
    const id = idOf(opened);
    const info = await app.inject({ method: 'GET', url: `/v1/streams/${id}`, remoteAddress: '10.3.0.2' });
    expect(info.statusCode).toBe(200);
    const deleted = await app.inject({ method: 'DELETE', url: `/v1/streams/${id}`, remoteAddress: '10.3.0.2' });
    expect(deleted.statusCode).toBe(200);
  });

  test('through a real listener: clients on 127.0.0.1 share one quota', async () => {
    const server = await testServer({ maxStreamsPerClient: 1 });
    try {
      const port = await listen(server);
      const body = Buffer.from('{"mode":"inflate"}');
      const headers = { 'content-type': 'application/json' };
      expect((await request({ port, path: '/v1/streams', headers, body })).status).toBe(201);
      const refused = await request({ port, path: '/v1/streams', headers, body });
      expect(refused.status).toBe(429);
      expect(JSON.parse(refused.body.toString()).error.code).toBe('ZACCEL_QUOTA');
      expect(Number(refused.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    } finally {
      await server.close();
    }
  });
});

describe('configuration', () => {
  test('--max-streams-per-client and ZACCEL_MAX_STREAMS_PER_CLIENT, default 256', () => {
    expect(resolveConfig({}, {}).maxStreamsPerClient).toBe(256);
    expect(resolveConfig({}, { ZACCEL_MAX_STREAMS_PER_CLIENT: '16' }).maxStreamsPerClient).toBe(16);
    expect(
      resolveConfig({ maxStreamsPerClient: '8' }, { ZACCEL_MAX_STREAMS_PER_CLIENT: '16' }).maxStreamsPerClient,
    ).toBe(8);
    expect(() => resolveConfig({ maxStreamsPerClient: '0' }, {})).toThrow(/max-streams-per-client/);
  });

  test('client addresses', () => {
    expect(clientAddress('192.0.2.7')).toBe('192.0.2.7');
    expect(clientAddress('::ffff:192.0.2.7')).toBe('192.0.2.7');
    expect(clientAddress('2001:db8::1')).toBe('2001:db8:0:0::/64');
    expect(clientAddress('2001:db8:0:0:1:2:3:4')).toBe('2001:db8:0:0::/64');
    expect(clientAddress('fe80::1%eth0')).toBe('fe80:0:0:0::/64');
    expect(clientAddress('::1')).toBe('0:0:0:0::/64');
    expect(clientAddress('64:ff9b::192.0.2.7')).toBe('64:ff9b:0:0::/64');
  });
});
