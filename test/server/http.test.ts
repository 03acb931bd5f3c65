/**
 * Correct HTTP for every client: early errors read and drop the body first, HTTP/1.0 never gets chunked
 * encoding, framing errors come in zaccel's error shape, and numbers in the query are strict decimals.
 */
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { listen, testServer, textBytes } from './helpers.js';

const KiB = 1024;
const MiB = 1024 * KiB;

let app: FastifyInstance;
let port: number;

beforeAll(async () => {
  app = await testServer({ commitBytes: 64 * KiB });
  port = await listen(app);
});

afterAll(async () => {
  await app.close();
});

interface RawExchange {
  /** Everything the server sent, as latin1 text. */
  text: string;
  /** The error the client's socket got while it sent, if any (EPIPE, ECONNRESET). */
  sendError: Error | undefined;
}

/**
 * Send a whole request before reading anything, as Python's urllib does (with `connection: close`), then read
 * the answer until the server closes the connection.
 */
function sendThenRead(head: string, body: Buffer = Buffer.alloc(0)): Promise<RawExchange> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    let sendError: Error | undefined;
    socket.pause();
    socket.on('error', (error) => (sendError ??= error));
    socket.on('close', () => resolve({ text: Buffer.concat(chunks).toString('latin1'), sendError }));
    socket.write(head);
    socket.write(body, () => {
      // All sent: now read.
      socket.on('data', (chunk: Buffer) => chunks.push(chunk));
      socket.resume();
    });
  });
}

const bodyOf = (text: string) => text.slice(text.indexOf('\r\n\r\n') + 4);
const statusOf = (text: string) => Number(/^HTTP\/1\.[01] (\d{3})/.exec(text)?.[1]);

describe('early errors read and drop the body', () => {
  const big = textBytes(5 * MiB, 21);
  test.each([
    ['a schema 400', '/v1/deflate?level=42', 400, 'ZACCEL_BAD_OPTION'],
    ['an unknown stream 404', '/v1/streams/no-such-stream/write', 404, 'ZACCEL_NOT_FOUND'],
    ['a strict-decimal 400', '/v1/inflate?maxOutput=1e6', 400, 'ZACCEL_BAD_OPTION'],
    ['an unknown route 404', '/v1/nothing-here', 404, 'ZACCEL_NOT_FOUND'],
  ])(
    '%s: a client that sends 5 MiB before it reads gets the JSON error, not a broken pipe',
    async (_name, path, status, code) => {
      const exchange = await sendThenRead(
        `POST ${path} HTTP/1.1\r\nhost: 127.0.0.1\r\nconnection: close\r\ncontent-type: application/octet-stream\r\ncontent-length: ${big.length}\r\n\r\n`,
        big,
      );
      expect(exchange.sendError).toBeUndefined();
      expect(statusOf(exchange.text)).toBe(status);
      expect(JSON.parse(bodyOf(exchange.text)).error.code).toBe(code);
    },
  );
});

describe('HTTP/1.0', () => {
  test('an answer within --commit-bytes has a Content-Length and no chunked encoding', async () => {
    const body = textBytes(200 * KiB, 22);
    const exchange = await sendThenRead(`POST /v1/deflate HTTP/1.0\r\ncontent-length: ${body.length}\r\n\r\n`, body);
    expect(statusOf(exchange.text)).toBe(200);
    const head = exchange.text.slice(0, exchange.text.indexOf('\r\n\r\n')).toLowerCase();
    expect(head).not.toContain('transfer-encoding');
    expect(head).toMatch(/content-length: \d+/);
  });

  test('a longer answer is refused with 505 ZACCEL_HTTP_VERSION, which says to use HTTP/1.1', async () => {
    const body = randomBytes(256 * KiB);
    const exchange = await sendThenRead(`POST /v1/deflate HTTP/1.0\r\ncontent-length: ${body.length}\r\n\r\n`, body);
    expect(exchange.sendError).toBeUndefined();
    expect(statusOf(exchange.text)).toBe(505);
    expect(exchange.text.toLowerCase()).not.toContain('transfer-encoding');
    const error = JSON.parse(bodyOf(exchange.text)).error;
    expect(error.code).toBe('ZACCEL_HTTP_VERSION');
    expect(error.message).toMatch(/HTTP\/1\.1/);
    // The same request over HTTP/1.1 streams.
    const streamed = await sendThenRead(
      `POST /v1/deflate HTTP/1.1\r\nhost: 127.0.0.1\r\nconnection: close\r\ncontent-length: ${body.length}\r\n\r\n`,
      body,
    );
    expect(statusOf(streamed.text)).toBe(200);
    expect(streamed.text.toLowerCase()).toContain('transfer-encoding: chunked');
  });
});

describe('framing errors', () => {
  test.each([
    [
      'a bad Content-Length',
      'POST /v1/deflate HTTP/1.1\r\nhost: x\r\ncontent-length: abc\r\n\r\n',
      400,
      'ZACCEL_BAD_REQUEST',
    ],
    ['a header without a colon', 'GET /healthz HTTP/1.1\r\nhost: x\r\nnot a header\r\n\r\n', 400, 'ZACCEL_BAD_REQUEST'],
    [
      'a bad chunk size',
      'POST /v1/deflate HTTP/1.1\r\nhost: x\r\ntransfer-encoding: chunked\r\n\r\nzz\r\n',
      400,
      'ZACCEL_BAD_REQUEST',
    ],
    [
      'headers over 16 KiB',
      `GET /healthz HTTP/1.1\r\nhost: x\r\nx-big: ${'a'.repeat(20 * KiB)}\r\n\r\n`,
      431,
      'ZACCEL_HEADERS_TOO_LARGE',
    ],
  ])('%s: answered in zaccel’s error shape, and the connection closed', async (_name, raw, status, code) => {
    const exchange = await sendThenRead(raw);
    expect(statusOf(exchange.text)).toBe(status);
    expect(JSON.parse(bodyOf(exchange.text))).toMatchObject({ error: { code } });
  });
});

describe('numbers in the query are strict decimals', () => {
  test.each(['+1', '0x1', '1e0', '%201', '1%20', '1.0', ''])('level=%s is 400 ZACCEL_BAD_OPTION', async (level) => {
    const response = await app.inject({ method: 'POST', url: `/v1/deflate?level=${level}`, payload: Buffer.from('x') });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({ error: { code: 'ZACCEL_BAD_OPTION' } });
  });

  test.each(['1', '-1', '9'])('level=%s is taken', async (level) => {
    const response = await app.inject({ method: 'POST', url: `/v1/deflate?level=${level}`, payload: Buffer.from('x') });
    expect(response.statusCode).toBe(200);
  });
});
