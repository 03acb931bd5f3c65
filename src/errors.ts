/**
 * The one registry of zaccel's errors. Every error zaccel raises is a
 * {@link ZaccelError} whose `code` is one of {@link ErrorCodes}; the README's
 * error table and the service's status table are checked against this list
 * by the tests.
 */

/** Each code with its default message. Codes are stable: never rename one. */
export const ErrorCodes = {
  /** An option is out of range, of the wrong type, or not valid with the others. */
  ZACCEL_BAD_OPTION: 'invalid option',
  /** The compressed data is malformed: bad header, checksum, block, code or distance. */
  ZACCEL_DATA_ERROR: 'invalid compressed data',
  /** The compressed data ended before the end of the stream. */
  ZACCEL_TRUNCATED: 'unexpected end of file',
  /** Bytes follow the end of a zlib or raw stream (gzip members follow node:zlib's rules). */
  ZACCEL_TRAILING_DATA: 'trailing data after the end of the compressed stream',
  /** The stream was made with a preset dictionary and none (or the wrong one) was given. */
  ZACCEL_NEED_DICTIONARY: 'a preset dictionary is needed to inflate this stream',
  /** Inflating would produce more than maxOutputLength bytes. */
  ZACCEL_OUTPUT_LIMIT: 'output exceeds maxOutputLength',
  /** The Machine has no room left for the regions this stream needs. */
  ZACCEL_MEMORY_EXHAUSTED: 'machine memory exhausted',
  /** The stream was used after it ended, was closed, or failed. */
  ZACCEL_STREAM_CLOSED: 'stream is closed',
  /** zlib rejected a call as inconsistent with the stream's state (Z_STREAM_ERROR). */
  ZACCEL_STREAM_STATE: 'operation not valid in the stream state',
  /** The requested engine is not built or not usable here. */
  ZACCEL_ENGINE_UNAVAILABLE: 'engine is not available',
  /** A WebAssembly module is missing: run npm run build. */
  ZACCEL_NOT_BUILT: 'WebAssembly module not built',
  /** A stream snapshot is truncated, corrupted, of another format version, or made by different wasm modules. */
  ZACCEL_BAD_SNAPSHOT: 'invalid stream snapshot',
  /** An invariant of zaccel itself broke. This is a bug: please report it. */
  ZACCEL_INTERNAL: 'internal error',
} as const;

export type ErrorCode = keyof typeof ErrorCodes;

export interface ZaccelErrorDetails {
  /** zlib's own status (Z_DATA_ERROR, ...) when the error came from zlib. */
  zlibStatus?: number;
  /** zlib's or the emulator's message, kept verbatim. */
  zlibMessage?: string;
  cause?: unknown;
}

export class ZaccelError extends Error {
  override readonly name = 'ZaccelError';
  readonly code: ErrorCode;
  /** node:zlib compatibility: the zlib status number, when there is one. */
  readonly errno: number | undefined;
  readonly zlibMessage: string | undefined;

  constructor(code: ErrorCode, message?: string, details: ZaccelErrorDetails = {}) {
    super(message ?? ErrorCodes[code], details.cause === undefined ? undefined : { cause: details.cause });
    this.code = code;
    this.errno = details.zlibStatus;
    this.zlibMessage = details.zlibMessage;
  }
}

export function isZaccelError(value: unknown): value is ZaccelError {
  return value instanceof ZaccelError;
}

export function badOption(name: string, value: unknown, expected: string): ZaccelError {
  return new ZaccelError('ZACCEL_BAD_OPTION', `invalid ${name}: ${describe(value)} (expected ${expected})`);
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean' || value == null) return String(value);
  return typeof value;
}
