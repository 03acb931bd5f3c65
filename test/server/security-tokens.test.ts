/**
 * Bearer tokens through HTTP: every route but /healthz and /readyz needs one,
 * a stream is visible only to the token that opened it (others get the very
 * 404 of a stream that never existed), per-token stream quotas (429 with
 * Retry-After), and the tokens file checked at startup.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest';
import { resolveConfig } from '../../server/config.js';
import { parseTokens, TokenSet } from '../../server/security/tokens.js';
import { listen, request, testServer, textBytes } from './helpers.js';

// Wrap timingSafeEqual to count its calls: the comparison must not stop at the first match.
const crypto = vi.hoisted(() => ({ compared: 0 }));
vi.mock('node:crypto', async (importOriginal) => {
  const original = await importOriginal<typeof import('node:crypto')>();
  return {
    ...original,
    timingSafeEqual: (a: NodeJS.ArrayBufferView, b: NodeJS.ArrayBufferView) => {
      crypto.compared++;
      return original.timingSafeEqual(a, b);
    },
  };
});

const alice = 'alice-0123456789abcdef';
const bob = 'bob-0123456789abcdef01';
const carol = 'carol-0123456789abcdef';

const directory = mkdtempSync(join(tmpdir(), 'zaccel-tokens-'));
let fileCount = 0;
function tokensFile(content: unknown): string {
  const path = join(directory, `tokens-${fileCount++}.json`);
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content), { mode: 0o600 });
  return path;
}

const entries = [
  { name: 'alice', token: alice, maxStreams: 2 },
  { name: 'bob', token: bob },
  { name: 'carol', token: carol, maxStreams: 0 },
];

let app: FastifyInstance;

beforeAll(async () => {
  app = await testServer({ authTokens: tokensFile(entries), maxStreamsPerClient: 3, streamIdleMs: 30_000 });
});
afterAll(async () => {
  await app.close();
  rmSync(directory, { recursive: true, force: true });
});

const auth = (token: string) => ({ authorization: `Bearer ${token}` });
const errorOf = (response: { json: () => unknown }) =>
  (response.json() as { error: { code: string; message: string } }).error;

async function open(token: string, server = app): Promise<string> {
  const response = await server.inject({
    method: 'POST',
    url: '/v1/streams',
    headers: auth(token),
    payload: { mode: 'deflate' },
  });
  expect(response.statusCode).toBe(201);
  return (response.json() as { id: string }).id;
}

describe('every route but /healthz and /readyz needs a token', () => {
  /** Every route the API describes, plus the documentation itself, with a request that would otherwise be valid. */
  function everyRoute(): Array<{ method: 'GET' | 'POST' | 'DELETE'; url: string }> {
    const paths = Object.entries((app.swagger() as { paths: Record<string, Record<string, unknown>> }).paths);
    const routes = paths.flatMap(([path, methods]) =>
      Object.keys(methods).map((method) => ({
        method: method.toUpperCase() as 'GET' | 'POST' | 'DELETE',
        url: path.replace('{id}', '00000000-0000-4000-8000-000000000000'),
      })),
    );
    return [
      ...routes,
      { method: 'GET', url: '/docs' },
      { method: 'GET', url: '/docs/static/index.html' },
      { method: 'GET', url: '/openapi.json' },
      { method: 'GET', url: '/no/such/route' },
    ];
  }

  test('the routes the issue names are among those checked', () => {
    const urls = everyRoute().map((route) => `${route.method} ${route.url}`);
    for (const url of [
      'GET /metrics',
      'GET /docs',
      'GET /openapi.json',
      'GET /v1/engines',
      'POST /v1/deflate',
      'POST /v1/streams',
      'DELETE /v1/streams/00000000-0000-4000-8000-000000000000',
    ]) {
      expect(urls).toContain(url);
    }
  });

  test('without a token: 401 ZACCEL_UNAUTHORIZED with WWW-Authenticate: Bearer', async () => {
    for (const route of everyRoute()) {
      if (route.url === '/healthz' || route.url === '/readyz') continue;
      const response = await app.inject({ ...route, payload: route.method === 'POST' ? 'data' : undefined });
      expect(response.statusCode, `${route.method} ${route.url}`).toBe(401);
      expect(errorOf(response).code).toBe('ZACCEL_UNAUTHORIZED');
      expect(response.headers['www-authenticate']).toBe('Bearer realm="zaccel"');
    }
  });

  test('with a wrong or malformed token: 401 with error="invalid_token"', async () => {
    for (const authorization of [
      `Bearer ${alice}x`,
      `Bearer ${alice.slice(0, -1)}`,
      'Bearer',
      `Basic ${Buffer.from(`alice:${alice}`).toString('base64')}`,
      alice,
    ]) {
      for (const route of everyRoute()) {
        if (route.url === '/healthz' || route.url === '/readyz') continue;
        const response = await app.inject({ ...route, headers: { authorization } });
        expect(response.statusCode, `${authorization} ${route.method} ${route.url}`).toBe(401);
        expect(errorOf(response).code).toBe('ZACCEL_UNAUTHORIZED');
        expect(response.headers['www-authenticate']).toBe('Bearer realm="zaccel", error="invalid_token"');
      }
    }
  });

  test('with a valid token every route answers (the scheme is case-insensitive)', async () => {
    for (const authorization of [`Bearer ${alice}`, `bearer ${bob}`, `BEARER  ${carol}`]) {
      for (const route of everyRoute()) {
        const response = await app.inject({ ...route, headers: { authorization } });
        expect(response.statusCode, `${authorization} ${route.method} ${route.url}`).not.toBe(401);
      }
    }
    const engines = await app.inject({ method: 'GET', url: '/v1/engines', headers: auth(bob) });
    expect(engines.statusCode).toBe(200);
    const metrics = await app.inject({ method: 'GET', url: '/metrics', headers: auth(bob) });
    expect(metrics.body).toMatch(/^zaccel_errors_total\{code="ZACCEL_UNAUTHORIZED"\} [1-9]/m);
    const docs = await app.inject({ method: 'GET', url: '/openapi.json', headers: auth(bob) });
    const description = docs.json() as { security: unknown; paths: Record<string, { get: { security?: unknown } }> };
    expect(description.security).toEqual([{ bearer: [] }]);
    expect(description.paths['/healthz'].get.security).toEqual([]);
    expect(description.paths['/readyz'].get.security).toEqual([]);
    expect(description.paths['/v1/engines'].get.security).toBeUndefined();
  });

  test('/healthz and /readyz answer without a token, and with a wrong one', async () => {
    for (const url of ['/healthz', '/readyz']) {
      expect((await app.inject({ method: 'GET', url })).statusCode).toBe(200);
      expect(
        (await app.inject({ method: 'GET', url, headers: { authorization: 'Bearer wrong-token-wrong-token' } }))
          .statusCode,
      ).toBe(200);
      expect((await app.inject({ method: 'HEAD', url })).statusCode).toBe(200);
    }
  });

  test('a refused one-shot is never run', async () => {
    const before = await bytesIn();
    const response = await app.inject({ method: 'POST', url: '/v1/deflate', payload: textBytes(100_000) });
    expect(response.statusCode).toBe(401);
    expect(await bytesIn()).toBe(before);
    const accepted = await app.inject({
      method: 'POST',
      url: '/v1/deflate',
      headers: auth(alice),
      payload: textBytes(100_000),
    });
    expect(accepted.statusCode).toBe(200);
    expect(await bytesIn()).toBe(before + 100_000);
  });

  test('every token digest is compared, whichever matches', () => {
    const set = new TokenSet(entries);
    for (const token of [alice, bob, carol, 'nobody-0123456789abcdef']) {
      crypto.compared = 0;
      set.authenticate(`Bearer ${token}`);
      expect(crypto.compared, token).toBe(entries.length);
    }
    expect(set.authenticate(`Bearer ${bob}`)).toEqual({
      outcome: 'valid',
      holder: { name: 'bob', maxStreams: undefined },
    });
    expect(set.authenticate(undefined)).toEqual({ outcome: 'missing' });
  });
});

describe('a stream belongs to the token that opened it', () => {
  test('another token gets exactly the 404 of a stream that never existed, and cannot touch it', async () => {
    const id = await open(alice);
    const never = '11111111-1111-4111-8111-111111111111';
    const requests = [
      { method: 'GET' as const, path: '' },
      { method: 'POST' as const, path: '/write?flush=sync', payload: 'hello' },
      { method: 'DELETE' as const, path: '' },
    ];
    for (const { method, path, payload } of requests) {
      const foreign = await app.inject({ method, url: `/v1/streams/${id}${path}`, headers: auth(bob), payload });
      const missing = await app.inject({ method, url: `/v1/streams/${never}${path}`, headers: auth(alice), payload });
      expect(foreign.statusCode, `${method} ${path}`).toBe(404);
      expect(missing.statusCode).toBe(404);
      expect(foreign.body).toBe(missing.body.replaceAll(never, id));
      expect(foreign.headers['content-type']).toBe(missing.headers['content-type']);
      expect(foreign.headers['content-length']).toBe(missing.headers['content-length']);
    }
    // The owner's stream is as it was: nothing written, not deleted.
    const info = await app.inject({ method: 'GET', url: `/v1/streams/${id}`, headers: auth(alice) });
    expect(info.statusCode).toBe(200);
    expect(info.json()).toMatchObject({ state: 'open', writes: 0, bytesIn: 0 });
    const write = await app.inject({
      method: 'POST',
      url: `/v1/streams/${id}/write?flush=finish`,
      headers: auth(alice),
      payload: 'hello',
    });
    expect(write.statusCode).toBe(200);
    expect((await app.inject({ method: 'DELETE', url: `/v1/streams/${id}`, headers: auth(alice) })).statusCode).toBe(
      200,
    );
  });

  test('through a real listener too', async () => {
    const server = await testServer({ authTokens: tokensFile(entries) });
    try {
      const port = await listen(server);
      const opened = await request({
        port,
        path: '/v1/streams',
        headers: { ...auth(bob), 'content-type': 'application/json' },
        body: Buffer.from('{"mode":"deflate"}'),
      });
      expect(opened.status).toBe(201);
      const { id } = JSON.parse(opened.body.toString()) as { id: string };
      const foreign = await request({
        port,
        path: `/v1/streams/${id}/write?flush=sync`,
        headers: auth(alice),
        body: textBytes(1000),
      });
      expect(foreign.status).toBe(404);
      expect(JSON.parse(foreign.body.toString()).error.code).toBe('ZACCEL_NOT_FOUND');
      const anonymous = await request({ port, method: 'GET', path: `/v1/streams/${id}` });
      expect(anonymous.status).toBe(401);
      expect(anonymous.headers['www-authenticate']).toBe('Bearer realm="zaccel"');
      const own = await request({
        port,
        path: `/v1/streams/${id}/write?flush=finish`,
        headers: auth(bob),
        body: textBytes(1000),
      });
      expect(own.status).toBe(200);
      expect(own.headers['x-zaccel-bytes-in']).toBe('1000');
    } finally {
      await server.close();
    }
  });
});

describe('quotas', () => {
  test('past its maxStreams a token gets 429 ZACCEL_QUOTA with Retry-After; other tokens are not affected', async () => {
    const ids = [await open(alice), await open(alice)];
    const refused = await app.inject({
      method: 'POST',
      url: '/v1/streams',
      headers: auth(alice),
      payload: { mode: 'deflate' },
    });
    expect(refused.statusCode).toBe(429);
    expect(errorOf(refused).code).toBe('ZACCEL_QUOTA');
    // The first stream could be reaped after the 30 s idle period at the latest.
    const retryAfter = Number(refused.headers['retry-after']);
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(30);
    const other = await open(bob);
    // Deleting one of its streams gives the room back.
    expect(
      (await app.inject({ method: 'DELETE', url: `/v1/streams/${ids[0]}`, headers: auth(alice) })).statusCode,
    ).toBe(200);
    ids[0] = await open(alice);
    for (const [id, token] of [...ids.map((value) => [value, alice]), [other, bob]]) {
      await app.inject({ method: 'DELETE', url: `/v1/streams/${id}`, headers: auth(token) });
    }
  });

  test('a token without maxStreams has the per-client quota; maxStreams 0 opens none but may run one-shots', async () => {
    const ids = [await open(bob), await open(bob), await open(bob)];
    const refused = await app.inject({
      method: 'POST',
      url: '/v1/streams',
      headers: auth(bob),
      payload: { mode: 'inflate' },
    });
    expect(refused.statusCode).toBe(429);
    for (const id of ids) await app.inject({ method: 'DELETE', url: `/v1/streams/${id}`, headers: auth(bob) });
    const none = await app.inject({
      method: 'POST',
      url: '/v1/streams',
      headers: auth(carol),
      payload: { mode: 'deflate' },
    });
    expect(none.statusCode).toBe(429);
    expect(errorOf(none).code).toBe('ZACCEL_QUOTA');
    const oneShot = await app.inject({ method: 'POST', url: '/v1/deflate', headers: auth(carol), payload: 'hello' });
    expect(oneShot.statusCode).toBe(200);
  });
});

describe('the tokens file is checked at startup', () => {
  const bad: Array<[string, unknown, RegExp]> = [
    ['not JSON', '[{"name":', /not JSON/],
    ['not an array', { name: 'alice', token: alice }, /expected a JSON array/],
    ['empty', [], /no tokens/],
    ['not an object', ['alice'], /entry 0: expected an object/],
    ['no name', [{ token: alice }], /entry 0: "name"/],
    ['a name with a space', [{ name: 'a b', token: alice }], /"name"/],
    [
      'the same name twice',
      [
        { name: 'a', token: alice },
        { name: 'a', token: bob },
      ],
      /entry 1: the name "a" is used twice/,
    ],
    ['no token', [{ name: 'a' }], /entry 0 \(a\): "token" must be a string/],
    ['a short token', [{ name: 'a', token: 'short' }], /shorter than 16/],
    ['a token with a space', [{ name: 'a', token: 'has a space 0123456789' }], /may hold only/],
    [
      'the same token twice',
      [
        { name: 'a', token: alice },
        { name: 'b', token: alice },
      ],
      /entry 1 \(b\): the same token/,
    ],
    ['an unknown field', [{ name: 'a', token: alice, maxstreams: 3 }], /unknown field "maxstreams"/],
    ['a bad maxStreams', [{ name: 'a', token: alice, maxStreams: -1 }], /"maxStreams" must be an integer >= 0/],
    ['a fractional maxStreams', [{ name: 'a', token: alice, maxStreams: 1.5 }], /"maxStreams"/],
  ];

  test.each(bad)(
    '%s: ZACCEL_BAD_OPTION naming the file and the entry, never the token',
    async (_what, content, message) => {
      const path = tokensFile(content);
      const failure = buildFails({ authTokens: path });
      await expect(failure).rejects.toMatchObject({
        zaccelCode: 'ZACCEL_BAD_OPTION',
        message: expect.stringMatching(message),
      });
      await expect(failure).rejects.toMatchObject({ message: expect.stringContaining(path) });
      const text = ((await failure.catch((error: Error) => error)) as Error).message;
      expect(text).not.toContain(alice);
    },
  );

  test('a file that cannot be read', async () => {
    await expect(buildFails({ authTokens: join(directory, 'missing.json') })).rejects.toMatchObject({
      zaccelCode: 'ZACCEL_BAD_OPTION',
      message: expect.stringMatching(/cannot read the tokens file .*missing\.json/),
    });
  });

  test('ZACCEL_AUTH_TOKENS names the file, and --auth-tokens wins over it', () => {
    const config = resolveConfig({}, { ZACCEL_AUTH_TOKENS: '/etc/zaccel/tokens.json' });
    expect(config.authTokens).toBe('/etc/zaccel/tokens.json');
    expect(
      resolveConfig({ authTokens: '/run/tokens.json' }, { ZACCEL_AUTH_TOKENS: '/etc/zaccel/tokens.json' }).authTokens,
    ).toBe('/run/tokens.json');
    expect(resolveConfig({}, {}).authTokens).toBeUndefined();
  });

  test('parseTokens keeps what it was given', () => {
    expect(parseTokens(JSON.stringify(entries), 'x')).toEqual(entries);
  });
});

/** The bytes every one-shot and stream write took in, from /metrics. */
async function bytesIn(): Promise<number> {
  const metrics = await app.inject({ method: 'GET', url: '/metrics', headers: auth(alice) });
  return [...metrics.body.matchAll(/^zaccel_bytes_in_total\{[^}]*\} (\d+)$/gm)].reduce(
    (sum, match) => sum + Number(match[1]),
    0,
  );
}

/** Build a server that must fail; closes it if it did not. */
async function buildFails(overrides: Parameters<typeof testServer>[0]): Promise<never> {
  const server = await testServer(overrides);
  await server.close();
  throw new Error('the server started');
}
