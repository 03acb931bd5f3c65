/**
 * Exactly-once stream writes (`?seq=N`), through HTTP: the next number runs,
 * a retry of the last acknowledged number answers the same bytes again
 * without advancing the stream, anything else is 409 ZACCEL_SEQUENCE; a
 * numbered write whose client goes away is undone or acknowledged, never
 * half-applied.
 */
import http from 'node:http';
import zlib from 'node:zlib';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { eventually, listen, request, testServer, textBytes } from './helpers.js';

let app: FastifyInstance;
const text = textBytes(600_000, 11);
const opened: string[] = [];
let baseline: { bytesInUse: number; liveRegions: number };

beforeAll(async () => {
  app = await testServer({ maxWriteBytes: 4 << 20, commitBytes: 64 * 1024 });
  baseline = await app.zaccel.pool.memoryStats();
});
afterAll(async () => {
  await app.close();
});

const errorOf = (response: { json: () => unknown }) =>
  (response.json() as { error: { code: string; message: string } }).error;

async function open(body: Record<string, unknown>): Promise<string> {
  const response = await app.inject({ method: 'POST', url: '/v1/streams', payload: body });
  expect(response.statusCode, response.body).toBe(201);
  const { id } = response.json() as { id: string };
  opened.push(id);
  return id;
}

const write = (id: string, payload: Buffer, flush: string, seq?: number) =>
  app.inject({
    method: 'POST',
    url: `/v1/streams/${id}/write?flush=${flush}${seq === undefined ? '' : `&seq=${seq}`}`,
    payload,
    headers: { 'content-type': 'application/octet-stream' },
  });

const seqOf = async (id: string) =>
  ((await app.inject({ method: 'GET', url: `/v1/streams/${id}` })).json() as { seq: number }).seq;

const pieces = [
  text.subarray(0, 150_000),
  text.subarray(150_000, 160_000),
  text.subarray(160_000, 420_000),
  text.subarray(420_000),
];
const flushes = ['sync', 'none', 'full', 'finish'];

describe('numbered writes', () => {
  test.each([
    ['zlib', 6],
    ['dfltcc', 1],
  ] as const)(
    '%s level %d: every retry answers the same bytes; the stream equals one without retries',
    async (engine, level) => {
      const numbered = await open({ mode: 'deflate', engine, level, format: 'gzip' });
      const plain = await open({ mode: 'deflate', engine, level, format: 'gzip' });
      const answers: Buffer[] = [];
      const plainAnswers: Buffer[] = [];
      for (const [index, piece] of pieces.entries()) {
        const first = await write(numbered, piece, flushes[index], index + 1);
        expect(first.statusCode, first.body).toBe(200);
        expect(first.headers['x-zaccel-seq']).toBe(String(index + 1));
        // The client "lost" the answer: the same write again, twice.
        for (let retry = 0; retry < 2; retry++) {
          const again = await write(numbered, piece, flushes[index], index + 1);
          expect(again.statusCode, again.body).toBe(200);
          expect(again.rawPayload.equals(first.rawPayload)).toBe(true);
          expect(again.headers['x-zaccel-bytes-in']).toBe(first.headers['x-zaccel-bytes-in']);
          expect(again.headers['x-zaccel-ended']).toBe(first.headers['x-zaccel-ended']);
        }
        expect(await seqOf(numbered)).toBe(index + 1);
        answers.push(first.rawPayload);
        plainAnswers.push((await write(plain, piece, flushes[index])).rawPayload);
      }
      const whole = Buffer.concat(answers);
      expect(whole.equals(Buffer.concat(plainAnswers))).toBe(true);
      expect(zlib.gunzipSync(whole).equals(text)).toBe(true);
      // Finished: the next number is refused as for any write after the end; the last is still answered.
      expect(errorOf(await write(numbered, Buffer.from('more'), 'none', 5)).code).toBe('ZACCEL_STREAM_CLOSED');
      expect((await write(numbered, pieces[3], 'finish', 4)).rawPayload.equals(answers[3])).toBe(true);
    },
  );

  test('a retry that does not repeat its write (other bytes, or another flush) is 409 ZACCEL_SEQUENCE; the stream goes on', async () => {
    for (const engine of ['zlib', 'dfltcc'] as const) {
      const id = await open({ mode: 'deflate', engine, level: 1, format: 'zlib' });
      const first = await write(id, pieces[0], 'sync', 1);
      expect(first.statusCode).toBe(200);
      const changed = Buffer.from(pieces[0]);
      changed[changed.length >> 1] ^= 1;
      for (const [body, flush] of [
        [changed, 'sync'],
        [pieces[0], 'full'],
        [pieces[0].subarray(1), 'sync'],
      ] as const) {
        const refused = await write(id, body, flush, 1);
        expect(refused.statusCode, refused.body).toBe(409);
        expect(errorOf(refused).code).toBe('ZACCEL_SEQUENCE');
        expect(errorOf(refused).message).toMatch(/body or flush differs/);
      }
      expect((await write(id, pieces[0], 'sync', 1)).rawPayload.equals(first.rawPayload)).toBe(true);
      const second = await write(id, pieces[1], 'finish', 2);
      expect(second.statusCode).toBe(200);
      expect(
        zlib
          .inflateSync(Buffer.concat([first.rawPayload, second.rawPayload]))
          .equals(Buffer.concat([pieces[0], pieces[1]])),
      ).toBe(true);
    }
  });

  test('inflate streams: a retry answers the same decompressed bytes', async () => {
    const compressed = zlib.deflateSync(text, { level: 9 });
    const id = await open({ mode: 'inflate', engine: 'dfltcc', format: 'zlib' });
    const parts = [compressed.subarray(0, 1000), compressed.subarray(1000, 30_000), compressed.subarray(30_000)];
    const output: Buffer[] = [];
    for (const [index, part] of parts.entries()) {
      const flush = index === parts.length - 1 ? 'finish' : 'none';
      const first = await write(id, part, flush, index + 1);
      expect(first.statusCode, first.body).toBe(200);
      const again = await write(id, part, flush, index + 1);
      expect(again.rawPayload.equals(first.rawPayload)).toBe(true);
      output.push(first.rawPayload);
    }
    expect(Buffer.concat(output).equals(text)).toBe(true);
  });

  test('out of sequence: 409 ZACCEL_SEQUENCE with the expected number; the stream is untouched', async () => {
    const id = await open({ mode: 'deflate', format: 'zlib' });
    for (const seq of [2, 7]) {
      const response = await write(id, pieces[0], 'sync', seq);
      expect(response.statusCode).toBe(409);
      expect(errorOf(response).code).toBe('ZACCEL_SEQUENCE');
      expect(errorOf(response).message).toMatch(/expected seq 1/);
      expect(response.headers['x-zaccel-expected-seq']).toBe('1');
    }
    expect((await write(id, pieces[0], 'sync', 1)).statusCode).toBe(200);
    const skipped = await write(id, pieces[1], 'sync', 3);
    expect(skipped.statusCode).toBe(409);
    expect(errorOf(skipped).message).toMatch(
      /expected seq 2 \(or 1 to have the last acknowledged write answered again\)/,
    );
    // Once numbered, always numbered: an unnumbered write would move the stream past what a retry restores.
    const unnumbered = await write(id, pieces[1], 'sync');
    expect(unnumbered.statusCode).toBe(409);
    expect(errorOf(unnumbered).code).toBe('ZACCEL_SEQUENCE');
    expect(unnumbered.headers['x-zaccel-expected-seq']).toBe('2');
    expect(
      (await app.inject({ method: 'POST', url: `/v1/streams/${id}/write?seq=0`, payload: Buffer.from('x') }))
        .statusCode,
    ).toBe(400);
    const second = await write(id, pieces[1], 'finish', 2);
    expect(second.statusCode).toBe(200);
    const first = await write(id, pieces[0], 'sync', 1);
    expect(first.statusCode).toBe(409); // 1 is no longer the last acknowledged write
    expect(await seqOf(id)).toBe(2);
  });
});

describe('numbered writes whose client goes away', () => {
  let port: number;
  beforeAll(async () => {
    port = await listen(app);
  });

  /** Send `body` to a numbered write and go away after `sentBytes` of it, or after `readBytes` of the answer. */
  function abandon(
    id: string,
    seq: number,
    body: Buffer,
    flush: string,
    cut: { sentBytes?: number; readBytes?: number },
  ): Promise<void> {
    return new Promise((resolve) => {
      const req = http.request(
        {
          host: '127.0.0.1',
          port,
          method: 'POST',
          path: `/v1/streams/${id}/write?flush=${flush}&seq=${seq}`,
          agent: false,
          headers: { 'content-length': body.length },
        },
        (res) => {
          let read = 0;
          res.on('data', (chunk: Buffer) => {
            read += chunk.length;
            if (read >= (cut.readBytes ?? 0)) req.destroy();
          });
          res.on('close', () => resolve());
        },
      );
      req.on('error', () => resolve());
      req.on('close', () => resolve());
      if (cut.sentBytes !== undefined) {
        req.write(body.subarray(0, cut.sentBytes), () => setTimeout(() => req.destroy(), 50));
      } else {
        req.end(body);
      }
    });
  }

  const post = (id: string, seq: number, body: Buffer, flush: string) =>
    request({
      port,
      path: `/v1/streams/${id}/write?flush=${flush}&seq=${seq}`,
      body,
      headers: { 'content-type': 'application/octet-stream' },
    });

  test('gone in the middle of the body: the write is undone, and the same number runs it', async () => {
    const id = await open({ mode: 'deflate', engine: 'dfltcc', level: 1, format: 'zlib' });
    const first = await post(id, 1, pieces[0], 'sync');
    expect(first.status).toBe(200);
    await abandon(id, 2, pieces[2], 'full', { sentBytes: 100_000 });
    await eventually(
      async () =>
        ((await app.inject({ method: 'GET', url: `/v1/streams/${id}` })).json() as { state: string }).state === 'open',
      10_000,
      'the stream to be idle',
    );
    expect(await seqOf(id)).toBe(1);
    const second = await post(id, 2, pieces[2], 'full');
    expect(second.status, second.body.toString()).toBe(200);
    const third = await post(id, 3, text.subarray(420_000), 'finish');
    expect(third.status).toBe(200);
    expect(
      zlib
        .inflateSync(Buffer.concat([first.body, second.body, third.body]))
        .equals(Buffer.concat([pieces[0], pieces[2], text.subarray(420_000)])),
    ).toBe(true);
  });

  test('gone while the answer streams: the write is acknowledged or undone, and resending it gives the right bytes', async () => {
    for (const engine of ['zlib', 'dfltcc'] as const) {
      const id = await open({ mode: 'deflate', engine, level: 1, format: 'raw' });
      const reference = await open({ mode: 'deflate', engine, level: 1, format: 'raw' });
      const big = textBytes(3 << 20, 5);
      // Its output is far over commitBytes (64 KiB): the answer streams, and the client leaves after 16 KiB of it.
      await abandon(id, 1, big, 'sync', { readBytes: 16 * 1024 });
      await eventually(
        async () =>
          ((await app.inject({ method: 'GET', url: `/v1/streams/${id}` })).json() as { state: string }).state ===
          'open',
        10_000,
        'the stream to be idle',
      );
      const acknowledged = await seqOf(id);
      expect([0, 1]).toContain(acknowledged);
      // Whether it was acknowledged (then this is a retry) or undone (then this runs it), seq 1 answers it.
      const resent = await post(id, 1, big, 'sync');
      expect(resent.status).toBe(200);
      expect(resent.aborted).toBe(false);
      const expected = await post(reference, 1, big, 'sync');
      expect(resent.body.equals(expected.body)).toBe(true);
      const end = await post(id, 2, Buffer.alloc(0), 'finish');
      expect(zlib.inflateRawSync(Buffer.concat([resent.body, end.body])).equals(big)).toBe(true);
    }
  });
});

test('after retries and undone writes, deleting the streams returns the Machine to its baseline', async () => {
  for (const id of opened)
    expect((await app.inject({ method: 'DELETE', url: `/v1/streams/${id}` })).statusCode).toBe(200);
  await eventually(
    async () => {
      const now = await app.zaccel.pool.memoryStats();
      return now.sessions === 0 && now.bytesInUse === baseline.bytesInUse && now.liveRegions === baseline.liveRegions;
    },
    10_000,
    'the Machine back at its baseline',
  );
});
