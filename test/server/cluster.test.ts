/**
 * Two service instances in cluster mode sharing one redis-server (Debian's, on a free loopback port): a stream
 * opened on one is written, read and deleted on the other, its owner (a token) and the owner's quota go with it.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deflateSync, inflateSync } from 'node:zlib';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { freePort, ProcessGroup, REDIS_SERVER, startRedis } from '../../tools/cluster/processes.js';
import { testServer, textBytes } from './helpers.js';

const alice = 'alice-0123456789abcdef';
const bob = 'bob-0123456789abcdef01';

test('without --redis an instance has no cluster and names no instance', async () => {
  const app = await testServer();
  try {
    expect(app.zaccel.cluster).toBeUndefined();
    const answer = await app.inject({ method: 'GET', url: '/healthz' });
    expect(answer.headers['x-zaccel-instance']).toBeUndefined();
  } finally {
    await app.close();
  }
});

test('a Redis that cannot be reached stops the server at startup with ZACCEL_BAD_OPTION', async () => {
  const port = await freePort(); // nothing listens there
  await expect(testServer({ redis: `redis://127.0.0.1:${port}` })).rejects.toMatchObject({
    zaccelCode: 'ZACCEL_BAD_OPTION',
    message: expect.stringContaining(`redis://127.0.0.1:${port}`),
  });
});

describe.skipIf(!existsSync(REDIS_SERVER))('two instances on one Redis', () => {
  const processes = new ProcessGroup();
  let a: FastifyInstance;
  let b: FastifyInstance;
  const directory = mkdtempSync(join(tmpdir(), 'zaccel-cluster-'));
  const auth = (token: string) => ({ authorization: `Bearer ${token}` });

  beforeAll(async () => {
    const redis = await startRedis(processes);
    const tokens = join(directory, 'tokens.json');
    writeFileSync(
      tokens,
      JSON.stringify([
        { name: 'alice', token: alice, maxStreams: 2 },
        { name: 'bob', token: bob },
      ]),
      { mode: 0o600 },
    );
    const common = { redis, authTokens: tokens, leaseMs: 5_000, handoverMs: 5_000 };
    a = await testServer({ ...common, instanceId: 'a' });
    b = await testServer({ ...common, instanceId: 'b' });
  });

  afterAll(async () => {
    await a?.close();
    await b?.close();
    processes.killAll();
    rmSync(directory, { recursive: true, force: true });
  });

  const write = (app: FastifyInstance, id: string, seq: number, payload: Buffer, flush = 'sync', token = alice) =>
    app.inject({
      method: 'POST',
      url: `/v1/streams/${id}/write?flush=${flush}&seq=${seq}`,
      payload,
      headers: { ...auth(token), 'content-type': 'application/octet-stream' },
    });

  test('a stream opened on one instance goes on on the other, owned by the same token', async () => {
    const opened = await a.inject({
      method: 'POST',
      url: '/v1/streams',
      payload: { mode: 'deflate', engine: 'dfltcc', level: 6 },
      headers: auth(alice),
    });
    expect(opened.statusCode).toBe(201);
    const { id } = opened.json() as { id: string };
    const pieces = [textBytes(100_000, 1), textBytes(70_000, 2), textBytes(3_000, 3)];
    const first = await write(a, id, 1, pieces[0]);
    expect(first.statusCode).toBe(200);
    expect(first.headers['x-zaccel-instance']).toBe('a');

    // Another token does not see it on either instance, and does not move it.
    expect((await b.inject({ method: 'GET', url: `/v1/streams/${id}`, headers: auth(bob) })).statusCode).toBe(404);
    expect((await write(b, id, 2, pieces[1], 'sync', bob)).statusCode).toBe(404);

    // Its owner writes on b: a hands the idle stream over, b restores the checkpoint.
    const second = await write(b, id, 2, pieces[1]);
    expect(second.statusCode).toBe(200);
    expect(second.headers['x-zaccel-instance']).toBe('b');
    expect(a.zaccel.streams.held(id)).toBeUndefined();
    const metrics = async (app: FastifyInstance) =>
      (await app.inject({ method: 'GET', url: '/metrics', headers: auth(alice) })).body;
    expect(await metrics(a)).toMatch(/^zaccel_cluster_let_go_total\{reason="handover"\} 1$/m);
    expect(await metrics(b)).toMatch(/^zaccel_cluster_takeovers_total 1$/m);
    expect(await metrics(b)).toMatch(/^zaccel_cluster_checkpoint_bytes_total [1-9]\d*$/m);
    // The answer to write 2 was lost: asked again on a, it is the same bytes, and the stream does not advance.
    const again = await write(a, id, 2, pieces[1]);
    expect(again.statusCode).toBe(200);
    expect(again.rawPayload.equals(second.rawPayload)).toBe(true);
    const info = await a.inject({ method: 'GET', url: `/v1/streams/${id}`, headers: auth(alice) });
    expect(info.json()).toMatchObject({ seq: 2, bytesIn: 170_000 });

    const last = await write(b, id, 3, pieces[2], 'finish');
    expect(last.statusCode).toBe(200);
    const output = Buffer.concat([first.rawPayload, second.rawPayload, last.rawPayload]);
    expect(inflateSync(output).equals(Buffer.concat(pieces))).toBe(true);

    const deleted = await a.inject({ method: 'DELETE', url: `/v1/streams/${id}`, headers: auth(alice) });
    expect(deleted.statusCode).toBe(200);
    expect((await b.inject({ method: 'GET', url: `/v1/streams/${id}`, headers: auth(alice) })).statusCode).toBe(404);
  });

  test('an inflate stream moves too, mid-way through its compressed input', async () => {
    const original = textBytes(300_000, 5);
    const compressed = deflateSync(original, { level: 9 });
    const opened = await b.inject({
      method: 'POST',
      url: '/v1/streams',
      payload: { mode: 'inflate', format: 'zlib' },
      headers: auth(alice),
    });
    expect(opened.statusCode).toBe(201);
    const { id } = opened.json() as { id: string };
    const cut = Math.floor(compressed.length / 2);
    const first = await write(b, id, 1, compressed.subarray(0, cut));
    const second = await write(a, id, 2, compressed.subarray(cut), 'finish');
    expect([first.statusCode, second.statusCode]).toEqual([200, 200]);
    expect(second.headers['x-zaccel-instance']).toBe('a');
    expect(Buffer.concat([first.rawPayload, second.rawPayload]).equals(original)).toBe(true);
    expect((await a.inject({ method: 'DELETE', url: `/v1/streams/${id}`, headers: auth(alice) })).statusCode).toBe(200);
  });

  test("a token's quota counts its streams on every instance", async () => {
    const open = (app: FastifyInstance) =>
      app.inject({ method: 'POST', url: '/v1/streams', payload: { mode: 'deflate' }, headers: auth(alice) });
    expect((await open(a)).statusCode).toBe(201);
    expect((await open(b)).statusCode).toBe(201);
    const refused = await open(a);
    expect(refused.statusCode).toBe(429);
    expect(refused.json().error.code).toBe('ZACCEL_QUOTA');
  });
});
