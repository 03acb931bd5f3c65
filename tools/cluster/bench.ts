/**
 * What cluster mode costs, measured (not asserted):
 *   1. checkpoint bytes and time per write: a deflate stream written in 256 KiB sync-flushed writes, snapshotted
 *      after each (zlib levels 1, 6, 9 and dfltcc);
 *   2. throughput of a durable stream (cluster mode: seq numbers, a checkpoint stored in Redis per write) against a
 *      plain one (no Redis), through one service instance each;
 *   3. takeover latency after SIGKILL: a stream's instance is killed, the next write goes to another instance,
 *      which can take the stream once the lease expires (--lease-ms).
 *
 *   node dist/tools/cluster/bench.js [--mib N] [--lease-ms MS]
 * Needs /usr/bin/redis-server; starts its own on a free loopback port and stops everything it started.
 */
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createDeflateCore, type EngineName, type Level } from '../../src/index.js';
import { packageRoot } from '../../src/internal.js';
import { freePort, ProcessGroup, request, startRedis, waitFor } from './processes.js';

const WRITE_BYTES = 256 * 1024;
const args = process.argv.slice(2);
const flag = (name: string, fallback: number) => {
  const index = args.indexOf(name);
  return index === -1 ? fallback : Number(args[index + 1]);
};
const mib = flag('--mib', 32);
const leaseMs = flag('--lease-ms', 5_000);
const processes = new ProcessGroup();

/** Text-like input: words with some noise, so every level has work to do. */
function sample(bytes: number, seed: number): Buffer {
  const words = Buffer.from(
    `checkpoint ${seed} lorem ipsum dolor sit amet consectetur adipiscing elit `.repeat(Math.ceil(bytes / 70)),
  );
  const noise = randomBytes(bytes / 8);
  return Buffer.concat([words.subarray(0, bytes - noise.length), noise]);
}

function checkpointCosts(): void {
  console.log('checkpoint per write (256 KiB writes, sync flush, 32 writes):');
  console.log('engine  level  snapshot bytes (mean)  snapshot ms (mean)');
  const cases: Array<[EngineName, Level]> = [
    ['zlib', 1],
    ['zlib', 6],
    ['zlib', 9],
    ['dfltcc', 6],
  ];
  for (const [engine, level] of cases) {
    const core = createDeflateCore('zlib', { engine, level });
    let bytes = 0;
    let ms = 0;
    const writes = 32;
    for (let i = 0; i < writes; i++) {
      core.push(sample(WRITE_BYTES, i), 2);
      const started = performance.now();
      const snapshot = core.snapshot();
      ms += performance.now() - started;
      bytes += snapshot.length;
    }
    core.close();
    console.log(
      `${engine.padEnd(7)} ${String(level).padEnd(6)} ${String(Math.round(bytes / writes)).padEnd(22)} ${(ms / writes).toFixed(3)}`,
    );
  }
}

const waitReady = (port: number) =>
  waitFor(`the instance on ${port}`, async () => (await request(port, 'GET', '/readyz')).status === 200, 30_000);

function serve(port: number, extra: string[]): ChildProcess {
  return processes.start(process.execPath, [
    join(packageRoot(), 'dist/tools/cli/main.js'),
    'serve',
    '--port',
    String(port),
    '--workers',
    '1',
    '--log-level',
    'warn',
    ...extra,
  ]);
}

async function openStream(port: number, level: number): Promise<string> {
  const body = Buffer.from(JSON.stringify({ mode: 'deflate', engine: 'zlib', level }));
  const answer = await request(port, 'POST', '/v1/streams', body, { 'content-type': 'application/json' });
  if (answer.status !== 201) throw new Error(`open: ${answer.status} ${answer.body.toString()}`);
  return (JSON.parse(answer.body.toString()) as { id: string }).id;
}

async function throughput(port: number, numbered: boolean): Promise<number> {
  const id = await openStream(port, 6);
  const data = sample(WRITE_BYTES, 7);
  const writes = (mib * 1024 * 1024) / WRITE_BYTES;
  const started = performance.now();
  for (let seq = 1; seq <= writes; seq++) {
    const answer = await request(
      port,
      'POST',
      `/v1/streams/${id}/write?flush=sync${numbered ? `&seq=${seq}` : ''}`,
      data,
    );
    if (answer.status !== 200) throw new Error(`write ${seq}: ${answer.status}`);
  }
  return mib / ((performance.now() - started) / 1000);
}

async function main(): Promise<void> {
  checkpointCosts();
  const redis = await startRedis(processes);
  const [plainPort, durablePort, peerPort] = [await freePort(), await freePort(), await freePort()];
  const plain = serve(plainPort, []);
  const durable = serve(durablePort, ['--redis', redis, '--instance-id', 'one', '--lease-ms', String(leaseMs)]);
  serve(peerPort, ['--redis', redis, '--instance-id', 'two', '--lease-ms', String(leaseMs)]);
  await Promise.all([waitReady(plainPort), waitReady(durablePort), waitReady(peerPort)]);

  console.log(`\nthroughput, one stream, ${mib} MiB in 256 KiB sync-flushed writes (zlib level 6):`);
  const plainRate = await throughput(plainPort, false);
  const durableRate = await throughput(durablePort, true);
  console.log(`plain (no Redis)           ${plainRate.toFixed(1)} MiB/s`);
  console.log(
    `durable (Redis checkpoint) ${durableRate.toFixed(1)} MiB/s (${((durableRate / plainRate) * 100).toFixed(0)}% of plain)`,
  );
  plain.kill('SIGTERM');

  // Takeover: write once on "one", kill it, write the next seq on "two" until it is served.
  const id = await openStream(durablePort, 6);
  const data = sample(WRITE_BYTES, 9);
  if ((await request(durablePort, 'POST', `/v1/streams/${id}/write?flush=sync&seq=1`, data)).status !== 200)
    throw new Error('first write');
  durable.kill('SIGKILL');
  const killed = performance.now();
  let attempts = 0;
  for (;;) {
    attempts++;
    const answer = await request(peerPort, 'POST', `/v1/streams/${id}/write?flush=sync&seq=2`, data);
    if (answer.status === 200) break;
    if (answer.status !== 503) throw new Error(`takeover write: ${answer.status} ${answer.body.toString()}`);
  }
  console.log(
    `\ntakeover after SIGKILL (lease ${leaseMs} ms): the next write was served ${(performance.now() - killed).toFixed(0)} ms after the kill (${attempts} attempts, each waiting up to --handover-ms)`,
  );
}

try {
  await main();
} finally {
  processes.killAll();
}
