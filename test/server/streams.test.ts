/**
 * Stateful streams through fastify.inject: open, write with every flush,
 * totals and state, delete, reaping, limits and every error a stream can
 * meet.
 */
import zlib from 'node:zlib';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { eventually, testServer, textBytes } from './helpers.js';

let app: FastifyInstance;
const text = textBytes(300_000, 7);

beforeAll(async () => {
  app = await testServer({ maxWriteBytes: 1 << 20, maxStreams: 100, maxOutputBytes: 4 << 20 });
});
afterAll(async () => {
  await app.close();
});

const errorOf = (response: { json: () => unknown }) =>
  (response.json() as { error: { code: string; message: string } }).error;

async function open(body: Record<string, unknown>, server = app): Promise<string> {
  const response = await server.inject({ method: 'POST', url: '/v1/streams', payload: body });
  expect(response.statusCode, response.body).toBe(201);
  const { id } = response.json() as { id: string };
  expect(response.headers.location).toBe(`/v1/streams/${id}`);
  return id;
}

const write = (id: string, payload: Buffer, flush = 'none', server = app) =>
  server.inject({
    method: 'POST',
    url: `/v1/streams/${id}/write?flush=${flush}`,
    payload,
    headers: { 'content-type': 'application/octet-stream' },
  });

const info = async (id: string) => {
  const response = await app.inject({ method: 'GET', url: `/v1/streams/${id}` });
  expect(response.statusCode).toBe(200);
  return response.json() as Record<string, unknown>;
};

describe('deflate streams', () => {
  test('writes with sync and full flushes: everything so far decodes with node:zlib after each flush', async () => {
    const id = await open({ mode: 'deflate', format: 'zlib', level: 6 });
    const outputs: Buffer[] = [];
    const pieces = [
      text.subarray(0, 100_000),
      text.subarray(100_000, 150_000),
      text.subarray(150_000, 250_000),
      text.subarray(250_000),
    ];
    let written = 0;
    for (const [index, flush] of (['sync', 'none', 'full', 'finish'] as const).entries()) {
      const response = await write(id, pieces[index], flush);
      expect(response.statusCode, response.body).toBe(200);
      expect(response.headers['x-zaccel-stream']).toBe(id);
      outputs.push(response.rawPayload);
      written += pieces[index].length;
      expect(response.headers['x-zaccel-bytes-in']).toBe(String(written));
      if (flush === 'sync' || flush === 'full') {
        const soFar = zlib.inflateSync(Buffer.concat(outputs), { finishFlush: zlib.constants.Z_SYNC_FLUSH });
        expect(soFar.equals(text.subarray(0, written))).toBe(true);
        // A sync or full flush ends on the empty stored block's 00 00 ff ff.
        expect(response.rawPayload.subarray(-4).equals(Buffer.from([0, 0, 0xff, 0xff]))).toBe(true);
      }
      expect(response.headers['x-zaccel-ended']).toBe(String(flush === 'finish'));
    }
    // Each answer held exactly that write's output: together they are the whole stream.
    expect(zlib.inflateSync(Buffer.concat(outputs)).equals(text)).toBe(true);
    const state = await info(id);
    expect(state).toMatchObject({
      id,
      mode: 'deflate',
      engine: 'zlib',
      format: 'zlib',
      state: 'ended',
      bytesIn: text.length,
      writes: 4,
    });
    expect(state.bytesOut).toBe(Buffer.concat(outputs).length);
  });

  test('a write without a flush may answer nothing; the output arrives with a later write', async () => {
    const id = await open({ mode: 'deflate', format: 'gzip' });
    const first = await write(id, Buffer.from('tiny'));
    expect(first.statusCode).toBe(200);
    const second = await write(id, Buffer.alloc(0), 'finish');
    expect(zlib.gunzipSync(Buffer.concat([first.rawPayload, second.rawPayload])).toString()).toBe('tiny');
  });

  test('a preset dictionary, base64 in the options', async () => {
    const dictionary = text.subarray(0, 4096);
    const id = await open({ mode: 'deflate', format: 'zlib', dictionary: dictionary.toString('base64') });
    const response = await write(id, text.subarray(4096, 20_000), 'finish');
    expect(zlib.inflateSync(response.rawPayload, { dictionary }).equals(text.subarray(4096, 20_000))).toBe(true);
    const back = await open({ mode: 'inflate', format: 'zlib', dictionary: dictionary.toString('base64') });
    const inflated = await write(back, response.rawPayload, 'finish');
    expect(inflated.rawPayload.equals(text.subarray(4096, 20_000))).toBe(true);
  });

  test('a write after finish is refused with 409 ZACCEL_STREAM_CLOSED, and the stream stays finished', async () => {
    const id = await open({ mode: 'deflate' });
    await write(id, Buffer.from('abc'), 'finish');
    const before = await info(id);
    expect(before).toMatchObject({ state: 'ended', writes: 1 });
    for (const flush of ['sync', 'none', 'finish'] as const) {
      const after = await write(id, Buffer.from('more'), flush);
      expect(after.statusCode).toBe(409);
      expect(errorOf(after)).toMatchObject({
        code: 'ZACCEL_STREAM_CLOSED',
        message: expect.stringMatching(/has finished/),
      });
    }
    expect(await info(id)).toMatchObject({
      state: 'ended',
      writes: 1,
      bytesIn: before.bytesIn,
      bytesOut: before.bytesOut,
    });
  });
});

describe('inflate streams', () => {
  test('compressed input in pieces; each answer is that piece’s output; finish checks the end', async () => {
    const compressed = zlib.gzipSync(text);
    const id = await open({ mode: 'inflate', format: 'gzip' });
    const outputs: Buffer[] = [];
    const cuts = [0, 7, 5000, 40_000, compressed.length];
    for (let index = 0; index + 1 < cuts.length; index++) {
      const last = index + 2 === cuts.length;
      const response = await write(id, compressed.subarray(cuts[index], cuts[index + 1]), last ? 'finish' : 'none');
      expect(response.statusCode, response.body).toBe(200);
      outputs.push(response.rawPayload);
    }
    expect(Buffer.concat(outputs).equals(text)).toBe(true);
    expect(await info(id)).toMatchObject({ state: 'ended', bytesIn: compressed.length, bytesOut: text.length });
  });

  test('malformed data: 400 ZACCEL_DATA_ERROR, then the stream is failed (409) until deleted', async () => {
    const id = await open({ mode: 'inflate', format: 'zlib' });
    const bad = await write(id, Buffer.from('definitely not zlib'));
    expect(bad.statusCode).toBe(400);
    expect(errorOf(bad).code).toBe('ZACCEL_DATA_ERROR');
    const next = await write(id, zlib.deflateSync(text));
    expect(next.statusCode).toBe(409);
    expect(errorOf(next).code).toBe('ZACCEL_STREAM_CLOSED');
    expect(await info(id)).toMatchObject({ state: 'failed', error: { code: 'ZACCEL_DATA_ERROR' } });
    const deleted = await app.inject({ method: 'DELETE', url: `/v1/streams/${id}` });
    expect(deleted.statusCode).toBe(200);
  });

  test('finish before the end: 400 ZACCEL_TRUNCATED', async () => {
    const id = await open({ mode: 'inflate' });
    const response = await write(id, zlib.deflateSync(text).subarray(0, 100), 'finish');
    expect(response.statusCode).toBe(400);
    expect(errorOf(response).code).toBe('ZACCEL_TRUNCATED');
  });

  test("the stream's output cap counts across writes: 413 ZACCEL_OUTPUT_LIMIT", async () => {
    const id = await open({ mode: 'inflate', maxOutput: 250_000 });
    const compressed = zlib.deflateSync(text);
    const first = await write(id, compressed.subarray(0, 20_000));
    expect(first.statusCode).toBe(200);
    const second = await write(id, compressed.subarray(20_000), 'finish');
    expect(second.statusCode).toBe(413);
    expect(errorOf(second).code).toBe('ZACCEL_OUTPUT_LIMIT');
  });
});

describe('lifecycle and limits', () => {
  test('DELETE answers the final totals; the stream is then unknown (404)', async () => {
    const id = await open({ mode: 'deflate' });
    await write(id, text.subarray(0, 1000), 'sync');
    const deleted = await app.inject({ method: 'DELETE', url: `/v1/streams/${id}` });
    expect(deleted.statusCode).toBe(200);
    expect(deleted.json()).toMatchObject({ id, state: 'closed', bytesIn: 1000 });
    for (const response of [
      await app.inject({ method: 'GET', url: `/v1/streams/${id}` }),
      await app.inject({ method: 'DELETE', url: `/v1/streams/${id}` }),
      await write(id, Buffer.from('x')),
    ]) {
      expect(response.statusCode).toBe(404);
      expect(errorOf(response).code).toBe('ZACCEL_NOT_FOUND');
    }
  });

  test('a write whose declared length is over the limit is refused (413) and the stream goes on', async () => {
    const id = await open({ mode: 'deflate' });
    const big = await write(id, Buffer.alloc((1 << 20) + 1));
    expect(big.statusCode).toBe(413);
    expect(errorOf(big).code).toBe('ZACCEL_BODY_TOO_LARGE');
    const fine = await write(id, Buffer.from('still fine'), 'finish');
    expect(fine.statusCode).toBe(200);
    expect(zlib.inflateSync(fine.rawPayload).toString()).toBe('still fine');
  });

  test.each([
    [{ mode: 'compress' }, 'ZACCEL_BAD_OPTION'],
    [{}, 'ZACCEL_BAD_OPTION'],
    [{ mode: 'deflate', level: 11 }, 'ZACCEL_BAD_OPTION'],
    [{ mode: 'deflate', format: 'auto' }, 'ZACCEL_BAD_OPTION'],
    [{ mode: 'deflate', format: 'gzip', dictionary: 'AAAA' }, 'ZACCEL_BAD_OPTION'],
    [{ mode: 'deflate', dictionary: 'not base64!' }, 'ZACCEL_BAD_OPTION'],
    [{ mode: 'deflate', windowBits: 0 }, 'ZACCEL_BAD_OPTION'],
    [{ mode: 'inflate', level: 6 }, 'ZACCEL_BAD_OPTION'],
    [{ mode: 'inflate', format: 'raw', windowBits: 0 }, 'ZACCEL_BAD_OPTION'],
    [{ mode: 'deflate', extra: true }, 'ZACCEL_BAD_OPTION'],
  ])('POST /v1/streams %j: 400 %s', async (body, code) => {
    const response = await app.inject({ method: 'POST', url: '/v1/streams', payload: body });
    expect(response.statusCode, response.body).toBe(400);
    expect(errorOf(response).code).toBe(code);
  });

  test('malformed JSON is 400 ZACCEL_BAD_REQUEST; another media type is 415; a JSON body over 1 MiB is 413', async () => {
    const bad = await app.inject({
      method: 'POST',
      url: '/v1/streams',
      payload: '{"mode":',
      headers: { 'content-type': 'application/json' },
    });
    expect(bad.statusCode).toBe(400);
    expect(errorOf(bad).code).toBe('ZACCEL_BAD_REQUEST');
    const notJson = await app.inject({
      method: 'POST',
      url: '/v1/streams',
      payload: 'mode=deflate',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(notJson.statusCode).toBe(415);
    expect(errorOf(notJson).code).toBe('ZACCEL_UNSUPPORTED_MEDIA_TYPE');
    const huge = await app.inject({
      method: 'POST',
      url: '/v1/streams',
      payload: JSON.stringify({ mode: 'deflate', dictionary: 'A'.repeat(2 << 20) }),
      headers: { 'content-type': 'application/json' },
    });
    expect(huge.statusCode).toBe(413);
    expect(errorOf(huge).code).toBe('ZACCEL_BODY_TOO_LARGE');
  });

  test('bad flush: 400 ZACCEL_BAD_OPTION', async () => {
    const id = await open({ mode: 'deflate' });
    const response = await write(id, Buffer.from('x'), 'partial');
    expect(response.statusCode).toBe(400);
    expect(errorOf(response).code).toBe('ZACCEL_BAD_OPTION');
  });

  test('the open-stream limit: 503 ZACCEL_AT_CAPACITY with Retry-After', async () => {
    const server = await testServer({ maxStreams: 3 });
    try {
      for (let index = 0; index < 3; index++) await open({ mode: 'deflate' }, server);
      const refused = await server.inject({ method: 'POST', url: '/v1/streams', payload: { mode: 'deflate' } });
      expect(refused.statusCode).toBe(503);
      expect(errorOf(refused).code).toBe('ZACCEL_AT_CAPACITY');
      expect(refused.headers['retry-after']).toBe('1');
    } finally {
      await server.close();
    }
  });

  test('idle streams are reaped: closed, their memory returned, then 404', async () => {
    // The reaper's own timer, with an idle period long enough that the stream is still there to be measured
    // right after it opens, even on a busy machine.
    const server = await testServer({ streamIdleMs: 2_000 });
    try {
      const before = await server.zaccel.pool.memoryStats();
      const id = await open({ mode: 'deflate', level: 9 }, server);
      const busy = await server.zaccel.pool.memoryStats();
      expect(busy.bytesInUse).toBeGreaterThan(before.bytesInUse);
      await eventually(
        async () => (await server.inject({ method: 'GET', url: `/v1/streams/${id}` })).statusCode === 404,
        60_000,
        'the reaper',
      );
      await eventually(
        async () => (await server.zaccel.pool.memoryStats()).bytesInUse === before.bytesInUse,
        60_000,
        'memory back',
      );
      const metrics = await server.inject({ method: 'GET', url: '/metrics' });
      expect(metrics.body).toMatch(/^zaccel_streams_reaped_total 1$/m);
    } finally {
      await server.close();
    }
  });

  test('when the Machine is full: 503 ZACCEL_MEMORY_EXHAUSTED, and closing streams makes room again', async () => {
    const server = await testServer({ machineBytes: 16 << 20, maxStreams: 200 });
    try {
      const ids: string[] = [];
      let refused: { statusCode: number; json: () => unknown; headers: Record<string, unknown> } | undefined;
      for (let attempt = 0; attempt < 200 && refused === undefined; attempt++) {
        const response = await server.inject({
          method: 'POST',
          url: '/v1/streams',
          payload: { mode: 'deflate', level: 9, memLevel: 9 },
        });
        if (response.statusCode === 201) ids.push((response.json() as { id: string }).id);
        else refused = response;
      }
      expect(refused?.statusCode).toBe(503);
      expect(errorOf(refused!).code).toBe('ZACCEL_MEMORY_EXHAUSTED');
      expect(refused!.headers['retry-after']).toBe('1');
      for (const id of ids.splice(0, 4)) await server.inject({ method: 'DELETE', url: `/v1/streams/${id}` });
      await open({ mode: 'deflate', level: 9, memLevel: 9 }, server);
    } finally {
      await server.close();
    }
  });

  test('the engine list decides: an engine that is not available is 501 at open', async () => {
    const dfltcc = app.zaccel.pool.engines().find((engine) => engine.name === 'dfltcc');
    const response = await app.inject({
      method: 'POST',
      url: '/v1/streams',
      payload: { mode: 'deflate', engine: 'dfltcc' },
    });
    if (dfltcc?.available) {
      expect(response.statusCode).toBe(201);
      const { id } = response.json() as { id: string };
      const written = await write(id, text, 'finish');
      expect(written.headers['x-zaccel-engine']).toBe('dfltcc');
      expect(zlib.inflateSync(written.rawPayload).equals(text)).toBe(true);
    } else {
      expect(response.statusCode).toBe(501);
      expect(errorOf(response).code).toBe('ZACCEL_ENGINE_UNAVAILABLE');
    }
  });
});
