/**
 * Answers to requests that never became requests: malformed framing (a bad
 * request line, header or chunk), headers over the size limit, and headers
 * that did not arrive within --header-timeout-ms. Node hands these to the
 * server's `clientError` handler with the raw socket, before any route or hook
 * runs, so they are written here by hand, in zaccel's error shape, and the
 * connection is closed: after a framing error nothing on it can be trusted.
 */
import { STATUS_CODES } from 'node:http';
import { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { FastifyBaseLogger } from 'fastify';
import { errorBody, statusByCode, type ServiceErrorCode } from './errors.js';
import type { ServiceMetrics } from './metrics.js';

const clientLeft = new Set(['ECONNRESET', 'EPIPE', 'HPE_INVALID_EOF_STATE']);

/** The code for Node's error: llhttp's HPE_* codes, or Node's own timeout. */
export function clientErrorCode(error: { code?: unknown }): ServiceErrorCode {
  if (error.code === 'ERR_HTTP_REQUEST_TIMEOUT') return 'ZACCEL_TIMEOUT';
  if (error.code === 'HPE_HEADER_OVERFLOW') return 'ZACCEL_HEADERS_TOO_LARGE';
  return 'ZACCEL_BAD_REQUEST';
}

function describe(code: ServiceErrorCode, error: Error & { code?: unknown }): string {
  switch (code) {
    case 'ZACCEL_TIMEOUT':
      return 'the request headers did not arrive within the header timeout';
    case 'ZACCEL_HEADERS_TOO_LARGE':
      return 'the request headers are larger than the server accepts';
    default:
      return `malformed HTTP request (${typeof error.code === 'string' ? error.code : 'parse error'}: ${error.message})`;
  }
}

export function answerClientError(
  error: Error & { code?: unknown },
  socket: Duplex,
  metrics: ServiceMetrics,
  log: FastifyBaseLogger,
): void {
  // A client that left (a reset, or the end of its connection in the middle of a request) has nobody to answer,
  // and it is not a framing error: the request's lifecycle, when it had one, counted the disconnect.
  if (clientLeft.has(String(error.code)) || socket.destroyed) {
    socket.destroy(); // ends the request in flight on it, if any: its lifecycle sees the close
    return;
  }
  const code = clientErrorCode(error);
  const status = statusByCode[code];
  if (code === 'ZACCEL_TIMEOUT') metrics.timeouts.inc({ kind: 'header' });
  else metrics.errors.inc({ code });
  const message = describe(code, error);
  log.info({ code, status, err: error }, message);
  if (socket.writable) {
    const body = JSON.stringify(errorBody(code, message));
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\ncontent-type: application/json; charset=utf-8\r\n` +
        `content-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
    );
  }
  // destroySoon: close once what was written has left, as Node's own handler does with its bare 400.
  if (socket instanceof Socket) socket.destroySoon();
  else socket.destroy();
}
