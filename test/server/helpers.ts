/**
 * Helpers for the service tests: servers with small limits, an HTTP client
 * that reports trailers and aborted responses, and data generators.
 */
import http from 'node:http';
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { buildServer } from '../../server/app.js';
import type { ServerConfig } from '../../server/config.js';

export async function testServer(overrides: Partial<ServerConfig> = {}): Promise<FastifyInstance> {
  const app = await buildServer({ workers: 1, logLevel: 'silent', ...overrides });
  await app.ready();
  await app.zaccel.pool.whenReady();
  return app;
}

/** Listen on 127.0.0.1, on a port the system picks. */
export async function listen(app: FastifyInstance): Promise<number> {
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

export interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  trailers: NodeJS.Dict<string>;
  body: Buffer;
  /** The response ended without its terminating chunk (the server aborted it). */
  aborted: boolean;
}

export interface RequestOptions {
  method?: string;
  path: string;
  port: number;
  body?: Buffer | Readable;
  headers?: http.OutgoingHttpHeaders;
  /** Consume the response with this instead of collecting it (returns an empty body). */
  sink?: (chunk: Buffer) => void;
  /** Time limit for the whole exchange. */
  timeoutMs?: number;
}

/** One HTTP request to 127.0.0.1 with a bounded time. */
export function request(options: RequestOptions): Promise<Answer> {
  return new Promise<Answer>((resolve, reject) => {
    let answered = false;
    const req = http.request(
      {
        host: '127.0.0.1',
        port: options.port,
        method: options.method ?? 'POST',
        path: options.path,
        headers: options.headers,
        agent: false,
      },
      (res) => {
        answered = true;
        const chunks: Buffer[] = [];
        let aborted = false;
        res.on('data', (chunk: Buffer) => (options.sink ? options.sink(chunk) : chunks.push(chunk)));
        res.on('aborted', () => (aborted = true));
        const finish = () => {
          clearTimeout(timer);
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            trailers: res.trailers,
            body: Buffer.concat(chunks),
            aborted: aborted || !res.complete,
          });
        };
        res.on('end', finish);
        res.on('error', () => {
          aborted = true;
        });
        res.on('close', finish);
      },
    );
    const timer = setTimeout(() => {
      req.destroy(new Error(`request ${options.path} timed out`));
    }, options.timeoutMs ?? 60_000);
    req.on('error', (error) => {
      // Once the answer has started, a reset (the server cutting a failed answer off while the body is still
      // going out) is the answer's end: the response's own 'close' reports it as aborted.
      if (answered) return;
      clearTimeout(timer);
      reject(error);
    });
    const body = options.body;
    if (body === undefined) req.end();
    else if (Buffer.isBuffer(body)) req.end(body);
    else {
      // Headers go out now, not with the first body chunk: the server sees the request as soon as it starts.
      req.flushHeaders();
      body.on('error', (error) => req.destroy(error));
      body.pipe(req);
    }
  });
}

/**
 * A request that declares a body of `declared` bytes and sends the first `sendBytes` of them (text, in writes of
 * 64 KiB), then leaves the rest to the test: to cut it, stall it or finish it. Its answer, if one comes, is read
 * and dropped, and its errors are expected (the tests cut these requests on purpose).
 */
export function partialUpload(port: number, path: string, declared: number, sendBytes: number): http.ClientRequest {
  const req = http.request({
    host: '127.0.0.1',
    port,
    method: 'POST',
    path,
    agent: false,
    headers: { 'content-length': declared },
  });
  req.on('error', () => {});
  req.on('response', (res) => res.resume());
  const data = textBytes(sendBytes, 3);
  for (let offset = 0; offset < data.length; offset += 64 * 1024) req.write(data.subarray(offset, offset + 64 * 1024));
  return req;
}

/** Deterministic, compressible bytes: text-like lines with counters. */
export function textBytes(length: number, seed = 1): Buffer {
  const words = [
    'zaccel',
    'deflate',
    'inflate',
    'window',
    'history',
    'page',
    'guest',
    'migration',
    'accelerator',
    'stream',
    'zlib',
  ];
  let state = seed >>> 0 || 1;
  const parts: string[] = [];
  let size = 0;
  while (size < length) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    const word = `${words[state % words.length]} ${state % 997} `;
    parts.push(word);
    size += word.length;
  }
  return Buffer.from(parts.join('')).subarray(0, length);
}

/** A Readable of `total` bytes made of `block` repeated with a changing counter, hashed as it goes. */
export function generated(total: number, block: Buffer, chunk = 64 * 1024): { stream: Readable; digest: () => string } {
  const hash = createHash('sha256');
  let produced = 0;
  let counter = 0;
  const stream = new Readable({
    highWaterMark: chunk,
    read() {
      if (produced >= total) {
        this.push(null);
        return;
      }
      const size = Math.min(chunk, total - produced);
      const piece = Buffer.allocUnsafe(size);
      for (let offset = 0; offset < size; offset += block.length)
        block.copy(piece, offset, 0, Math.min(block.length, size - offset));
      if (size >= 4) piece.writeUInt32LE(counter++ >>> 0, 0);
      produced += size;
      hash.update(piece);
      this.push(piece);
    },
  });
  return { stream, digest: () => hash.digest('hex') };
}

export const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

/**
 * Poll until `check` returns true, or fail after `timeoutMs`: a hang guard, not a speed expectation, so it is
 * generous (a loaded two-core CI machine can take many seconds to start a worker or free its memory).
 */
export async function eventually(
  check: () => Promise<boolean> | boolean,
  timeoutMs = 60_000,
  what = 'condition',
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
