/**
 * Every way a request can end gives back its in-flight slot and its stream's turn, exactly once: finished,
 * failed, client gone while queued, while its body is read, or while its answer is sent, timed out, and server
 * draining. Through a real listener on 127.0.0.1, because disconnects are what is tested.
 */
import http from 'node:http';
import net from 'node:net';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { eventually, listen, partialUpload, request, testServer, textBytes } from './helpers.js';

const KiB = 1024;
const MiB = 1024 * KiB;

let app: FastifyInstance;
let port: number;

beforeAll(async () => {
  app = await testServer({ maxInflight: 4, maxQueuedWrites: 8, bodyTimeoutMs: 30_000, sendTimeoutMs: 30_000 });
  port = await listen(app);
});

afterAll(async () => {
  await app.close();
});

async function openStream(): Promise<string> {
  const opened = await app.inject({ method: 'POST', url: '/v1/streams', payload: { mode: 'deflate', level: 1 } });
  expect(opened.statusCode).toBe(201);
  return (opened.json() as { id: string }).id;
}

async function describeStream(id: string): Promise<{ state: string; pendingWrites: number; writes: number }> {
  return (await app.inject({ method: 'GET', url: `/v1/streams/${id}` })).json();
}

/** The value of one sample of the metrics text, 0 when absent. */
async function metric(line: string): Promise<number> {
  const text = (await app.inject({ method: 'GET', url: '/metrics' })).body;
  const found = text.split('\n').find((row) => row.startsWith(`${line} `));
  return found === undefined ? 0 : Number(found.slice(line.length + 1));
}

const released = () => eventually(() => app.zaccel.state.inflight === 0, 10_000, 'every in-flight slot to be released');

describe('a queued write whose client leaves (issue 12, critical)', () => {
  test('the stream is not jammed: the running write finishes, later writes and DELETE run, no slot leaks', async () => {
    const id = await openStream();
    const body = textBytes(64 * KiB, 5);
    // Write A runs: its body is still coming.
    const slow = partialUpload(port, `/v1/streams/${id}/write?flush=sync`, body.length, 1024);
    const slowAnswer = new Promise<number>((resolve) => slow.on('response', (res) => resolve(res.statusCode ?? 0)));
    await eventually(
      async () => (await describeStream(id)).pendingWrites === 1 && app.zaccel.state.inflight === 1,
      10_000,
      'write A to run',
    );
    // Four writes B queue behind it, and their clients leave while they wait: more than --max-inflight of them.
    // (Their bodies fit in the request's read buffer, so the server keeps reading their sockets and sees them close.)
    const queued = Array.from({ length: 4 }, () => {
      const req = http.request({
        host: '127.0.0.1',
        port,
        method: 'POST',
        path: `/v1/streams/${id}/write`,
        agent: false,
      });
      req.on('error', () => {});
      req.end(body.subarray(0, 4 * KiB));
      return req;
    });
    await eventually(async () => (await describeStream(id)).pendingWrites === 5, 10_000, 'the writes B to queue');
    for (const req of queued) req.destroy();
    // Their turns are given up at once: only A holds the stream.
    await eventually(
      async () => (await describeStream(id)).pendingWrites === 1,
      10_000,
      'the gone writes to leave the queue',
    );
    slow.end(body.subarray(1024));
    expect(await slowAnswer).toBe(200);
    await eventually(async () => (await describeStream(id)).state === 'open', 10_000, 'the stream to be open again');
    await released();
    const next = await request({ port, path: `/v1/streams/${id}/write?flush=finish`, body, timeoutMs: 10_000 });
    expect(next.status).toBe(200);
    // A one-shot still gets a slot: nothing leaked.
    expect((await request({ port, path: '/v1/deflate', body, timeoutMs: 10_000 })).status).toBe(200);
    const deleted = await request({ port, method: 'DELETE', path: `/v1/streams/${id}`, timeoutMs: 10_000 });
    expect(deleted.status).toBe(200);
    expect(JSON.parse(deleted.body.toString())).toMatchObject({ state: 'closed', writes: 2 });
    expect(await metric('zaccel_client_disconnects_total{route="/v1/streams/:id/write",phase="queued"}')).toBe(4);
    await released();
  });

  test('a queued write with a large body whose client left is found out when its turn comes; nothing jams', async () => {
    // The server stops reading a socket whose request body it does not take yet: a client that leaves then is
    // seen when the write starts to read. That write fails the stream (part of its input may be missing), and
    // everything it held is given back.
    const id = await openStream();
    const slow = partialUpload(port, `/v1/streams/${id}/write`, 4096, 1024);
    const slowAnswer = new Promise<number>((resolve) => slow.on('response', (res) => resolve(res.statusCode ?? 0)));
    await eventually(async () => (await describeStream(id)).pendingWrites === 1, 10_000, 'the write to run');
    const big = http.request({
      host: '127.0.0.1',
      port,
      method: 'POST',
      path: `/v1/streams/${id}/write`,
      agent: false,
    });
    big.on('error', () => {});
    big.end(textBytes(2 * MiB, 7));
    await eventually(async () => (await describeStream(id)).pendingWrites === 2, 10_000, 'the large write to queue');
    big.destroy();
    slow.end(textBytes(3072, 4));
    expect(await slowAnswer).toBe(200);
    await eventually(async () => (await describeStream(id)).pendingWrites === 0, 10_000, 'the queue to empty');
    await released();
    expect((await app.inject({ method: 'DELETE', url: `/v1/streams/${id}` })).statusCode).toBe(200);
  });

  test('a queued DELETE whose client leaves gives its turn up too', async () => {
    const id = await openStream();
    const slow = partialUpload(port, `/v1/streams/${id}/write`, 4096, 1024);
    await eventually(async () => (await describeStream(id)).pendingWrites === 1, 10_000, 'the write to run');
    const gone = http.request({ host: '127.0.0.1', port, method: 'DELETE', path: `/v1/streams/${id}`, agent: false });
    gone.on('error', () => {});
    gone.end();
    await eventually(async () => (await describeStream(id)).pendingWrites === 2, 10_000, 'the DELETE to queue');
    gone.destroy();
    await eventually(
      async () => (await describeStream(id)).pendingWrites === 1,
      10_000,
      'the DELETE to leave the queue',
    );
    slow.end(textBytes(3072, 4));
    await eventually(async () => (await describeStream(id)).pendingWrites === 0, 10_000, 'the write to finish');
    expect((await describeStream(id)).state).toBe('open');
    expect((await app.inject({ method: 'DELETE', url: `/v1/streams/${id}` })).statusCode).toBe(200);
  });
});

describe('every ending releases the slot once', () => {
  test('finished and failed answers', async () => {
    const before = await metric('zaccel_request_endings_total{route="/v1/inflate",ending="failed"}');
    const finishedBefore = await metric('zaccel_request_endings_total{route="/v1/deflate",ending="finished"}');
    const answers = await Promise.all([
      request({ port, path: '/v1/deflate', body: textBytes(100 * KiB), timeoutMs: 10_000 }),
      request({ port, path: '/v1/inflate?format=zlib', body: Buffer.from('not zlib at all'), timeoutMs: 10_000 }),
    ]);
    expect(answers.map((answer) => answer.status)).toEqual([200, 400]);
    await released();
    expect(await metric('zaccel_request_endings_total{route="/v1/deflate",ending="finished"}')).toBe(
      finishedBefore + 1,
    );
    expect(await metric('zaccel_request_endings_total{route="/v1/inflate",ending="failed"}')).toBe(before + 1);
    expect(app.zaccel.state.inflight).toBe(0);
  });

  test('client gone while its body is read: counted as a disconnect, not as an error', async () => {
    const badRequests = await metric('zaccel_errors_total{code="ZACCEL_BAD_REQUEST"}');
    const req = partialUpload(port, '/v1/deflate', 8 * MiB, 256 * KiB);
    await eventually(() => app.zaccel.state.inflight === 1, 10_000, 'the request to be admitted');
    req.destroy();
    await released();
    await eventually(
      async () => (await metric('zaccel_client_disconnects_total{route="/v1/deflate",phase="reading"}')) >= 1,
      10_000,
      'the disconnect metric',
    );
    expect(await metric('zaccel_errors_total{code="ZACCEL_BAD_REQUEST"}')).toBe(badRequests);
    expect(app.zaccel.state.inflight).toBe(0);
  });

  test('client gone while its answer is sent', async () => {
    const req = http.request({ host: '127.0.0.1', port, method: 'POST', path: '/v1/deflate?level=0', agent: false });
    req.on('error', () => {});
    const gone = new Promise<void>((resolve) => {
      req.on('response', (res) => {
        res.once('data', () => {
          req.destroy();
          resolve();
        });
      });
    });
    req.end(textBytes(8 * MiB, 6));
    await gone;
    await released();
    await eventually(
      async () => (await metric('zaccel_client_disconnects_total{route="/v1/deflate",phase="answering"}')) >= 1,
      10_000,
      'the disconnect metric',
    );
  });
});

describe('server draining', () => {
  test('requests in flight and queued finish, new ones get 503, and every slot comes back', async () => {
    const server = await testServer({ maxInflight: 4 });
    const serverPort = await listen(server);
    const opened = await server.inject({ method: 'POST', url: '/v1/streams', payload: { mode: 'deflate' } });
    const { id } = opened.json() as { id: string };
    const body = textBytes(32 * KiB, 8);
    const running = http.request({
      host: '127.0.0.1',
      port: serverPort,
      method: 'POST',
      path: `/v1/streams/${id}/write`,
      agent: false,
      headers: { 'content-length': body.length },
    });
    running.on('error', () => {});
    const runningStatus = new Promise<number>((resolve) =>
      running.on('response', (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      }),
    );
    running.write(body.subarray(0, 1024));
    await eventually(() => server.zaccel.state.inflight === 1, 10_000, 'the write to run');
    const queued = request({ port: serverPort, path: `/v1/streams/${id}/write?flush=finish`, body, timeoutMs: 10_000 });
    await eventually(
      async () => (await server.inject({ method: 'GET', url: `/v1/streams/${id}` })).json().pendingWrites === 2,
      10_000,
      'the queue',
    );
    // A request that arrives during the drain, pipelined on a connection that was busy when it began.
    const socket = net.connect(serverPort, '127.0.0.1');
    socket.on('error', () => {});
    const raw: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => raw.push(chunk));
    const small = textBytes(2048, 9);
    socket.write(`POST /v1/deflate HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-length: ${small.length}\r\n\r\n`);
    socket.write(small.subarray(0, 100));
    await eventually(() => server.zaccel.state.inflight === 2, 10_000, 'the one-shot to run');
    const closing = server.close();
    await eventually(() => server.zaccel.state.shuttingDown, 10_000, 'shutdown to start');
    socket.write(
      Buffer.concat([
        small.subarray(100),
        Buffer.from('POST /v1/deflate HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-length: 1\r\n\r\nx'),
      ]),
    );
    running.end(body.subarray(1024));
    expect(await runningStatus).toBe(200);
    expect((await queued).status).toBe(200);
    await eventually(
      () => /HTTP\/1\.1 503/.test(Buffer.concat(raw).toString('latin1')),
      10_000,
      'the pipelined request to be refused',
    );
    expect(Buffer.concat(raw).toString('latin1')).toMatch(/^HTTP\/1\.1 200 /);
    socket.destroy();
    await closing;
    expect(server.zaccel.state.inflight).toBe(0);
    const text = await server.zaccel.metrics.registry.metrics();
    expect(text).toMatch(/^zaccel_request_endings_total\{route="\/v1\/deflate",ending="draining"\} 1$/m);
    expect(text).toMatch(/^zaccel_request_endings_total\{route="\/v1\/streams\/:id\/write",ending="finished"\} 2$/m);
  });
});
