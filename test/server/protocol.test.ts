/**
 * The worker protocol is typed end to end: the engine list comes from the library's registry, and the service
 * neither casts option values to literal types nor uses instanceof to tell deflate from inflate.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { engineNames } from '../../src/index.js';
import { packageRoot } from '../../src/machine/modules.js';
import { testServer, textBytes } from './helpers.js';

let app: FastifyInstance;

beforeAll(async () => {
  app = await testServer();
});

afterAll(async () => {
  await app.close();
});

test('GET /v1/engines lists exactly the engines of the registry, in its order', async () => {
  const { engines } = (await app.inject({ method: 'GET', url: '/v1/engines' })).json() as {
    engines: Array<{ name: string }>;
  };
  expect(engines.map((engine) => engine.name)).toEqual(engineNames());
});

test("the openapi description offers the registry's engines", async () => {
  const document = (await app.inject({ method: 'GET', url: '/openapi.json' })).json() as {
    paths: Record<string, { post?: { parameters?: Array<{ name: string; schema: { enum?: string[] } }> } }>;
  };
  const engine = document.paths['/v1/deflate'].post!.parameters!.find((parameter) => parameter.name === 'engine');
  expect(engine?.schema.enum).toEqual(engineNames());
});

test('server/ has no literal-type casts of option values and no instanceof on stream cores', () => {
  const folder = join(packageRoot(), 'server');
  const files = readdirSync(folder, { recursive: true, encoding: 'utf8' }).filter((name) => name.endsWith('.ts'));
  expect(files).toContain('worker.ts');
  for (const name of files) {
    const source = readFileSync(join(folder, name), 'utf8');
    // `engine as 'zlib'`, `level as 6`, `format as 'auto'`: a value cast to a literal type.
    expect(source, name).not.toMatch(/\bas (?:'[^']*'|\d+)(?!\w)/);
    expect(source, name).not.toMatch(/instanceof (?:DeflateCore|InflateCore)\b/);
  }
});

test('a 1 MiB one-shot at level 6 takes few messages: the worker reports its input every quarter window', async () => {
  const body = textBytes(1024 * 1024, 5);
  const before = { ...app.zaccel.pool.messages };
  const response = await app.inject({
    method: 'POST',
    url: '/v1/deflate?level=6',
    headers: { 'content-type': 'application/octet-stream' },
    payload: body,
  });
  expect(response.statusCode).toBe(200);
  const fromWorkers = app.zaccel.pool.messages.fromWorkers - before.fromWorkers;
  const toWorkers = app.zaccel.pool.messages.toWorkers - before.toWorkers;
  // opened, a report per 256 KiB of input (about four; output comes with them), done, closed. A report after every
  // 2 ms turn (one 64 KiB piece at level 6) was about twenty messages.
  expect(fromWorkers).toBeGreaterThanOrEqual(4);
  expect(fromWorkers).toBeLessThanOrEqual(9);
  // open, the body in 256 KiB batches (or fewer), end, close.
  expect(toWorkers).toBeGreaterThanOrEqual(4);
  expect(toWorkers).toBeLessThanOrEqual(12);
});
