/**
 * The four timeouts, each set to 200 ms: slow headers, a stalled body, a client that stops reading, an idle
 * keep-alive connection. Every test asserts only that the connection was answered or closed, and that what
 * the request held came back; none measures time.
 */
import { spawn } from 'node:child_process';
import net from 'node:net';
import { createInterface } from 'node:readline';
import zlib from 'node:zlib';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { resolveConfig } from '../../server/config.js';
import { eventually, listen, testServer, textBytes } from './helpers.js';

const MiB = 1024 * 1024;
const TIMEOUT = 200;

let app: FastifyInstance;
let port: number;

beforeAll(async () => {
  app = await testServer({
    headerTimeoutMs: TIMEOUT,
    bodyTimeoutMs: TIMEOUT,
    sendTimeoutMs: TIMEOUT,
    keepaliveTimeoutMs: TIMEOUT,
    maxOutputLimitBytes: 1024 * MiB,
  });
  port = await listen(app);
});

afterAll(async () => {
  await app.close();
});

/** A raw connection that collects what the server sends and reports when the server closed it. */
function connect(): { socket: net.Socket; received: () => string; closed: Promise<void> } {
  const socket = net.connect(port, '127.0.0.1');
  const chunks: Buffer[] = [];
  socket.on('data', (chunk: Buffer) => chunks.push(chunk));
  socket.on('error', () => {});
  const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
  return { socket, received: () => Buffer.concat(chunks).toString('latin1'), closed };
}

/** The JSON body of a raw HTTP/1.1 answer. */
function jsonOf(raw: string): { error: { code: string; message: string } } {
  return JSON.parse(raw.slice(raw.indexOf('\r\n\r\n') + 4));
}

async function metric(line: string): Promise<number> {
  const text = await app.zaccel.metrics.registry.metrics();
  const found = text.split('\n').find((row) => row.startsWith(`${line} `));
  return found === undefined ? 0 : Number(found.slice(line.length + 1));
}

describe('timeouts', () => {
  test('each is a flag and an environment variable, 60 s by default', () => {
    const defaults = resolveConfig({}, {});
    expect([
      defaults.headerTimeoutMs,
      defaults.bodyTimeoutMs,
      defaults.sendTimeoutMs,
      defaults.keepaliveTimeoutMs,
    ]).toEqual([60_000, 60_000, 60_000, 60_000]);
    const set = resolveConfig(
      { headerTimeoutMs: '1000', sendTimeoutMs: '3000' },
      { ZACCEL_HEADER_TIMEOUT_MS: '5', ZACCEL_BODY_TIMEOUT_MS: '2000', ZACCEL_KEEPALIVE_TIMEOUT_MS: '4000' },
    );
    expect([set.headerTimeoutMs, set.bodyTimeoutMs, set.sendTimeoutMs, set.keepaliveTimeoutMs]).toEqual([
      1000, 2000, 3000, 4000,
    ]);
    expect(() => resolveConfig({ bodyTimeoutMs: '0' }, {})).toThrow(/integer >= 1/);
  });

  test('headers that never end: 408 ZACCEL_TIMEOUT in our shape, and the connection is closed', async () => {
    const { socket, received, closed } = connect();
    socket.write('POST /v1/deflate HTTP/1.1\r\nhost: 127.0.0.1\r\nx-slow: ');
    await closed;
    const answer = received();
    expect(answer).toMatch(/^HTTP\/1\.1 408 /);
    expect(jsonOf(answer).error.code).toBe('ZACCEL_TIMEOUT');
    expect(await metric('zaccel_timeouts_total{kind="header"}')).toBeGreaterThanOrEqual(1);
  });

  test('a body that stalls: 408 ZACCEL_TIMEOUT, the connection is closed and the slot is released', async () => {
    const { socket, received, closed } = connect();
    socket.write('POST /v1/deflate HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-length: 1048576\r\n\r\n');
    socket.write(textBytes(10_000));
    await closed;
    const answer = received();
    expect(answer).toMatch(/^HTTP\/1\.1 408 /);
    expect(answer.toLowerCase()).toContain('connection: close');
    expect(jsonOf(answer).error.code).toBe('ZACCEL_TIMEOUT');
    await eventually(() => app.zaccel.state.inflight === 0, 10_000, 'the slot to be released');
    expect(await metric('zaccel_request_endings_total{route="/v1/deflate",ending="timed-out"}')).toBeGreaterThanOrEqual(
      1,
    );
  });

  test('a JSON body that stalls (POST /v1/streams): 408 ZACCEL_TIMEOUT too', async () => {
    const { socket, received, closed } = connect();
    socket.write(
      'POST /v1/streams HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n{"mode":',
    );
    await closed;
    const answer = received();
    expect(answer).toMatch(/^HTTP\/1\.1 408 /);
    expect(jsonOf(answer).error.code).toBe('ZACCEL_TIMEOUT');
    expect(app.zaccel.streams.size).toBe(0);
  });

  test('a body paused by the server (the worker is busy) is not a stalled body', async () => {
    // 6 MiB at level 9 keeps the worker behind the socket for several input windows: the server pauses the
    // socket while the worker catches up, longer than the 200 ms body timeout.
    const body = textBytes(6 * MiB, 12);
    const { socket, received, closed } = connect();
    socket.write(
      `POST /v1/deflate?level=9 HTTP/1.1\r\nhost: 127.0.0.1\r\nconnection: close\r\ncontent-length: ${body.length}\r\n\r\n`,
    );
    socket.end(body);
    await closed;
    const answer = received();
    expect(answer).toMatch(/^HTTP\/1\.1 200 /);
  });

  test("a busy event loop is not a stalled client: bytes that came while the server's thread was blocked count", async () => {
    // The server runs in this thread. Once it is reading the body, the rest of the body is written to the socket
    // (it lands in the kernel at once) and the thread is blocked for twice the timeout. When it runs again, the
    // idle timer is due before the socket is read: the bytes that came meanwhile must still count. (Without the
    // check this tests, the answer was 408.)
    const body = textBytes(3000, 4);
    const { socket, received, closed } = connect();
    socket.write(
      `POST /v1/deflate?format=raw HTTP/1.1\r\nhost: 127.0.0.1\r\nconnection: close\r\ncontent-length: ${body.length}\r\n\r\n`,
    );
    socket.write(body.subarray(0, 1000));
    await eventually(() => app.zaccel.state.inflight === 1, 10_000, 'the request to start');
    await new Promise((resolve) => setTimeout(resolve, TIMEOUT / 4));
    // Written and blocked in the check phase, so that no poll phase reads the bytes before the block, and the next
    // turn of the loop runs its due timers before it reads sockets.
    await new Promise((resolve) => setImmediate(resolve));
    socket.write(body.subarray(1000));
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, TIMEOUT * 2);
    await closed;
    const answer = Buffer.from(received(), 'latin1');
    const head = answer.subarray(0, answer.indexOf('\r\n\r\n')).toString('latin1');
    expect(head).toMatch(/^HTTP\/1\.1 200 /);
    expect(zlib.inflateRawSync(answer.subarray(answer.indexOf('\r\n\r\n') + 4)).equals(body)).toBe(true);
  });

  test('a client that stops reading its answer is disconnected, and everything it held is given back', async () => {
    const bomb = zlib.gzipSync(Buffer.alloc(64 * MiB), { level: 1 });
    const { socket, closed } = connect();
    socket.write(
      `POST /v1/inflate?maxOutput=${256 * MiB} HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-length: ${bomb.length}\r\n\r\n`,
    );
    socket.write(bomb);
    // Read the first bytes, then nothing more.
    await new Promise<void>((resolve) => socket.once('data', () => resolve()));
    socket.pause();
    await eventually(async () => (await metric('zaccel_timeouts_total{kind="send"}')) >= 1, 20_000, 'the send timeout');
    await eventually(() => app.zaccel.state.inflight === 0, 10_000, 'the slot to be released');
    await eventually(async () => (await app.zaccel.pool.memoryStats()).sessions === 0, 10_000, 'the session to close');
    socket.destroy();
    await closed;
  });

  test('a busy event loop is not a client that stopped reading: what it took meanwhile counts', async () => {
    // A client in a process of its own reads a 256 MiB answer. After 32 MiB it stops for half the send timeout,
    // so that the socket fills and bytes queue, and says so; this thread (the server's) is then blocked for five
    // timeouts, while the client reads again and drains the socket. When the thread runs again, the send timer is
    // due before the socket's completed writes are handled: they must count, and the answer must arrive whole.
    // (Without the check this tests, the connection was destroyed.)
    const client = spawn(
      process.execPath,
      [
        '-e',
        `const http = require('node:http');
         const bomb = require('node:zlib').gzipSync(Buffer.alloc(${256 * MiB}), { level: 1 });
         const req = http.request({ host: '127.0.0.1', port: ${port}, method: 'POST',
           path: '/v1/inflate?format=gzip&maxOutput=${256 * MiB}', headers: { 'content-length': bomb.length } });
         req.on('response', (res) => {
           let bytes = 0;
           res.on('data', (chunk) => {
             bytes += chunk.length;
             if (bytes - chunk.length < ${32 * MiB} && bytes >= ${32 * MiB}) {
               res.pause();
               process.stdout.write('paused\\n');
               setTimeout(() => res.resume(), ${TIMEOUT / 2});
             }
           });
           res.on('close', () => process.stdout.write(JSON.stringify({ bytes, complete: res.complete }) + '\\n'));
         });
         req.on('error', (error) => process.stdout.write(JSON.stringify({ error: error.message }) + '\\n'));
         req.end(bomb);`,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const said: string[] = [];
    const exited = new Promise((resolve) => client.on('close', resolve)); // 'close': its output is all read
    const paused = new Promise<void>((resolve) =>
      createInterface({ input: client.stdout! }).on('line', (line) => {
        said.push(line);
        if (line === 'paused') resolve();
      }),
    );
    await Promise.race([paused, exited]); // a client that failed before it paused is reported below
    expect(said[0]).toBe('paused');
    // Long enough for the send timer to see the socket stuck (it looks every quarter timeout), and less than the
    // client's stop; then blocked in the check phase, so that the timers come next.
    await new Promise((resolve) => setTimeout(resolve, (TIMEOUT * 3) / 8));
    await new Promise((resolve) => setImmediate(resolve));
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, TIMEOUT * 5);
    await exited;
    expect(JSON.parse(said.at(-1) ?? '{}')).toEqual({ bytes: 256 * MiB, complete: true });
  });

  test('an idle keep-alive connection is closed', async () => {
    const { socket, received, closed } = connect();
    socket.write('GET /healthz HTTP/1.1\r\nhost: 127.0.0.1\r\n\r\n');
    await closed;
    expect(received()).toMatch(/^HTTP\/1\.1 200 /);
  });
});

describe('a body that keeps coming', () => {
  // The body timer is armed once and, when it fires, armed again for what is left of the idle time since the last
  // byte: a body whose gaps are each far shorter than the timeout, and that lasts several timeouts, is not cut off.
  // The gaps (40 ms) are a twenty-fifth of the timeout (1 s), so a busy machine that stretches one is no race.
  const SLOW_TIMEOUT = 1_000;
  let slow: FastifyInstance;
  let slowPort: number;

  beforeAll(async () => {
    slow = await testServer({ bodyTimeoutMs: SLOW_TIMEOUT });
    slowPort = await listen(slow);
  });

  afterAll(async () => {
    await slow.close();
  });

  test('in small pieces over three timeouts: answered 200 with its whole compression', async () => {
    const pieces = 75;
    const body = textBytes(pieces * 1000, 3);
    const socket = net.connect(slowPort, '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', () => {});
    const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
    socket.write(
      `POST /v1/deflate?format=raw HTTP/1.1\r\nhost: 127.0.0.1\r\nconnection: close\r\ncontent-length: ${body.length}\r\n\r\n`,
    );
    for (let piece = 0; piece < pieces; piece++) {
      socket.write(body.subarray(piece * 1000, (piece + 1) * 1000));
      await new Promise((resolve) => setTimeout(resolve, 40));
    }
    socket.end();
    await closed;
    const answer = Buffer.concat(chunks);
    const head = answer.subarray(0, answer.indexOf('\r\n\r\n')).toString('latin1');
    expect(head).toMatch(/^HTTP\/1\.1 200 /);
    const payload = answer.subarray(answer.indexOf('\r\n\r\n') + 4);
    expect(head.toLowerCase()).toContain(`content-length: ${payload.length}`);
    expect(Buffer.from(zlib.inflateRawSync(payload)).equals(Buffer.from(body))).toBe(true);
  });
});
