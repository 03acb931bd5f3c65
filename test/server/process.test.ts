/**
 * The service as a real process (`node dist/tools/cli/main.js serve --port 0`):
 * quarter-gigabyte bodies both ways in bounded memory, and a graceful
 * shutdown on SIGTERM with requests in flight.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { PassThrough, Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import zlib from 'node:zlib';
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { packageRoot } from '../../src/machine/modules.js';
import { eventually, generated, request, textBytes } from './helpers.js';

interface Served {
  child: ChildProcess;
  port: number;
  logs: Array<Record<string, unknown>>;
  exited: Promise<number | null>;
}

/** Start `zaccel serve` and wait for its 'ready' log line. */
async function serve(args: string[] = [], env: NodeJS.ProcessEnv = {}): Promise<Served> {
  const child = spawn(
    process.execPath,
    [join(packageRoot(), 'dist/tools/cli/main.js'), 'serve', '--port', '0', ...args],
    {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const logs: Array<Record<string, unknown>> = [];
  // 'close', not 'exit': the exit can be seen before the last of its output is read.
  const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const port = await new Promise<number>((resolve, reject) => {
    // A hang guard only: a busy machine can take many seconds to start a process and its workers.
    const timer = setTimeout(() => reject(new Error(`server did not start: ${stderr}`)), 90_000);
    let listening = 0;
    createInterface({ input: child.stdout! }).on('line', (line) => {
      try {
        const entry = JSON.parse(line) as Record<string, unknown>;
        logs.push(entry);
        if (entry.msg === 'listening') listening = entry.port as number;
        if (entry.msg === 'ready') {
          clearTimeout(timer);
          resolve(listening);
        }
      } catch {
        // not a log line
      }
    });
    void exited.then((code) => reject(new Error(`server exited with ${code}: ${stderr}`)));
  });
  return { child, port, logs, exited };
}

function status(pid: number): { rss: number; hwm: number } {
  const text = readFileSync(`/proc/${pid}/status`, 'utf8');
  const field = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(text)![1]) * 1024;
  return { rss: field('VmRSS'), hwm: field('VmHWM') };
}

/** Reset the peak RSS (VmHWM) of a process; false where the kernel does not allow it. */
function resetPeak(pid: number): boolean {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}

const MiB = 1024 * 1024;
const BODY = 256 * MiB;
/** What a quarter-gigabyte body may grow the server's peak RSS by. */
const RSS_GROWTH_LIMIT = 96 * MiB;

describe('large bodies through a real server process', () => {
  let served: Served;
  beforeAll(async () => {
    served = await serve(['--workers', '2']);
    served.logs.length = 0;
    // Warm up: every worker has run a stream core once.
    for (let index = 0; index < 4; index++) {
      await request({ port: served.port, path: '/v1/deflate?level=1', body: textBytes(2 * MiB) });
    }
  });
  afterAll(async () => {
    if (served === undefined) return;
    served.child.kill('SIGTERM');
    await served.exited;
  });

  test(`deflate: a ${BODY / MiB} MiB body streams through with bounded server memory`, async () => {
    const baseline = status(served.child.pid!);
    const peakReset = resetPeak(served.child.pid!);
    const source = generated(BODY, textBytes(64 * 1024, 11));
    const check = createHash('sha256');
    const gunzip = zlib.createGunzip();
    gunzip.on('data', (chunk: Buffer) => check.update(chunk));
    const done = new Promise<void>((resolve, reject) => {
      gunzip.on('end', resolve);
      gunzip.on('error', reject);
    });
    let compressed = 0;
    const answer = await request({
      port: served.port,
      path: '/v1/deflate?format=gzip&level=1',
      body: source.stream,
      sink: (chunk) => {
        compressed += chunk.length;
        gunzip.write(chunk);
      },
      timeoutMs: 120_000,
    });
    gunzip.end();
    await done;
    expect(answer.status).toBe(200);
    expect(answer.aborted).toBe(false);
    expect(check.digest('hex')).toBe(source.digest());
    expect(answer.trailers['x-zaccel-bytes-in']).toBe(String(BODY));
    expect(answer.trailers['x-zaccel-bytes-out']).toBe(String(compressed));
    const after = status(served.child.pid!);
    const growth = (peakReset ? after.hwm : Math.max(after.hwm, after.rss)) - baseline.rss;
    console.log(
      `deflate ${BODY / MiB} MiB: server RSS ${(baseline.rss / MiB).toFixed(0)} MiB, peak ${(after.hwm / MiB).toFixed(0)} MiB (growth ${(growth / MiB).toFixed(1)} MiB)`,
    );
    expect(growth).toBeLessThan(RSS_GROWTH_LIMIT);
  });

  test(`inflate: ${BODY / MiB} MiB of output streams out with bounded server memory`, async () => {
    const baseline = status(served.child.pid!);
    const peakReset = resetPeak(served.child.pid!);
    const source = generated(BODY, textBytes(64 * 1024, 12));
    const body = new PassThrough();
    const compressing = pipeline(source.stream, zlib.createGzip({ level: 1 }), body);
    const check = createHash('sha256');
    let bytes = 0;
    const answer = await request({
      port: served.port,
      path: `/v1/inflate?format=gzip&maxOutput=${BODY}`,
      body,
      sink: (chunk) => {
        bytes += chunk.length;
        check.update(chunk);
      },
      timeoutMs: 120_000,
    });
    await compressing;
    expect(answer.status).toBe(200);
    expect(answer.aborted).toBe(false);
    expect(bytes).toBe(BODY);
    expect(check.digest('hex')).toBe(source.digest());
    expect(answer.trailers['x-zaccel-bytes-out']).toBe(String(BODY));
    const after = status(served.child.pid!);
    const growth = (peakReset ? after.hwm : Math.max(after.hwm, after.rss)) - baseline.rss;
    console.log(
      `inflate ${BODY / MiB} MiB: server RSS ${(baseline.rss / MiB).toFixed(0)} MiB, peak ${(after.hwm / MiB).toFixed(0)} MiB (growth ${(growth / MiB).toFixed(1)} MiB)`,
    );
    expect(growth).toBeLessThan(RSS_GROWTH_LIMIT);
  });
});

describe('graceful shutdown', () => {
  test('SIGTERM: the request in flight finishes, new ones are refused, streams close, exit 0', async () => {
    const served = await serve(['--workers', '1', '--log-level', 'info']);
    const opened = await request({
      port: served.port,
      path: '/v1/streams',
      body: Buffer.from(JSON.stringify({ mode: 'deflate' })),
      headers: { 'content-type': 'application/json' },
    });
    expect(opened.status).toBe(201);
    // An upload in 8 pieces of 256 KiB: the first goes at once, the rest only once the server is shutting down, so
    // the request is surely in flight when the signal comes, however slow the machine (no sleeps to guess with).
    const data = textBytes(2 * MiB, 5);
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    let sent = 0;
    const slow = new Readable({
      read() {
        if (sent >= data.length) {
          this.push(null);
          return;
        }
        const piece = data.subarray(sent, sent + 256 * 1024);
        const first = sent === 0;
        sent += piece.length;
        if (first) this.push(piece);
        else void released.then(() => this.push(piece));
      },
    });
    const inFlight = request({ port: served.port, path: '/v1/deflate?format=gzip', body: slow, timeoutMs: 120_000 });
    const logged = (message: string, path?: string) =>
      served.logs.some(
        (entry) =>
          entry.msg === message &&
          (path === undefined || String((entry.req as { url?: string } | undefined)?.url).startsWith(path)),
      );
    await eventually(() => logged('incoming request', '/v1/deflate'), 60_000, 'the upload to reach the server');
    served.child.kill('SIGTERM');
    await eventually(
      () => logged('signal received: finishing requests in flight'),
      60_000,
      'the server to take the signal',
    );
    // Once the server has begun to close (a moment after the signal), a new connection is refused (the listener is
    // closed) or answered 503.
    let late: number | string | undefined;
    await eventually(
      async () => {
        late = await request({ port: served.port, path: '/v1/deflate', body: Buffer.from('late') }).then(
          (answer) => answer.status,
          (error: NodeJS.ErrnoException) => error.code,
        );
        return late !== 200;
      },
      60_000,
      'a late request to be refused',
    );
    expect([503, 'ECONNREFUSED', 'ECONNRESET']).toContain(late);
    release();
    const answer = await inFlight;
    expect(answer.status).toBe(200);
    expect(zlib.gunzipSync(answer.body).equals(data)).toBe(true);
    expect(await served.exited).toBe(0);
    const messages = served.logs.map((entry) => entry.msg);
    expect(messages).toContain('signal received: finishing requests in flight');
    expect(messages).toContain('shut down');
    // Structured logs: JSON lines with pino's fields, one per request.
    expect(
      served.logs.some((entry) => entry.msg === 'request completed' && typeof entry.responseTime === 'number'),
    ).toBe(true);
  });
});
