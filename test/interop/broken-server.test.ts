/**
 * The interop clients must fail when the service answers wrongly. A fake service on 127.0.0.1:0
 * answers /v1/deflate with real node:zlib output of the requested format, the right headers and
 * counts, and one byte flipped: only the bytes are wrong. Its deflate streams are node:zlib streams
 * flushed with Z_SYNC_FLUSH, honest except for one flipped byte in the answer to the third write:
 * the clients must say so at that write. /v1/inflate it answers honestly (node:zlib), so those
 * checks pass and show the failures come from the corruption, not from a server that answers
 * nothing. Everything else (inflate streams, GET/DELETE, the error cases) is a 500.
 *
 * Python always runs (it is the reference client); Java, Go and the shell run when their toolchain
 * is there, as it is in CI (.ci/run installs Go before the tests).
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import zlib from 'node:zlib';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { languages, runClient, tally } from './run.mjs';

interface ClientRun {
  code: number | null;
  signal: string | null;
  timedOut: boolean;
  stdout: string;
  stderr: string;
}

const KINDS = ['empty', 'zeros', 'text', 'random', 'binary', 'large'];
const DEFLATE_CHECKS = 2 * 3 * 3 * KINDS.length; // engines x formats x levels x kinds

function readBody(request: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks)));
    request.on('error', reject);
  });
}

function compress(body: Buffer, format: string, level: number): Buffer {
  if (format === 'raw') return zlib.deflateRawSync(body, { level });
  if (format === 'gzip') return zlib.gzipSync(body, { level });
  return zlib.deflateSync(body, { level });
}

function decompress(body: Buffer, format: string): Buffer {
  if (format === 'raw') return zlib.inflateRawSync(body);
  if (format === 'gzip') return zlib.gunzipSync(body);
  if (format === 'zlib') return zlib.inflateSync(body);
  return zlib.unzipSync(body);
}

/** One byte in the middle turned to its complement: never a valid stream of the same bytes. */
function corrupt(compressed: Buffer): Buffer {
  const copy = Buffer.from(compressed);
  const at = Math.floor(copy.length / 2);
  copy[at] = copy[at]! ^ 0xff;
  return copy;
}

interface FakeStream {
  codec: zlib.DeflateRaw | zlib.Deflate | zlib.Gzip;
  chunks: Buffer[];
  writes: number;
}

const streams = new Map<string, FakeStream>();
const CORRUPTED_WRITE = 3;

function openStream(options: { mode?: string; format?: string; level?: number }): string | undefined {
  if (options.mode !== 'deflate') return undefined;
  const level = options.level ?? 6;
  const format = options.format ?? 'zlib';
  const codec =
    format === 'raw'
      ? zlib.createDeflateRaw({ level })
      : format === 'gzip'
        ? zlib.createGzip({ level })
        : zlib.createDeflate({ level });
  const stream: FakeStream = { codec, chunks: [], writes: 0 };
  codec.on('data', (chunk: Buffer) => stream.chunks.push(chunk));
  const id = randomUUID();
  streams.set(id, stream);
  return id;
}

async function writeStream(stream: FakeStream, body: Buffer, flush: string): Promise<Buffer> {
  stream.writes++;
  stream.codec.write(body);
  if (flush === 'finish') {
    await new Promise<void>((resolve) => {
      stream.codec.once('end', resolve);
      stream.codec.end();
    });
  } else {
    await new Promise<void>((resolve) => stream.codec.flush(zlib.constants.Z_SYNC_FLUSH, () => resolve()));
  }
  const output = Buffer.concat(stream.chunks);
  stream.chunks = [];
  return stream.writes === CORRUPTED_WRITE ? corrupt(output) : output;
}

async function answer(request: IncomingMessage, response: ServerResponse): Promise<void> {
  const url = new URL(request.url ?? '/', 'http://fake');
  const body = await readBody(request);
  const engine = url.searchParams.get('engine') ?? 'zlib';
  const send = (status: number, payload: Buffer, headers: Record<string, string>) => {
    response.writeHead(status, { 'content-length': String(payload.length), ...headers });
    response.end(payload);
  };
  try {
    if (request.method === 'POST' && url.pathname === '/v1/deflate') {
      const format = url.searchParams.get('format') ?? 'zlib';
      const level = Number(url.searchParams.get('level') ?? 6);
      const output = corrupt(compress(body, format, 1)); // level 1 whatever was asked: quick, and as wrong
      send(200, output, {
        'content-type': 'application/octet-stream',
        'x-zaccel-engine': engine,
        'x-zaccel-format': format,
        'x-zaccel-bytes-in': String(body.length),
        'x-zaccel-bytes-out': String(output.length),
        'x-zaccel-fallback': String(engine === 'dfltcc' && level !== 1),
      });
      return;
    }
    if (request.method === 'POST' && url.pathname === '/v1/streams') {
      const id = openStream(JSON.parse(body.toString()) as { mode?: string; format?: string; level?: number });
      if (id !== undefined) {
        send(201, Buffer.from(JSON.stringify({ id })), { 'content-type': 'application/json' });
        return;
      }
    }
    const write = /^\/v1\/streams\/([^/]+)\/write$/.exec(url.pathname);
    const stream = write ? streams.get(write[1]!) : undefined;
    if (request.method === 'POST' && write && stream) {
      const flush = url.searchParams.get('flush') ?? 'none';
      const output = await writeStream(stream, body, flush);
      send(200, output, {
        'content-type': 'application/octet-stream',
        'x-zaccel-engine': engine,
        'x-zaccel-stream': write[1]!,
        'x-zaccel-ended': String(flush === 'finish'),
      });
      return;
    }
    if (request.method === 'POST' && url.pathname === '/v1/inflate') {
      const output = decompress(body, url.searchParams.get('format') ?? 'auto');
      send(200, output, {
        'content-type': 'application/octet-stream',
        'x-zaccel-engine': engine,
        'x-zaccel-bytes-in': String(body.length),
        'x-zaccel-bytes-out': String(output.length),
      });
      return;
    }
  } catch {
    // fall through to the 500
  }
  const error = Buffer.from(
    JSON.stringify({ error: { code: 'ZACCEL_INTERNAL', message: 'a fake service: this route is not faked' } }),
  );
  send(500, error, { 'content-type': 'application/json' });
}

let server: Server;
let url: string;

beforeAll(async () => {
  server = createServer((request, response) => {
    answer(request, response).catch(() => response.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

const available = (name: string) => languages[name].missing() === undefined;

// One client at a time: four at once would load a two-core CI machine under the rest of the suite.
describe('interop clients against a service that corrupts its deflate output', () => {
  for (const name of ['python', 'java', 'go', 'shell']) {
    // Python is required: without it this test fails rather than skips.
    test.skipIf(name !== 'python' && !available(name))(
      name,
      async () => {
        const run: ClientRun = await runClient(name, url, 240, false);
        const lines = run.stdout.split('\n');
        const counts = tally(lines);
        const context = `${name} exited ${run.code ?? run.signal}${run.timedOut ? ' (timed out)' : ''}\n${run.stdout.slice(-2000)}\n${run.stderr.slice(-2000)}`;

        expect(run.timedOut, context).toBe(false);
        expect(run.code, context).not.toBe(0);
        expect(lines.filter(Boolean).at(-1), context).toMatch(/^\d+ passed, [1-9]\d* failed$/);
        expect(counts.summary, context).toEqual({ passed: counts.passed, failed: counts.failed });

        // Every one-shot deflate check caught the flipped byte...
        const deflateLines = lines.filter((line) => /^(ok|FAIL)\s+deflate engine=/.test(line));
        expect(deflateLines, context).toHaveLength(DEFLATE_CHECKS);
        expect(
          deflateLines.filter((line) => line.startsWith('ok')),
          context,
        ).toEqual([]);
        // Every deflate stream check failed, at the write whose answer was corrupted.
        const streamLines = lines.filter((line) => /^(ok|FAIL)\s+stream deflate engine=/.test(line));
        expect(streamLines, context).toHaveLength(8);
        for (const line of streamLines)
          expect(line, context).toMatch(new RegExp(`^FAIL .*after write ${CORRUPTED_WRITE}\\b`));
        // ...while the honest inflate answers passed: the client tells right from wrong.
        expect(lines.filter((line) => /^ok\s+inflate engine=/.test(line)).length, context).toBeGreaterThan(0);
      },
      300_000,
    );
  }
});
