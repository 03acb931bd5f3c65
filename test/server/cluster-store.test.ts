/**
 * Cluster mode's Redis store against a real redis-server (Debian's, started here on a free loopback port):
 * leases, fencing of checkpoint writes, compare-and-delete release, the cluster-wide quota, handover messages.
 * The whole cluster (instances, HAProxy, restarts, kills) is `npm run test:cluster`.
 *
 * Leases and records are set to last a minute, and a test that needs one to run out makes that key lapse in Redis
 * (PEXPIRE to 1 ms): with real short lifetimes, a test that checks a lease is still held right after taking it
 * fails whenever a busy machine delays it past the lifetime.
 */
import { existsSync } from 'node:fs';
import { pino } from 'pino';
import { createClient } from 'redis';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ClusterStore, leaseKey, type StoredOptions, streamKey } from '../../server/cluster/store.js';
import { resolveConfig } from '../../server/config.js';
import { ProcessGroup, REDIS_SERVER, startRedis } from '../../tools/cluster/processes.js';

const logger = pino({ level: 'silent' });
const options: StoredOptions = { mode: 'deflate', engine: 'zlib', format: 'zlib', level: 6 };
const bytes = (text: string) => new Uint8Array(Buffer.from(text));

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

test('the cluster settings: flags and environment', () => {
  const config = resolveConfig(
    { redis: 'redis://127.0.0.1:7000', instanceId: 'a', leaseMs: '2500' },
    { ZACCEL_HANDOVER_MS: '100' },
  );
  expect(config).toMatchObject({ redis: 'redis://127.0.0.1:7000', instanceId: 'a', leaseMs: 2500, handoverMs: 100 });
  expect(resolveConfig({}, {}).redis).toBeUndefined();
  expect(() => resolveConfig({ leaseMs: '10' }, {})).toThrow(/--lease-ms/);
});

describe.skipIf(!existsSync(REDIS_SERVER))('the Redis store', () => {
  const processes = new ProcessGroup();
  let url: string;
  let raw: ReturnType<typeof createClient>;
  const stores: ClusterStore[] = [];
  const connect = async (instanceId: string) => {
    const store = await ClusterStore.connect({ url, instanceId, leaseMs: 60_000, recordMs: 60_000, logger });
    stores.push(store);
    return store;
  };
  /** The key's time runs out now, as if its lifetime had passed; resolves once Redis no longer has it. */
  const lapse = async (key: string) => {
    expect(await raw.pExpire(key, 1)).toBe(1);
    while ((await raw.exists(key)) === 1) await sleep(2);
  };

  beforeAll(async () => {
    url = await startRedis(processes);
    raw = createClient({ url });
    await raw.connect();
  });

  afterAll(async () => {
    await Promise.all(stores.map((store) => store.close()));
    await raw?.quit();
    processes.killAll();
  });

  test('a stream is stored with its owner, options and checkpoint; a retry needs the previous snapshot', async () => {
    const a = await connect('a');
    await a.create('s1', 'token:alice', 10, options, bytes('first'));
    const checkpoint = { snapshot: bytes('second'), previous: bytes('first'), previousWrite: 'abc' };
    expect(await a.commit('s1', 1, checkpoint)).toBe(true);
    const stored = await a.load('s1');
    expect(stored).toMatchObject({ owner: 'token:alice', options, seq: 1 });
    expect(Buffer.from(stored!.checkpoint.snapshot).toString()).toBe('second');
    expect(Buffer.from(stored!.checkpoint.previous!).toString()).toBe('first');
    expect(stored!.checkpoint.previousWrite).toBe('abc');
    expect(await a.load('nope')).toBeUndefined();
  });

  test('fencing: a writer whose lease expired and was taken cannot overwrite the new holder', async () => {
    const a = await connect('a');
    const b = await connect('b');
    await a.create('s2', 'token:alice', 10, options, bytes('a0'));
    expect(await b.acquire('s2')).toBe(false); // a holds it
    await lapse(leaseKey('s2')); // a stalls: no renewal, the lease expires
    expect(await b.acquire('s2')).toBe(true);
    expect(await a.commit('s2', 1, { snapshot: bytes('stale'), previous: null, previousWrite: null })).toBe(false);
    expect(await b.commit('s2', 1, { snapshot: bytes('b1'), previous: bytes('a0'), previousWrite: null })).toBe(true);
    expect(Buffer.from((await b.load('s2'))!.checkpoint.snapshot).toString()).toBe('b1');
    // a's next renewal finds the lease is not its own any more.
    expect(await a.renewAll()).toEqual(['s2']);
    expect(await b.renewAll()).toEqual([]);
  });

  test("release is compare-and-delete: a stale holder does not free the new holder's lease", async () => {
    const a = await connect('a');
    const b = await connect('b');
    const c = await connect('c');
    await a.create('s3', 'token:alice', 10, options, bytes('x'));
    await lapse(leaseKey('s3'));
    expect(await b.acquire('s3')).toBe(true);
    await a.release('s3'); // a still thinks it holds it; the lease is b's, and b keeps it
    expect(await c.acquire('s3')).toBe(false);
    await b.release('s3');
    expect(await c.acquire('s3')).toBe(true);
  });

  test("the owner's quota counts streams across instances, and a deleted stream gives its place back", async () => {
    const a = await connect('a');
    const b = await connect('b');
    await a.create('q1', 'token:bob', 2, options, bytes('x'));
    await b.create('q2', 'token:bob', 2, options, bytes('x'));
    await expect(a.create('q3', 'token:bob', 2, options, bytes('x'))).rejects.toMatchObject({ code: 'ZACCEL_QUOTA' });
    await b.remove('q2', 'token:bob');
    expect(await b.load('q2')).toBeUndefined();
    await a.create('q3', 'token:bob', 2, options, bytes('x'));
  });

  test('a record left without writes expires, and gives its quota place back', async () => {
    const a = await connect('a');
    await a.create('e1', 'token:carol', 1, options, bytes('x'));
    await expect(a.create('e2', 'token:carol', 1, options, bytes('x'))).rejects.toMatchObject({ code: 'ZACCEL_QUOTA' });
    await lapse(streamKey('e1'));
    expect(await a.load('e1')).toBeUndefined();
    await a.create('e2', 'token:carol', 1, options, bytes('x'));
  });

  test('handover requests reach every instance', async () => {
    const a = await connect('a');
    const b = await connect('b');
    const heard: string[] = [];
    await a.onHandover((id) => heard.push(id));
    await b.askHandover('s9');
    for (let i = 0; i < 500 && heard.length === 0; i++) await sleep(20); // up to 10 s on a busy machine
    expect(heard).toEqual(['s9']);
  });
});
