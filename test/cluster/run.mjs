#!/usr/bin/env node
// The cluster test: Redis, three zaccel instances in cluster mode and HAProxy (deploy/haproxy.cfg, the real
// file, with ports templated through its environment variables), all on free loopback ports. Through HAProxy:
// the Python interop client; then 50 durable streams (both engines) written with sync flushes and seq numbers
// through a rolling restart of every instance (SIGTERM, wait, start again) and a SIGKILL of one instance mid-write
// (the write is retried with the same seq). Every stream's output must decode (node:zlib) to exactly its input,
// and streams must have moved between instances.
//
//   node test/cluster/run.mjs [--timeout SECONDS] [--verbose]     (npm run test:cluster)
//
// Needs /usr/bin/redis-server and /usr/sbin/haproxy (Debian: apt-get install redis-server haproxy) and a built
// tree (dist/). Every process it starts is stopped when it ends, on failure too. The last line is
// "N passed, M failed"; the exit status is 1 when anything failed.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import zlib from 'node:zlib';
import {
  freePort,
  ProcessGroup,
  REDIS_SERVER,
  request,
  startRedis,
  waitFor,
} from '../../dist/tools/cluster/processes.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '../..');
const options = { timeoutSeconds: 300, verbose: false };
for (let i = 2; i < process.argv.length; i++) {
  const arg = process.argv[i];
  if (arg === '--timeout') options.timeoutSeconds = Number(process.argv[++i]);
  else if (arg === '--verbose' || arg === '-v') options.verbose = true;
  else throw new Error(`unknown argument ${arg}`);
}

const STREAMS = 50;
const LEASE_MS = 2_000;
const work = mkdtempSync(join(tmpdir(), 'zaccel-cluster-'));
const processes = new ProcessGroup();
const results = { passed: 0, failed: 0 };

function check(name, ok, detail = '') {
  if (ok) results.passed++;
  else results.failed++;
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${name}${detail ? `: ${detail}` : ''}`);
}

/** Start a process of the run, its output in WORK/NAME.log. */
function start(name, command, args, env = {}) {
  return processes.start(command, args, { cwd: root, env, logFile: join(work, `${name}.log`) });
}

const stopAll = () => processes.killAll();

const sleep = (ms) => new Promise((resolveSleep) => setTimeout(resolveSleep, ms));

const instances = [];

function startInstance(index) {
  const instance = instances[index];
  instance.child = start(`instance-${instance.name}`, process.execPath, [
    join(root, 'dist/tools/cli/main.js'),
    'serve',
    '--port',
    String(instance.port),
    '--workers',
    '1',
    '--redis',
    redis,
    '--instance-id',
    instance.name,
    '--lease-ms',
    String(LEASE_MS),
    '--shutdown-timeout-ms',
    '20000',
    '--log-level',
    'info',
  ]);
  return waitFor(
    `instance ${instance.name}`,
    async () => (await request(instance.port, 'GET', '/readyz')).status === 200,
  );
}

async function stopInstance(index, signal) {
  const child = instances[index].child;
  const exited = new Promise((resolveExit) => child.once('exit', (code, sig) => resolveExit(code ?? sig)));
  child.kill(signal);
  return exited;
}

/** Where HAProxy listens, and Redis's URL. */
let ports;
let redis;

/** A durable stream: its input so far, its output so far, and its next seq. */
function newStream(engine, level) {
  return { id: undefined, engine, level, input: [], output: [], seq: 0, instances: new Set() };
}

/** Write `data` as write number seq, retrying the same seq (any instance) until it is answered. */
async function write(stream, data) {
  const seq = stream.seq + 1;
  let lastError;
  for (let attempt = 0; attempt < 40; attempt++) {
    try {
      const answer = await request(ports.proxy, 'POST', `/v1/streams/${stream.id}/write?flush=sync&seq=${seq}`, data);
      if (answer.status === 200) {
        stream.seq = seq;
        stream.input.push(data);
        stream.output.push(answer.body);
        stream.instances.add(answer.headers['x-zaccel-instance']);
        stream.retries = (stream.retries ?? 0) + attempt;
        return { attempts: attempt + 1, at: Date.now(), instance: answer.headers['x-zaccel-instance'] };
      }
      lastError = new Error(`status ${answer.status}: ${answer.body.toString().slice(0, 200)}`);
      if (answer.status !== 503 && answer.status !== 502 && answer.status !== 504) throw lastError;
    } catch (error) {
      lastError = error;
      if (/status 4/.test(error.message)) throw error;
    }
    await sleep(250);
  }
  throw lastError;
}

async function main() {
  for (const tool of [REDIS_SERVER, '/usr/sbin/haproxy', 'python3']) {
    if (spawnSync(tool, ['--version']).error)
      throw new Error(`${tool} is missing (Debian: apt-get install redis-server haproxy python3)`);
  }
  ports = { proxy: await freePort() };
  for (const name of ['a', 'b', 'c']) instances.push({ name, port: await freePort() });

  redis = await startRedis(processes, { dir: work, logFile: join(work, 'redis.log') });
  await Promise.all(instances.map((_, index) => startInstance(index)));
  start('haproxy', '/usr/sbin/haproxy', ['-f', join(root, 'deploy/haproxy.cfg'), '-db'], {
    ZACCEL_LISTEN: `127.0.0.1:${ports.proxy}`,
    ZACCEL_BACKEND_1: `127.0.0.1:${instances[0].port}`,
    ZACCEL_BACKEND_2: `127.0.0.1:${instances[1].port}`,
    ZACCEL_BACKEND_3: `127.0.0.1:${instances[2].port}`,
  });
  await waitFor('haproxy', async () => (await request(ports.proxy, 'GET', '/readyz')).status === 200);
  check('Redis, three instances and HAProxy started', true, `proxy on ${ports.proxy}`);

  // The Python interop client, through HAProxy.
  const python = spawnSync(
    'python3',
    [join(root, 'test/interop/python/client.py'), `http://127.0.0.1:${ports.proxy}`],
    { encoding: 'utf8', timeout: 180_000 },
  );
  const last = (python.stdout ?? '').trim().split('\n').pop() ?? '';
  const counts = /^(\d+) passed, (\d+) failed$/.exec(last);
  check(
    'Python interop client through HAProxy',
    python.status === 0 && counts !== null && counts[2] === '0',
    last || python.stderr?.slice(-300),
  );

  // 50 durable streams, both engines, levels 1/6/9.
  const streams = [];
  for (let i = 0; i < STREAMS; i++) {
    const stream = newStream(i % 2 === 0 ? 'zlib' : 'dfltcc', [1, 6, 9][i % 3]);
    const body = Buffer.from(
      JSON.stringify({ mode: 'deflate', engine: stream.engine, format: 'zlib', level: stream.level }),
    );
    const opened = await request(ports.proxy, 'POST', '/v1/streams', body, { 'content-type': 'application/json' });
    if (opened.status !== 201) throw new Error(`open: ${opened.status} ${opened.body}`);
    stream.id = JSON.parse(opened.body).id;
    streams.push(stream);
  }
  check(`${STREAMS} durable streams opened`, streams.length === STREAMS);

  let round = 0;
  const piece = (stream) => {
    // Compressible text with some random bytes, different per stream and round.
    const words = Buffer.from(`stream ${stream.id} round ${round} `.repeat(200));
    return Buffer.concat([words, randomBytes(2_000)]);
  };
  const writeRound = (make = piece) => Promise.all(streams.map((stream) => write(stream, make(stream))));
  await writeRound();
  round++;
  await writeRound();
  round++;
  // While every instance is up, HAProxy's hash keeps each stream on one instance.
  const spread = streams.filter((stream) => stream.instances.size !== 1).length;
  const used = new Set(streams.flatMap((stream) => [...stream.instances]));
  check(
    'the load balancer keeps each stream on one instance, and uses all three',
    spread === 0 && used.size === 3,
    `${spread} streams on more than one; instances used: ${[...used].join(',')}`,
  );

  // Rolling restart: each instance in turn gets SIGTERM, writes go on meanwhile, then it starts again.
  for (let index = 0; index < instances.length; index++) {
    const stopping = stopInstance(index, 'SIGTERM');
    const writing = writeRound();
    const code = await stopping;
    await writing;
    round++;
    check(`instance ${instances[index].name} drained on SIGTERM`, code === 0, `exit ${code}`);
    await startInstance(index);
    await waitFor('haproxy to see it again', async () => (await request(ports.proxy, 'GET', '/readyz')).status === 200);
    await writeRound();
    round++;
  }

  // A lost answer: write seq N on one instance directly, then send seq N again to another instance directly.
  // The second takes the stream over (handover) and answers the same bytes from the stored checkpoint.
  {
    const stream = streams[0];
    const data = piece(stream);
    const seq = stream.seq + 1;
    const path = `/v1/streams/${stream.id}/write?flush=sync&seq=${seq}`;
    const first = await request(instances[0].port, 'POST', path, data);
    const again = await request(instances[2].port, 'POST', path, data);
    const same = first.status === 200 && again.status === 200 && first.body.equals(again.body);
    check(
      'a retry of the last seq on another instance answers the same bytes',
      same && again.headers['x-zaccel-instance'] === 'c',
      `${first.status}/${again.status}`,
    );
    if (same) {
      stream.seq = seq;
      stream.input.push(data);
      stream.output.push(first.body);
    }
  }

  // SIGKILL of one instance while writes are in flight (256 KiB each); the writes are retried with the same seq.
  const victim = 1;
  const big = (stream) =>
    Buffer.concat([piece(stream), randomBytes(64 * 1024), Buffer.from(`${stream.id} `.repeat(5_000))]);
  const writing = writeRound(big);
  await sleep(50);
  const killedAt = Date.now();
  await stopInstance(victim, 'SIGKILL');
  const outcomes = await writing;
  round++;
  const retried = outcomes.filter((outcome) => outcome.attempts > 1);
  const takeover = Math.max(0, ...retried.map((outcome) => outcome.at - killedAt));
  check(
    'writes in flight at a SIGKILL were retried with the same seq and answered',
    retried.length > 0,
    `${retried.length} writes retried; the last answered ${takeover} ms after the kill (lease ${LEASE_MS} ms)`,
  );
  await startInstance(victim);
  await writeRound();
  round++;

  // Finish every stream and check its bytes.
  let exact = 0;
  const problems = [];
  for (const stream of streams) {
    const seq = stream.seq + 1;
    const finished = await request(
      ports.proxy,
      'POST',
      `/v1/streams/${stream.id}/write?flush=finish&seq=${seq}`,
      Buffer.alloc(0),
    );
    if (finished.status !== 200) {
      problems.push(`${stream.id}: finish ${finished.status}`);
      continue;
    }
    stream.output.push(finished.body);
    try {
      const decoded = zlib.inflateSync(Buffer.concat(stream.output));
      if (decoded.equals(Buffer.concat(stream.input))) exact++;
      else
        problems.push(`${stream.id}: ${decoded.length} bytes decoded, ${Buffer.concat(stream.input).length} written`);
    } catch (error) {
      problems.push(`${stream.id}: ${error.message}`);
    }
  }
  check(
    `every stream decodes to exactly its input (${round} rounds of writes)`,
    exact === STREAMS,
    problems.slice(0, 3).join('; ') || `${exact}/${STREAMS}`,
  );
  const moved = streams.filter((stream) => stream.instances.size > 1).length;
  check('streams moved between instances', moved > 0, `${moved}/${STREAMS} served by more than one instance`);
  const deleted = await Promise.all(
    streams.map((stream) => request(ports.proxy, 'DELETE', `/v1/streams/${stream.id}`)),
  );
  check(
    'every stream deleted through any instance',
    deleted.every((answer) => answer.status === 200),
    deleted
      .map((a) => a.status)
      .filter((s) => s !== 200)
      .join(','),
  );
}

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => {
    stopAll();
    console.log(`${results.passed} passed, ${results.failed + 1} failed`);
    process.exit(1);
  });
}

const timer = setTimeout(() => {
  console.log(`FAIL the cluster test took longer than ${options.timeoutSeconds} s`);
  stopAll();
  console.log(`${results.passed} passed, ${results.failed + 1} failed`);
  process.exit(1);
}, options.timeoutSeconds * 1000);

try {
  await main();
} catch (error) {
  check('cluster test ran to its end', false, error.stack ?? String(error));
} finally {
  clearTimeout(timer);
  stopAll();
  if (results.failed > 0 || options.verbose) console.log(`logs: ${work}`);
  else rmSync(work, { recursive: true, force: true });
}
console.log(`${results.passed} passed, ${results.failed} failed`);
process.exit(results.failed === 0 ? 0 : 1);
