/**
 * Operations routes, the error table against the README, 404s, and what the
 * server answers while it shuts down.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { settings } from '../../server/config.js';
import { ServiceErrorCodes, statusByCode, toHttpError } from '../../server/errors.js';
import { ErrorCodes } from '../../src/index.js';
import { packageRoot } from '../../src/machine/modules.js';
import { testServer, textBytes } from './helpers.js';

let app: FastifyInstance;

beforeAll(async () => {
  app = await testServer({ workers: 2 });
});
afterAll(async () => {
  await app.close();
});

const readme = readFileSync(join(packageRoot(), 'README.md'), 'utf8');
const serviceSection = readme.slice(readme.indexOf('## Service'), readme.indexOf('## Benchmarks'));

describe('the status table', () => {
  test('every library code and every service code has exactly one status', () => {
    expect(Object.keys(statusByCode).sort()).toEqual(
      [...Object.keys(ErrorCodes), ...Object.keys(ServiceErrorCodes)].sort(),
    );
  });

  test("the README's service error table is the status table", () => {
    const table = serviceSection.slice(serviceSection.indexOf('### Service errors'));
    const rows = [...table.matchAll(/^\| (\d{3}) \| `(ZACCEL_[A-Z_]+)` \|/gm)].map((match) => [
      match[2],
      Number(match[1]),
    ]);
    expect(Object.fromEntries(rows)).toEqual(statusByCode);
    expect(rows.length).toBe(Object.keys(statusByCode).length);
  });

  test('the statuses the issue asks for', () => {
    expect(statusByCode.ZACCEL_DATA_ERROR).toBe(400);
    expect(statusByCode.ZACCEL_BAD_OPTION).toBe(400);
    expect(statusByCode.ZACCEL_NOT_FOUND).toBe(404);
    expect(statusByCode.ZACCEL_BODY_TOO_LARGE).toBe(413);
    expect(statusByCode.ZACCEL_OUTPUT_LIMIT).toBe(413);
    expect([429, 503]).toContain(statusByCode.ZACCEL_AT_CAPACITY);
  });

  test('anything else thrown is a 500 ZACCEL_INTERNAL', () => {
    expect(toHttpError(new TypeError('oops'))).toMatchObject({ status: 500, code: 'ZACCEL_INTERNAL' });
    expect(toHttpError({ code: 'ZACCEL_AT_CAPACITY', message: 'full' })).toMatchObject({
      status: 503,
      headers: { 'retry-after': '1' },
    });
  });

  test("the README's configuration table lists every setting with its flag and variable", () => {
    const table = serviceSection.slice(
      serviceSection.indexOf('### Configuration'),
      serviceSection.indexOf('### Service errors'),
    );
    const rows = [...table.matchAll(/^\| `(--[a-z-]+)` \| `(ZACCEL_[A-Z_]+)` \|/gm)].map(
      (match) => `${match[1]} ${match[2]}`,
    );
    expect(rows.sort()).toEqual(settings.map((setting) => `${setting.flag} ${setting.env}`).sort());
  });
});

describe('operations', () => {
  test('GET /v1/engines: each engine with version, access model, levels and formats', async () => {
    const response = await app.inject({ method: 'GET', url: '/v1/engines' });
    expect(response.statusCode).toBe(200);
    const { engines } = response.json() as { engines: Array<Record<string, unknown>> };
    const zlib = engines.find((engine) => engine.name === 'zlib')!;
    expect(zlib).toMatchObject({
      available: true,
      version: '1.3.1',
      access: 'single',
      levels: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
      formats: { deflate: ['raw', 'zlib', 'gzip'], inflate: ['raw', 'zlib', 'gzip', 'auto'] },
    });
    expect(engines.map((engine) => engine.name)).toContain('dfltcc');
    for (const engine of engines) {
      if (engine.available) {
        expect(typeof engine.version).toBe('string');
        expect(Object.keys(engine.accessByLevel as object)).toHaveLength(10);
      } else {
        expect(engine.version).toBeNull();
      }
    }
  });

  test('GET /healthz and /readyz', async () => {
    expect((await app.inject({ method: 'GET', url: '/healthz' })).json()).toEqual({ status: 'ok' });
    const ready = await app.inject({ method: 'GET', url: '/readyz' });
    expect(ready.statusCode).toBe(200);
    expect(ready.json()).toEqual({ status: 'ready', workers: 2 });
  });

  test('readiness waits for every worker to report its modules instantiated', async () => {
    const { buildServer } = await import('../../server/app.js');
    const server = await buildServer({ workers: 2, logLevel: 'silent' });
    try {
      const seen = new Set<number>();
      // Up to a minute of polling: two workers can take many seconds to start on a busy machine.
      for (let attempt = 0; attempt < 6000 && !seen.has(200); attempt++) {
        const response = await server.inject({ method: 'GET', url: '/readyz' });
        seen.add(response.statusCode);
        // A worker sends 'ready' only after it instantiated the engines' modules on the shared Machine.
        const reported = server.zaccel.pool.handles.every((handle) => handle.engines.length > 0);
        expect(response.statusCode).toBe(reported ? 200 : 503);
        if (response.statusCode === 503) {
          expect(response.json()).toMatchObject({ status: 'starting' });
          await new Promise((resolve) => setTimeout(resolve, 10));
        }
      }
      expect(seen.has(200)).toBe(true);
    } finally {
      await server.close();
    }
  });

  test('GET /metrics: requests, bytes per engine, copies, fallbacks, latency, streams, event-loop lag, machine', async () => {
    await app.inject({ method: 'POST', url: '/v1/deflate?copy=always', payload: textBytes(100_000) });
    await app.inject({ method: 'POST', url: '/v1/inflate', payload: Buffer.from('bad') });
    await app.inject({ method: 'POST', url: '/v1/streams', payload: { mode: 'deflate' } });
    const response = await app.inject({ method: 'GET', url: '/metrics' });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toMatch(/^text\/plain/);
    const text = response.body;
    for (const pattern of [
      /^zaccel_http_requests_total\{method="POST",route="\/v1\/deflate",status="200"\} \d+$/m,
      /^zaccel_http_requests_total\{method="POST",route="\/v1\/inflate",status="400"\} 1$/m,
      /^zaccel_http_request_duration_seconds_bucket\{le="0\.1",method="POST",route="\/v1\/deflate"\} \d+$/m,
      /^zaccel_bytes_in_total\{engine="zlib",mode="deflate"\} 100000$/m,
      /^zaccel_bytes_out_total\{engine="zlib",mode="deflate"\} \d+$/m,
      /^zaccel_copy_decisions_total\{engine="zlib"\} \d+$/m,
      /^zaccel_copies_total\{engine="zlib"\} [1-9]\d*$/m,
      /^zaccel_copy_bytes_total\{engine="zlib"\} 100000$/m,
      /^zaccel_errors_total\{code="ZACCEL_DATA_ERROR"\} 1$/m,
      /^zaccel_open_streams 1$/m,
      /^zaccel_inflight_requests 0$/m,
      /^zaccel_workers_ready 2$/m,
      /^zaccel_machine_bytes_in_use \d+$/m,
      /^zaccel_machine_memory_bytes \d+$/m,
      /^zaccel_worker_heap_bytes [1-9]\d*$/m,
      /^zaccel_worker_external_bytes \d+$/m,
      /^nodejs_eventloop_lag_p99_seconds [\d.e-]+$/m,
      /^# TYPE zaccel_fallbacks_total counter$/m,
    ]) {
      expect(text).toMatch(pattern);
    }
  });

  test('GET /openapi.json describes every route from its schema; /docs serves the UI', async () => {
    const response = await app.inject({ method: 'GET', url: '/openapi.json' });
    expect(response.statusCode).toBe(200);
    const spec = response.json() as { openapi: string; paths: Record<string, Record<string, Record<string, unknown>>> };
    expect(spec.openapi).toMatch(/^3\./);
    for (const [path, method] of [
      ['/v1/deflate', 'post'],
      ['/v1/inflate', 'post'],
      ['/v1/streams', 'post'],
      ['/v1/streams/{id}/write', 'post'],
      ['/v1/streams/{id}', 'get'],
      ['/v1/streams/{id}', 'delete'],
      ['/v1/engines', 'get'],
      ['/healthz', 'get'],
      ['/readyz', 'get'],
      ['/metrics', 'get'],
    ]) {
      expect(spec.paths[path]?.[method], `${method} ${path}`).toBeDefined();
    }
    const deflate = spec.paths['/v1/deflate'].post as {
      parameters: Array<{ name: string; in: string }>;
      requestBody: { content: Record<string, unknown> };
      responses: Record<string, unknown>;
    };
    expect(deflate.parameters.map((parameter) => parameter.name).sort()).toEqual(
      ['copy', 'engine', 'format', 'level', 'maxOutput', 'memLevel', 'strategy', 'windowBits'].sort(),
    );
    expect(Object.keys(deflate.requestBody.content)).toEqual(['application/octet-stream']);
    expect(Object.keys(deflate.responses)).toEqual(expect.arrayContaining(['200', '400', '413', '503']));
    const docs = await app.inject({ method: 'GET', url: '/docs' });
    expect(docs.statusCode).toBe(200);
    expect(docs.headers['content-type']).toMatch(/^text\/html/);
    expect(docs.body).toMatch(/swagger/i);
  });

  test('an unknown route: 404 ZACCEL_NOT_FOUND as JSON', async () => {
    for (const url of ['/nope', '/v1/deflate/extra', '/v1/streams/a/b/c']) {
      const response = await app.inject({ method: 'GET', url });
      expect(response.statusCode).toBe(404);
      expect(response.json()).toMatchObject({ error: { code: 'ZACCEL_NOT_FOUND' } });
    }
  });

  test('a known route with a wrong method: 405 ZACCEL_METHOD_NOT_ALLOWED with Allow', async () => {
    for (const [method, url, allow] of [
      ['PUT', '/v1/deflate', 'POST'],
      ['GET', '/v1/deflate?level=1', 'POST'],
      ['POST', '/healthz', 'GET, HEAD'],
      ['PATCH', '/v1/streams/0f0c', 'DELETE, GET, HEAD'],
      ['GET', '/v1/streams/0f0c/write', 'POST'],
    ] as const) {
      const response = await app.inject({ method, url });
      expect(response.statusCode, `${method} ${url}`).toBe(405);
      expect(response.headers.allow).toBe(allow);
      expect(response.json()).toMatchObject({ error: { code: 'ZACCEL_METHOD_NOT_ALLOWED' } });
    }
  });
});

describe('shutting down', () => {
  test('new work is refused with 503 ZACCEL_SHUTTING_DOWN; health and metrics still answer; readyz is 503', async () => {
    const server = await testServer();
    try {
      server.zaccel.state.shuttingDown = true;
      const refused = await server.inject({ method: 'POST', url: '/v1/deflate', payload: 'x' });
      expect(refused.statusCode).toBe(503);
      expect(refused.json()).toMatchObject({ error: { code: 'ZACCEL_SHUTTING_DOWN' } });
      expect(refused.headers.connection).toBe('close');
      expect(
        (await server.inject({ method: 'POST', url: '/v1/streams', payload: { mode: 'deflate' } })).statusCode,
      ).toBe(503);
      expect((await server.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
      expect((await server.inject({ method: 'GET', url: '/metrics' })).statusCode).toBe(200);
      const ready = await server.inject({ method: 'GET', url: '/readyz' });
      expect(ready.statusCode).toBe(503);
      expect(ready.json()).toMatchObject({ status: 'shutting down' });
    } finally {
      await server.close();
    }
  });
});
