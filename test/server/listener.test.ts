/**
 * A real listener on 127.0.0.1: clients that disconnect mid-body and
 * mid-response (the Machine's memory returns to its baseline), concurrent
 * stateful streams with interleaved and queued writes, decompression bombs,
 * malformed bodies that fail after the answer started, and capacity.
 */
import http from 'node:http';
import net from 'node:net';
import { Readable } from 'node:stream';
import zlib from 'node:zlib';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { eventually, listen, partialUpload, request, testServer, textBytes } from './helpers.js';

const MiB = 1024 * 1024;

let app: FastifyInstance;
let port: number;
let baseline: { bytesInUse: number; liveRegions: number };

/** A 1 GiB bomb: gzip of zeros made with node:zlib, streaming (about 1 MiB). */
let bomb: Buffer;

beforeAll(async () => {
  app = await testServer({ workers: 2, maxOutputLimitBytes: 2048 * MiB, maxQueuedWrites: 3 });
  port = await listen(app);
  // Warm both workers so their partitions are carved; the baseline is what stays in use between requests.
  await Promise.all([0, 1, 2, 3].map(() => request({ port, path: '/v1/deflate', body: textBytes(MiB) })));
  // Sessions close just after their answers: wait for that before taking the baseline.
  await eventually(
    async () => (await app.zaccel.pool.memoryStats()).sessions === 0,
    60_000,
    'warm-up sessions to close',
  );
  baseline = await app.zaccel.pool.memoryStats();
  const zeros = Buffer.alloc(MiB);
  let left = 1024;
  const source = new Readable({
    read() {
      this.push(left-- > 0 ? zeros : null);
    },
  });
  const chunks: Buffer[] = [];
  await new Promise<void>((resolve, reject) => {
    source
      .pipe(zlib.createGzip({ level: 9 }))
      .on('data', (chunk: Buffer) => chunks.push(chunk))
      .on('end', resolve)
      .on('error', reject);
  });
  bomb = Buffer.concat(chunks);
}, 60_000);

afterAll(async () => {
  await app.close();
});

async function backToBaseline(): Promise<void> {
  await eventually(
    async () => {
      const now = await app.zaccel.pool.memoryStats();
      return (
        now.sessions === 0 &&
        now.bytesInUse === baseline.bytesInUse &&
        now.liveRegions === baseline.liveRegions &&
        app.zaccel.state.inflight === 0
      );
    },
    60_000,
    'the Machine back at its baseline',
  );
}

describe('clients that go away', () => {
  test('mid-body: the session is aborted and the Machine returns to its baseline', async () => {
    const req = partialUpload(port, '/v1/deflate?level=9', 64 * MiB, 6 * MiB);
    await eventually(
      async () => (await app.zaccel.pool.memoryStats()).bytesInUse > baseline.bytesInUse,
      60_000,
      'the request to start',
    );
    req.destroy();
    await backToBaseline();
    expect(app.zaccel.pool.openSessions).toBe(0);
  });

  test('mid-response: reading a little of a large answer and leaving frees everything', async () => {
    let received = 0;
    await new Promise<void>((resolve, reject) => {
      const req = http.request(
        { host: '127.0.0.1', port, method: 'POST', path: '/v1/inflate?format=gzip&maxOutput=1073741824', agent: false },
        (res) => {
          expect(res.statusCode).toBe(200);
          res.on('data', (chunk: Buffer) => {
            received += chunk.length;
            if (received > 4 * MiB) {
              res.destroy();
              req.destroy();
              resolve();
            }
          });
          res.on('error', () => {});
        },
      );
      req.on('error', (error) => (received > 4 * MiB ? resolve() : reject(error)));
      req.end(bomb);
    });
    await backToBaseline();
    const metrics = (await app.inject({ method: 'GET', url: '/metrics' })).body;
    expect(metrics).toMatch(/^zaccel_client_disconnects_total\{route="\/v1\/inflate",phase="answering"\} [1-9]/m);
  });

  test('mid-response while the body is still uploading (deflate at level 0)', async () => {
    const req = partialUpload(port, '/v1/deflate?level=0', 64 * MiB, 0);
    let received = 0;
    const data = textBytes(16 * MiB, 3);
    await new Promise<void>((resolve) => {
      req.on('response', (res) => {
        res.on('data', (chunk: Buffer) => {
          received += chunk.length;
          if (received > 2 * MiB) {
            req.destroy();
            resolve();
          }
        });
        res.on('error', () => {});
      });
      req.write(data);
    });
    await backToBaseline();
  });

  test('mid-write on a stream: the stream fails and its memory is freed at once', async () => {
    const opened = await app.inject({ method: 'POST', url: '/v1/streams', payload: { mode: 'deflate', level: 9 } });
    const { id } = opened.json() as { id: string };
    const req = partialUpload(port, `/v1/streams/${id}/write`, 8 * MiB, 2 * MiB);
    await eventually(() => app.zaccel.state.inflight === 1, 60_000, 'the write to start');
    await new Promise((resolve) => setTimeout(resolve, 200));
    req.destroy();
    await eventually(
      async () => (await app.inject({ method: 'GET', url: `/v1/streams/${id}` })).json().state === 'failed',
      60_000,
      'the stream to fail',
    );
    await backToBaseline();
    const next = await app.inject({ method: 'POST', url: `/v1/streams/${id}/write`, payload: Buffer.from('x') });
    expect(next.statusCode).toBe(409);
    expect((await app.inject({ method: 'DELETE', url: `/v1/streams/${id}` })).statusCode).toBe(200);
  });
});

describe('stateful streams over HTTP', () => {
  test('eight streams, deflate and inflate, with writes interleaved across them', async () => {
    const inputs = Array.from({ length: 8 }, (_, index) => textBytes(600_000 + index * 10_000, 100 + index));
    const flushes = ['none', 'sync', 'full', 'none', 'sync'] as const;
    const results = await Promise.all(
      inputs.map(async (input, index) => {
        const inflate = index % 2 === 1;
        const opened = await request({
          port,
          path: '/v1/streams',
          body: Buffer.from(
            JSON.stringify(
              inflate ? { mode: 'inflate', format: 'gzip' } : { mode: 'deflate', format: 'raw', level: 1 + index },
            ),
          ),
          headers: { 'content-type': 'application/json' },
        });
        expect(opened.status).toBe(201);
        const { id } = JSON.parse(opened.body.toString()) as { id: string };
        const source = inflate ? zlib.gzipSync(input) : input;
        const pieces = 6;
        const size = Math.ceil(source.length / pieces);
        const outputs: Buffer[] = [];
        for (let piece = 0; piece < pieces; piece++) {
          const flush = piece === pieces - 1 ? 'finish' : flushes[piece % flushes.length];
          const answer = await request({
            port,
            path: `/v1/streams/${id}/write?flush=${flush}`,
            body: source.subarray(piece * size, (piece + 1) * size),
          });
          expect(answer.status, answer.body.toString()).toBe(200);
          outputs.push(answer.body);
          if (!inflate && (flush === 'sync' || flush === 'full')) {
            const soFar = zlib.inflateRawSync(Buffer.concat(outputs), { finishFlush: zlib.constants.Z_SYNC_FLUSH });
            expect(soFar.equals(input.subarray(0, (piece + 1) * size))).toBe(true);
          }
          // Yield so the other streams' writes interleave with this one's.
          await new Promise((resolve) => setImmediate(resolve));
        }
        const info = await request({ port, method: 'GET', path: `/v1/streams/${id}` });
        const closed = await request({ port, method: 'DELETE', path: `/v1/streams/${id}` });
        expect(closed.status).toBe(200);
        return {
          inflate,
          input,
          output: Buffer.concat(outputs),
          info: JSON.parse(info.body.toString()) as Record<string, unknown>,
        };
      }),
    );
    for (const { inflate, input, output, info } of results) {
      expect((inflate ? output : zlib.inflateRawSync(output)).equals(input)).toBe(true);
      expect(info.state).toBe('ended');
      expect(info.writes).toBe(6);
    }
    // Streams were spread over both workers.
    await backToBaseline();
  });

  test('writes to one stream queue and run in arrival order; too many waiting is 503', async () => {
    const opened = await app.inject({
      method: 'POST',
      url: '/v1/streams',
      payload: { mode: 'deflate', format: 'zlib' },
    });
    const { id } = opened.json() as { id: string };
    const pieces = [textBytes(300_000, 1), textBytes(1000, 2), textBytes(2000, 3), textBytes(3000, 4)];
    // The first write's body stops after its first piece until the others are queued, so they queue behind it however
    // slow the machine; each next write goes only once the one before it is on the stream, so the arrival order is
    // known (no sleeps to guess with).
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    let sent = 0;
    const slow = new Readable({
      read() {
        if (sent >= pieces[0].length) return void this.push(null);
        const chunk = pieces[0].subarray(sent, sent + 50_000);
        const first = sent === 0;
        sent += chunk.length;
        if (first) this.push(chunk);
        else void released.then(() => this.push(chunk));
      },
    });
    const info = async () =>
      (await app.inject({ method: 'GET', url: `/v1/streams/${id}` })).json() as {
        state: string;
        pendingWrites: number;
      };
    const answers: Array<Promise<Awaited<ReturnType<typeof request>>>> = [
      request({ port, path: `/v1/streams/${id}/write?flush=sync`, body: slow }),
    ];
    await eventually(async () => (await info()).pendingWrites === 1, 60_000, 'the first write on the stream');
    for (let index = 1; index < pieces.length; index++) {
      answers.push(
        request({
          port,
          path: `/v1/streams/${id}/write?flush=${index === pieces.length - 1 ? 'finish' : 'sync'}`,
          body: pieces[index],
        }),
      );
      await eventually(
        async () => (await info()).pendingWrites === index + 1,
        60_000,
        `write ${index + 1} on the stream`,
      );
    }
    expect((await info()).state).toBe('busy');
    // maxQueuedWrites is 3: the running write plus 3 waiting is the most.
    const refused = await request({ port, path: `/v1/streams/${id}/write`, body: Buffer.from('one too many') });
    expect(refused.status).toBe(503);
    expect(JSON.parse(refused.body.toString())).toMatchObject({ error: { code: 'ZACCEL_AT_CAPACITY' } });
    release();
    const outputs = (await Promise.all(answers)).map((answer) => {
      expect(answer.status).toBe(200);
      return answer.body;
    });
    expect(zlib.inflateSync(Buffer.concat(outputs)).equals(Buffer.concat(pieces))).toBe(true);
    // Each answer alone ends at its own sync flush: it held exactly its write's output.
    for (const output of outputs.slice(0, -1))
      expect(output.subarray(-4).equals(Buffer.from([0, 0, 0xff, 0xff]))).toBe(true);
    await app.inject({ method: 'DELETE', url: `/v1/streams/${id}` });
  });
});

describe('decompression bombs', () => {
  // Bounded time is not asserted (a busy machine makes any figure flaky); the request's own limit is a hang guard.
  test('1 GiB of zeros in about 1 MiB of gzip: 413 at the server-wide cap, in bounded memory', async () => {
    expect(bomb.length).toBeLessThan(2 * MiB);
    const capped = await testServer({ maxOutputBytes: MiB });
    try {
      const cappedPort = await listen(capped);
      const rss = process.memoryUsage().rss;
      const answer = await request({ port: cappedPort, path: '/v1/inflate', body: bomb, timeoutMs: 60_000 });
      expect(answer.status).toBe(413);
      expect(JSON.parse(answer.body.toString())).toMatchObject({ error: { code: 'ZACCEL_OUTPUT_LIMIT' } });
      expect(process.memoryUsage().rss - rss).toBeLessThan(64 * MiB);
    } finally {
      await capped.close();
    }
  });

  test('with a per-request maxOutput on the shared server: 413 as well', async () => {
    const answer = await request({ port, path: '/v1/inflate?maxOutput=65536', body: bomb, timeoutMs: 60_000 });
    expect(answer.status).toBe(413);
    expect(answer.headers.connection).toBe('close');
    await backToBaseline();
  });

  test('a cap past the commit window: the answer started, so it is cut off at the cap, never completed', async () => {
    let received = 0;
    const answer = await request({
      port,
      path: `/v1/inflate?maxOutput=${32 * MiB}`,
      body: bomb,
      sink: (chunk) => (received += chunk.length),
      timeoutMs: 60_000,
    });
    expect(answer.status).toBe(200);
    expect(answer.aborted).toBe(true);
    expect(answer.trailers['x-zaccel-bytes-out']).toBeUndefined();
    expect(received).toBeLessThanOrEqual(32 * MiB);
    await backToBaseline();
  });
});

describe('malformed bodies', () => {
  const random = zlib.gzipSync(
    Buffer.from(Array.from({ length: 8 * MiB }, (_, index) => (index * 2654435761) >>> 24)),
    { level: 1 },
  );

  test('bad from the first bytes: a JSON 400', async () => {
    const answer = await request({ port, path: '/v1/inflate', body: Buffer.from('\x1f\x8bgarbage garbage garbage') });
    expect(answer.status).toBe(400);
    expect(JSON.parse(answer.body.toString())).toMatchObject({ error: { code: 'ZACCEL_DATA_ERROR' } });
  });

  test('corrupt after the commit window: the response is aborted (no terminating chunk, no trailers)', async () => {
    const corrupt = Buffer.from(random);
    corrupt.fill(0xff, corrupt.length - 100_000, corrupt.length - 50_000);
    const answer = await request({ port, path: '/v1/inflate?format=gzip', body: corrupt });
    expect(answer.status).toBe(200);
    expect(answer.aborted).toBe(true);
    expect(answer.trailers).toEqual({});
    await backToBaseline();
  });

  test('truncated after the commit window: aborted too', async () => {
    const answer = await request({
      port,
      path: '/v1/inflate?format=gzip',
      body: random.subarray(0, random.length - 10),
    });
    expect(answer.status).toBe(200);
    expect(answer.aborted).toBe(true);
    await backToBaseline();
  });

  test('the intact stream passes, with its counts as trailers', async () => {
    const answer = await request({ port, path: '/v1/inflate?format=gzip', body: random });
    expect(answer.status).toBe(200);
    expect(answer.aborted).toBe(false);
    expect(answer.body.length).toBe(8 * MiB);
    expect(answer.trailers['x-zaccel-bytes-out']).toBe(String(8 * MiB));
  });
});

describe('early answers to clients that send the whole body before reading', () => {
  /** Write the whole request, then read the whole answer, as Python's urllib and Java's HttpClient do. */
  function sendAllThenRead(path: string, body: Buffer): Promise<string> {
    return new Promise((resolve, reject) => {
      const socket = net.connect(port, '127.0.0.1');
      const received: Buffer[] = [];
      socket.on('data', (chunk) => received.push(chunk));
      socket.on('error', reject);
      socket.on('close', () => resolve(Buffer.concat(received).toString('latin1')));
      socket.write(
        `POST ${path} HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/octet-stream\r\ncontent-length: ${body.length}\r\nconnection: close\r\n\r\n`,
      );
      socket.end(body);
    });
  }

  test('an output cap found mid-body: the 413 arrives, the rest of the body is read and dropped', async () => {
    const random = Buffer.alloc(8 * MiB);
    for (let index = 0; index < random.length; index += 4)
      random.writeUInt32LE((Math.imul(index, 2654435761) ^ (index >>> 7)) >>> 0, index);
    for (let attempt = 0; attempt < 3; attempt++) {
      const answer = await sendAllThenRead('/v1/deflate?level=1&maxOutput=1024', random);
      expect(answer).toMatch(/^HTTP\/1\.1 413 /);
      expect(answer).toContain('"code":"ZACCEL_OUTPUT_LIMIT"');
    }
    await backToBaseline();
  });

  test('a stream write over --max-write, refused before its body is read: the 413 arrives', async () => {
    const opened = await request({
      port,
      path: '/v1/streams',
      body: Buffer.from(JSON.stringify({ mode: 'deflate' })),
      headers: { 'content-type': 'application/json' },
    });
    const { id } = JSON.parse(opened.body.toString()) as { id: string };
    const answer = await sendAllThenRead(`/v1/streams/${id}/write?flush=sync`, Buffer.alloc(20 * MiB));
    expect(answer).toMatch(/^HTTP\/1\.1 413 /);
    expect(answer).toContain('"code":"ZACCEL_BODY_TOO_LARGE"');
  });
});

describe('capacity', () => {
  test('past --max-inflight: 503 ZACCEL_AT_CAPACITY with Retry-After; the running request is unaffected', async () => {
    const small = await testServer({ maxInflight: 1 });
    try {
      const smallPort = await listen(small);
      const req = http.request({
        host: '127.0.0.1',
        port: smallPort,
        method: 'POST',
        path: '/v1/deflate?format=gzip',
        agent: false,
        headers: { 'content-length': 2000 },
      });
      const first = new Promise<{ status: number; body: Buffer }>((resolve, reject) => {
        req.on('response', (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => resolve({ status: res.statusCode!, body: Buffer.concat(chunks) }));
        });
        req.on('error', reject);
      });
      req.write(Buffer.alloc(1000, 97));
      await eventually(() => small.zaccel.state.inflight === 1, 60_000, 'the first request to be in flight');
      const second = await request({ port: smallPort, path: '/v1/deflate', body: Buffer.from('second') });
      expect(second.status).toBe(503);
      expect(second.headers['retry-after']).toBe('1');
      expect(JSON.parse(second.body.toString())).toMatchObject({ error: { code: 'ZACCEL_AT_CAPACITY' } });
      req.end(Buffer.alloc(1000, 98));
      const done = await first;
      expect(done.status).toBe(200);
      expect(zlib.gunzipSync(done.body).equals(Buffer.concat([Buffer.alloc(1000, 97), Buffer.alloc(1000, 98)]))).toBe(
        true,
      );
    } finally {
      await small.close();
    }
  });
});

describe('a worker that dies', () => {
  test('its sessions fail with 500 ZACCEL_INTERNAL, a replacement attaches to the same Machine, and service goes on', async () => {
    const server = await testServer({ workers: 1 });
    try {
      const serverPort = await listen(server);
      const opened = await server.inject({ method: 'POST', url: '/v1/streams', payload: { mode: 'deflate' } });
      const { id } = opened.json() as { id: string };
      const [handle] = server.zaccel.pool.handles;
      await handle.worker.terminate(); // as a crash would
      await eventually(() => server.zaccel.pool.ready, 60_000, 'the replacement worker');
      expect(server.zaccel.pool.handles[0]).not.toBe(handle);
      const info = (await server.inject({ method: 'GET', url: `/v1/streams/${id}` })).json() as {
        state: string;
        error: { code: string };
      };
      expect(info).toMatchObject({ state: 'failed', error: { code: 'ZACCEL_INTERNAL' } });
      const write = await server.inject({ method: 'POST', url: `/v1/streams/${id}/write`, payload: Buffer.from('x') });
      expect(write.statusCode).toBe(409);
      const answer = await request({ port: serverPort, path: '/v1/deflate', body: textBytes(100_000) });
      expect(answer.status).toBe(200);
      expect(zlib.inflateSync(answer.body).equals(textBytes(100_000))).toBe(true);
      expect((await server.inject({ method: 'GET', url: '/readyz' })).statusCode).toBe(200);
    } finally {
      await server.close();
    }
  });

  test("the replacement adopts the dead worker's Machine partitions: a crash costs no Machine memory", async () => {
    const server = await testServer({ workers: 1 });
    try {
      const pool = server.zaccel.pool;
      const work = () => server.inject({ method: 'POST', url: '/v1/deflate?level=9', payload: textBytes(2 * MiB, 31) });
      expect((await work()).statusCode).toBe(200);
      const before = await pool.memoryStats();
      const dead = before.workers[0].machine;
      expect(dead.bytesOwned).toBeGreaterThan(0);
      const [handle] = pool.handles;
      await handle.worker.terminate(); // as a crash would
      await eventually(() => pool.ready && pool.handles[0] !== handle, 10_000, 'the replacement worker');
      const replacement = pool.handles[0];
      expect(replacement.adoptedBytes).toBe(dead.bytesOwned);
      const after = await pool.memoryStats();
      expect(after.workers[0].machine).toMatchObject({ bytesOwned: dead.bytesOwned, partitions: dead.partitions });
      // The same work again fits in the adopted partitions: nothing new is carved.
      expect((await work()).statusCode).toBe(200);
      expect((await pool.memoryStats()).workers[0].machine.carvedTop).toBe(dead.carvedTop);
      // A replacement of the replacement adopts everything again, the first dead worker's partitions included.
      await replacement.worker.terminate();
      await eventually(() => pool.ready && pool.handles[0] !== replacement, 10_000, 'the second replacement');
      expect(pool.handles[0].adoptedBytes).toBe(dead.bytesOwned);
    } finally {
      await server.close();
    }
  });
});
