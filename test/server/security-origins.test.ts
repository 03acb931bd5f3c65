/**
 * Browser origins through a real listener: a request with an Origin that is
 * not allowed is refused (403 ZACCEL_FORBIDDEN_ORIGIN) and never processed,
 * the "simple" cross-origin text/plain POST included; allowed origins get
 * their preflights answered and their answers marked readable.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { resolveConfig } from '../../server/config.js';
import { normalizeOrigin, OriginPolicy } from '../../server/security/origins.js';
import { listen, request, testServer, textBytes, type Answer } from './helpers.js';

const allowed = 'http://app.example:3000';
const evil = 'https://evil.example';

let app: FastifyInstance;
let port: number;

beforeAll(async () => {
  app = await testServer({ allowOrigins: [allowed, 'https://second.example'] });
  port = await listen(app);
});
afterAll(async () => {
  await app.close();
});

// biome-ignore lint/suspicious/noExplicitAny: the tests read fields of JSON answers of several shapes
const json = (answer: Answer) => JSON.parse(answer.body.toString()) as Record<string, any>;

async function openStream(): Promise<string> {
  const opened = await request({
    port,
    path: '/v1/streams',
    headers: { 'content-type': 'application/json' },
    body: Buffer.from('{"mode":"deflate"}'),
  });
  expect(opened.status).toBe(201);
  return json(opened).id as string;
}

async function streamInfo(id: string) {
  const info = await request({ port, method: 'GET', path: `/v1/streams/${id}` });
  return { status: info.status, ...json(info) };
}

describe('an Origin that is not allowed', () => {
  test('a cross-origin text/plain POST is refused with 403 and never reaches the stream', async () => {
    const id = await openStream();
    const answer = await request({
      port,
      path: `/v1/streams/${id}/write?flush=sync`,
      headers: { origin: evil, 'content-type': 'text/plain' },
      body: textBytes(200_000),
    });
    expect(answer.status).toBe(403);
    expect(json(answer).error.code).toBe('ZACCEL_FORBIDDEN_ORIGIN');
    expect(answer.headers['access-control-allow-origin']).toBeUndefined();
    expect(await streamInfo(id)).toMatchObject({ status: 200, state: 'open', writes: 0, bytesIn: 0 });
    // Nor can it delete the stream, nor read it.
    expect(
      (await request({ port, method: 'DELETE', path: `/v1/streams/${id}`, headers: { origin: evil } })).status,
    ).toBe(403);
    expect((await request({ port, method: 'GET', path: `/v1/streams/${id}`, headers: { origin: evil } })).status).toBe(
      403,
    );
    expect((await streamInfo(id)).status).toBe(200);
    // The same write without an Origin (curl, a server) goes through.
    const direct = await request({
      port,
      path: `/v1/streams/${id}/write?flush=sync`,
      headers: { 'content-type': 'text/plain' },
      body: textBytes(1000),
    });
    expect(direct.status).toBe(200);
    expect(await streamInfo(id)).toMatchObject({ writes: 1, bytesIn: 1000 });
  });

  test('a cross-origin one-shot is not run, and opens no stream', async () => {
    const before = app.zaccel.streams.size;
    const deflate = await request({
      port,
      path: '/v1/deflate',
      headers: { origin: evil, 'content-type': 'text/plain' },
      body: textBytes(100_000),
    });
    expect(deflate.status).toBe(403);
    expect(deflate.headers['content-type']).toMatch(/^application\/json/);
    const stream = await request({
      port,
      path: '/v1/streams',
      headers: { origin: evil, 'content-type': 'text/plain' },
      body: Buffer.from('{"mode":"deflate"}'),
    });
    expect(stream.status).toBe(403);
    expect(app.zaccel.streams.size).toBe(before);
    const metrics = await request({ port, method: 'GET', path: '/metrics' });
    expect(metrics.body.toString()).toMatch(/^zaccel_errors_total\{code="ZACCEL_FORBIDDEN_ORIGIN"\} [1-9]/m);
  });

  test('every kind of origin that is not on the list: another port, scheme or host, null, garbage', async () => {
    for (const origin of [
      'http://app.example:3001',
      'https://app.example:3000',
      'http://app.example',
      'http://app.example.evil.example:3000',
      'null',
      'app.example:3000',
      '*',
    ]) {
      const answer = await request({ port, method: 'GET', path: '/v1/engines', headers: { origin } });
      expect(answer.status, origin).toBe(403);
      expect(json(answer).error.code).toBe('ZACCEL_FORBIDDEN_ORIGIN');
    }
  });

  test('a preflight from it is refused', async () => {
    const answer = await request({
      port,
      method: 'OPTIONS',
      path: '/v1/deflate',
      headers: {
        origin: evil,
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'content-type',
      },
    });
    expect(answer.status).toBe(403);
    expect(answer.headers['access-control-allow-origin']).toBeUndefined();
    expect(answer.headers['access-control-allow-methods']).toBeUndefined();
  });
});

describe('an allowed origin', () => {
  test('its preflight is answered with the Access-Control headers', async () => {
    const answer = await request({
      port,
      method: 'OPTIONS',
      path: '/v1/streams/abc/write?flush=sync',
      headers: {
        origin: allowed,
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'authorization, content-type',
      },
    });
    expect(answer.status).toBe(204);
    expect(answer.body.length).toBe(0);
    expect(answer.headers['access-control-allow-origin']).toBe(allowed);
    expect(answer.headers['access-control-allow-methods']).toBe('GET, POST, DELETE');
    expect(answer.headers['access-control-allow-headers']).toBe('authorization, content-type');
    expect(Number(answer.headers['access-control-max-age'])).toBeGreaterThan(0);
    expect(answer.headers.vary).toMatch(/origin/i);
    // No cookies: credentials are never allowed.
    expect(answer.headers['access-control-allow-credentials']).toBeUndefined();
    expect(answer.headers['access-control-allow-private-network']).toBeUndefined();
  });

  test('a preflight that asks for Private Network Access (a public page reaching loopback) is granted to it', async () => {
    const answer = await request({
      port,
      method: 'OPTIONS',
      path: '/v1/deflate',
      headers: {
        origin: allowed,
        'access-control-request-method': 'POST',
        'access-control-request-private-network': 'true',
      },
    });
    expect(answer.status).toBe(204);
    expect(answer.headers['access-control-allow-private-network']).toBe('true');
    const refused = await request({
      port,
      method: 'OPTIONS',
      path: '/v1/deflate',
      headers: {
        origin: evil,
        'access-control-request-method': 'POST',
        'access-control-request-private-network': 'true',
      },
    });
    expect(refused.status).toBe(403);
    expect(refused.headers['access-control-allow-private-network']).toBeUndefined();
  });

  test('its requests are served, readable by it, with their headers exposed', async () => {
    const answer = await request({
      port,
      path: '/v1/deflate?level=1',
      headers: { origin: allowed, 'content-type': 'text/plain' },
      body: textBytes(5000),
    });
    expect(answer.status).toBe(200);
    expect(answer.headers['access-control-allow-origin']).toBe(allowed);
    expect(answer.headers.vary).toMatch(/origin/i);
    const exposed = String(answer.headers['access-control-expose-headers']).split(', ');
    expect(exposed).toEqual(expect.arrayContaining(['x-zaccel-engine', 'x-zaccel-bytes-in', 'x-zaccel-bytes-out']));
    expect(exposed).not.toContain('content-type');
    expect(exposed).not.toContain('vary');
    expect(answer.headers['x-zaccel-bytes-in']).toBe('5000');
    // A cache must not give this answer to another origin: even an answer without Origin varies by it.
    const plain = await request({ port, method: 'GET', path: '/v1/engines' });
    expect(plain.headers.vary).toBe('origin');
    expect(plain.headers['access-control-allow-origin']).toBeUndefined();
    // The second allowed origin too; and error answers are readable by the page.
    const second = await request({
      port,
      method: 'GET',
      path: '/v1/streams/00000000-0000-4000-8000-000000000000',
      headers: { origin: 'https://second.example' },
    });
    expect(second.status).toBe(404);
    expect(second.headers['access-control-allow-origin']).toBe('https://second.example');
  });

  test('a preflight needs no token, the request itself does', async () => {
    const directory = mkdtempSync(join(tmpdir(), 'zaccel-origin-'));
    const file = join(directory, 'tokens.json');
    writeFileSync(file, JSON.stringify([{ name: 'page', token: 'page-token-0123456789' }]));
    const server = await testServer({ allowOrigins: [allowed], authTokens: file });
    try {
      const serverPort = await listen(server);
      const preflight = await request({
        port: serverPort,
        method: 'OPTIONS',
        path: '/v1/deflate',
        headers: {
          origin: allowed,
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'authorization',
        },
      });
      expect(preflight.status).toBe(204);
      expect(preflight.headers['access-control-allow-headers']).toContain('authorization');
      const refused = await request({
        port: serverPort,
        path: '/v1/deflate',
        headers: { origin: allowed },
        body: Buffer.from('x'),
      });
      expect(refused.status).toBe(401);
      // The page can read why, and the challenge.
      expect(refused.headers['access-control-allow-origin']).toBe(allowed);
      expect(refused.headers['access-control-expose-headers']).toContain('www-authenticate');
      const served = await request({
        port: serverPort,
        path: '/v1/deflate',
        headers: { origin: allowed, authorization: 'Bearer page-token-0123456789' },
        body: Buffer.from('x'),
      });
      expect(served.status).toBe(200);
      // An OPTIONS that is not a preflight is an ordinary request: it needs the token.
      const options = await request({
        port: serverPort,
        method: 'OPTIONS',
        path: '/v1/deflate',
        headers: { origin: allowed },
      });
      expect(options.status).toBe(401);
    } finally {
      await server.close();
      rmSync(directory, { recursive: true, force: true });
    }
  });
});

describe('configuration', () => {
  test('--allow-origin is repeatable, ZACCEL_ALLOW_ORIGINS is comma-separated, and the flag wins', () => {
    expect(
      resolveConfig({}, { ZACCEL_ALLOW_ORIGINS: 'http://a.example, https://b.example:8443' }).allowOrigins,
    ).toEqual(['http://a.example', 'https://b.example:8443']);
    expect(
      resolveConfig(
        { allowOrigins: ['http://c.example', 'http://d.example'] },
        { ZACCEL_ALLOW_ORIGINS: 'http://a.example' },
      ).allowOrigins,
    ).toEqual(['http://c.example', 'http://d.example']);
    expect(resolveConfig({}, {}).allowOrigins).toEqual([]);
  });

  test('origins are compared as browsers serialise them', () => {
    const policy = new OriginPolicy(['HTTP://App.Example:80/', 'https://b.example:443']);
    expect(policy.origins).toEqual(['http://app.example', 'https://b.example']);
    expect(policy.allows('http://app.example')).toBe(true);
    expect(policy.allows('https://b.example')).toBe(true);
    expect(policy.allows('http://b.example')).toBe(false);
    expect(policy.allows('null')).toBe(false);
  });

  test.each([
    'app.example',
    'http://app.example/path',
    'http://user@app.example',
    'ftp://app.example',
    'http://app.example/?q',
    'null',
    '*',
    'http://app.example/.',
  ])('an invalid --allow-origin %j stops the server with ZACCEL_BAD_OPTION', async (origin) => {
    expect(normalizeOrigin(origin)).toBeUndefined();
    await expect(testServer({ allowOrigins: [origin] })).rejects.toMatchObject({
      zaccelCode: 'ZACCEL_BAD_OPTION',
      message: expect.stringContaining('--allow-origin'),
    });
  });
});
