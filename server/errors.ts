/**
 * The service's errors and the ONE table that maps every `ZACCEL_*` code,
 * the library's and the service's own, to an HTTP status. Every error answer
 * is `{"error":{"code","message"}}`.
 */
import { type ErrorCode, ErrorCodes } from '../src/index.js';

/** Conditions of the service itself, each with its default message. Codes are stable. */
export const ServiceErrorCodes = {
  /** The request is malformed: bad JSON, or a JSON route without a JSON body. */
  ZACCEL_BAD_REQUEST: 'malformed request',
  /** No such stream (never opened, deleted, or reaped after idling), or no such route. */
  ZACCEL_NOT_FOUND: 'not found',
  /** The request body is larger than the limit for the route. */
  ZACCEL_BODY_TOO_LARGE: 'request body too large',
  /** Too many requests in flight, streams open, or writes queued on one stream: try again later. */
  ZACCEL_AT_CAPACITY: 'server at capacity',
  /** The server is shutting down and takes no new requests. */
  ZACCEL_SHUTTING_DOWN: 'server is shutting down',
  /** A stream write's `seq` is neither the next number nor a retry of the last acknowledged one, or a retry that does not repeat its write. */
  ZACCEL_SEQUENCE: 'write out of sequence',
  /** Tokens are configured and the request has no valid `Authorization: Bearer` token. */
  ZACCEL_UNAUTHORIZED: 'a valid bearer token is required',
  /** The request carries an Origin that is not allowed (--allow-origin): a browser page of another site. */
  ZACCEL_FORBIDDEN_ORIGIN: 'requests from this origin are not allowed',
  /** The Host header names a host this server does not answer for (--allowed-hosts): DNS rebinding, or a wrong name. */
  ZACCEL_HOST_NOT_ALLOWED: 'this server does not answer for that host',
  /** The client (token, or address without tokens) holds all the streams its quota allows. */
  ZACCEL_QUOTA: 'quota exceeded',
  /** The route exists, but not with this method; the answer's Allow header lists the methods it has. */
  ZACCEL_METHOD_NOT_ALLOWED: 'method not allowed',
  /** A JSON route was sent a body of another media type. */
  ZACCEL_UNSUPPORTED_MEDIA_TYPE: 'unsupported media type',
  /** The client was too slow: its headers, or its body, did not come within the timeout. */
  ZACCEL_TIMEOUT: 'request timeout',
  /** The request's header section is larger than the server accepts. */
  ZACCEL_HEADERS_TOO_LARGE: 'request header fields too large',
  /** An HTTP/1.0 request whose answer is longer than --commit-bytes: HTTP/1.0 has no chunked encoding, use HTTP/1.1. */
  ZACCEL_HTTP_VERSION: 'this answer needs HTTP/1.1',
} as const;

export type ServiceErrorCode = keyof typeof ServiceErrorCodes;
export type AnyErrorCode = ErrorCode | ServiceErrorCode;

/** The one status table. `satisfies` makes the compiler demand a row for every library code. */
export const statusByCode = {
  ZACCEL_BAD_OPTION: 400,
  ZACCEL_DATA_ERROR: 400,
  ZACCEL_TRUNCATED: 400,
  ZACCEL_TRAILING_DATA: 400,
  ZACCEL_NEED_DICTIONARY: 400,
  ZACCEL_OUTPUT_LIMIT: 413,
  ZACCEL_MEMORY_EXHAUSTED: 503,
  ZACCEL_STREAM_CLOSED: 409,
  ZACCEL_STREAM_STATE: 409,
  ZACCEL_ENGINE_UNAVAILABLE: 501,
  ZACCEL_NOT_BUILT: 500,
  ZACCEL_BAD_SNAPSHOT: 400,
  ZACCEL_INTERNAL: 500,
  ZACCEL_BAD_REQUEST: 400,
  ZACCEL_NOT_FOUND: 404,
  ZACCEL_BODY_TOO_LARGE: 413,
  ZACCEL_AT_CAPACITY: 503,
  ZACCEL_SHUTTING_DOWN: 503,
  ZACCEL_SEQUENCE: 409,
  ZACCEL_UNAUTHORIZED: 401,
  ZACCEL_FORBIDDEN_ORIGIN: 403,
  ZACCEL_HOST_NOT_ALLOWED: 421,
  ZACCEL_QUOTA: 429,
  ZACCEL_METHOD_NOT_ALLOWED: 405,
  ZACCEL_UNSUPPORTED_MEDIA_TYPE: 415,
  ZACCEL_TIMEOUT: 408,
  ZACCEL_HEADERS_TOO_LARGE: 431,
  ZACCEL_HTTP_VERSION: 505,
} as const satisfies Record<AnyErrorCode, number>;

/** Statuses that ask the client to come back: they carry Retry-After. */
const retryable = new Set<number>([429, 503]);

export class ServiceError extends Error {
  override readonly name = 'ServiceError';
  constructor(
    readonly code: AnyErrorCode,
    message?: string,
    /** Headers the answer needs (WWW-Authenticate, a computed Retry-After); they win over the defaults. */
    readonly headers: Record<string, string> = {},
  ) {
    super(
      message ?? (ServiceErrorCodes as Record<string, string>)[code] ?? (ErrorCodes as Record<string, string>)[code],
    );
  }
}

/** The client closed the connection: there is nobody to answer. */
export class ClientGoneError extends Error {
  override readonly name = 'ClientGoneError';
  readonly code = 'ECONNRESET';
}

export function isKnownCode(code: unknown): code is AnyErrorCode {
  return typeof code === 'string' && Object.hasOwn(statusByCode, code);
}

export interface HttpError {
  status: number;
  code: AnyErrorCode;
  message: string;
  headers: Record<string, string>;
}

/** Map anything thrown to its status and body: zaccel errors by code, Fastify's own by kind. */
export function toHttpError(error: unknown): HttpError {
  const value = error as {
    code?: unknown;
    zaccelCode?: unknown;
    message?: unknown;
    statusCode?: unknown;
    validation?: unknown;
  };
  let code: AnyErrorCode;
  let message = typeof value?.message === 'string' ? value.message : String(error);
  if (isKnownCode(value?.zaccelCode)) {
    // The library's errors carry node:zlib's code in `code` and zaccel's stable one in `zaccelCode`.
    code = value.zaccelCode;
  } else if (isKnownCode(value?.code)) {
    code = value.code;
  } else if (value?.validation !== undefined) {
    // Schema validation of the query, params or JSON body: a bad parameter.
    code = 'ZACCEL_BAD_OPTION';
  } else if (value?.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
    code = 'ZACCEL_BODY_TOO_LARGE';
  } else if (value?.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE' || value?.statusCode === 415) {
    code = 'ZACCEL_UNSUPPORTED_MEDIA_TYPE';
  } else if (typeof value?.statusCode === 'number' && value.statusCode >= 400 && value.statusCode < 500) {
    code = value.statusCode === 404 ? 'ZACCEL_NOT_FOUND' : 'ZACCEL_BAD_REQUEST';
  } else {
    code = 'ZACCEL_INTERNAL';
    message = `internal error: ${message}`;
  }
  const status = statusByCode[code];
  const headers: Record<string, string> = retryable.has(status) ? { 'retry-after': '1' } : {};
  if (value instanceof ServiceError) Object.assign(headers, value.headers);
  return { status, code, message, headers };
}

export const errorBody = (code: string, message: string) => ({ error: { code, message } });
