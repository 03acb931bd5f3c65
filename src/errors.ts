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

/**
 * What node:zlib calls each condition: the `code` (and `errno`, and the class) a
 * program written for node:zlib checks. zaccel's own code stays beside it as
 * `zaccelCode`, which is what the service and the CLI map from.
 */
const nodeShapes: Record<ErrorCode, { code: string; errno?: number }> = {
  ZACCEL_BAD_OPTION: { code: 'ERR_INVALID_ARG_VALUE' },
  ZACCEL_DATA_ERROR: { code: 'Z_DATA_ERROR', errno: -3 },
  // zlib's own answer to input that stops early under Z_FINISH.
  ZACCEL_TRUNCATED: { code: 'Z_BUF_ERROR', errno: -5 },
  // node:zlib ignores these bytes; zaccel refuses them, as malformed data.
  ZACCEL_TRAILING_DATA: { code: 'Z_DATA_ERROR', errno: -3 },
  ZACCEL_NEED_DICTIONARY: { code: 'Z_NEED_DICT', errno: 2 },
  ZACCEL_OUTPUT_LIMIT: { code: 'ERR_BUFFER_TOO_LARGE' },
  ZACCEL_MEMORY_EXHAUSTED: { code: 'Z_MEM_ERROR', errno: -4 },
  ZACCEL_STREAM_CLOSED: { code: 'ERR_STREAM_DESTROYED' },
  ZACCEL_STREAM_STATE: { code: 'Z_STREAM_ERROR', errno: -2 },
  ZACCEL_ENGINE_UNAVAILABLE: { code: 'ZACCEL_ENGINE_UNAVAILABLE' },
  ZACCEL_NOT_BUILT: { code: 'ZACCEL_NOT_BUILT' },
  ZACCEL_BAD_SNAPSHOT: { code: 'ZACCEL_BAD_SNAPSHOT' },
  ZACCEL_INTERNAL: { code: 'ZACCEL_INTERNAL' },
};

export interface ZaccelErrorDetails {
  /** zlib's own status (Z_DATA_ERROR, ...) when the error came from zlib. */
  zlibStatus?: number;
  /** zlib's or the emulator's message, kept verbatim. */
  zlibMessage?: string;
  cause?: unknown;
  /** node's code for this case when it is not the usual one for the zaccel code (ERR_OUT_OF_RANGE, ...). */
  nodeCode?: string;
}

/** Marks every zaccel error, whichever of Error, RangeError or TypeError it extends. */
const zaccelBrand = Symbol.for('zaccel.error');

/** The fields every zaccel error carries, whatever its class. */
export interface ZaccelErrorFields {
  /** node:zlib's code: 'Z_DATA_ERROR', 'ERR_OUT_OF_RANGE', ... (zaccel's own code where node has none). */
  readonly code: string;
  /** zaccel's stable code, from {@link ErrorCodes}: what the service and the CLI report. */
  readonly zaccelCode: ErrorCode;
  /** node:zlib compatibility: the zlib status number, when there is one. */
  readonly errno: number | undefined;
  readonly zlibMessage: string | undefined;
}

function brand(error: Error, code: ErrorCode, details: ZaccelErrorDetails): void {
  const shape = nodeShapes[code];
  Object.defineProperty(error, zaccelBrand, { value: true });
  Object.assign(error, {
    code: details.nodeCode ?? shape.code,
    zaccelCode: code,
    errno: details.zlibStatus ?? shape.errno,
    zlibMessage: details.zlibMessage,
  });
}

const optionsOf = (details: ZaccelErrorDetails) => (details.cause === undefined ? undefined : { cause: details.cause });

/**
 * A zaccel error shaped as node:zlib's: an Error whose `code` is node's.
 * `instanceof ZaccelError` is true for every zaccel error, including the
 * RangeError and TypeError kinds that argument checks throw.
 */
export class ZaccelError extends Error implements ZaccelErrorFields {
  declare readonly code: string;
  declare readonly zaccelCode: ErrorCode;
  declare readonly errno: number | undefined;
  declare readonly zlibMessage: string | undefined;

  constructor(code: ErrorCode, message?: string, details: ZaccelErrorDetails = {}) {
    super(message ?? ErrorCodes[code], optionsOf(details));
    brand(this, code, details);
  }

  static override [Symbol.hasInstance](value: unknown): boolean {
    return typeof value === 'object' && value !== null && zaccelBrand in value;
  }
}

/** A zaccel error that node:zlib throws as a RangeError (ERR_OUT_OF_RANGE, ERR_BUFFER_TOO_LARGE). */
export class ZaccelRangeError extends RangeError implements ZaccelErrorFields {
  declare readonly code: string;
  declare readonly zaccelCode: ErrorCode;
  declare readonly errno: number | undefined;
  declare readonly zlibMessage: string | undefined;

  constructor(code: ErrorCode, message: string, details: ZaccelErrorDetails = {}) {
    super(message, optionsOf(details));
    brand(this, code, details);
  }
}

/** A zaccel error that node:zlib throws as a TypeError (ERR_INVALID_ARG_TYPE, ERR_INVALID_ARG_VALUE). */
export class ZaccelTypeError extends TypeError implements ZaccelErrorFields {
  declare readonly code: string;
  declare readonly zaccelCode: ErrorCode;
  declare readonly errno: number | undefined;
  declare readonly zlibMessage: string | undefined;

  constructor(code: ErrorCode, message: string, details: ZaccelErrorDetails = {}) {
    super(message, optionsOf(details));
    brand(this, code, details);
  }
}

export type AnyZaccelError = ZaccelError | ZaccelRangeError | ZaccelTypeError;

export function isZaccelError(value: unknown): value is AnyZaccelError {
  return value instanceof ZaccelError;
}

/** node's ERR_OUT_OF_RANGE: `The value of "options.level" is out of range. It must be >= -1 and <= 9. Received 10`. */
export function outOfRange(name: string, range: string, value: unknown): ZaccelRangeError {
  return new ZaccelRangeError(
    'ZACCEL_BAD_OPTION',
    `The value of "${name}" is out of range. It must be ${range}. Received ${describeNumber(value)}`,
    { nodeCode: 'ERR_OUT_OF_RANGE' },
  );
}

/** node's ERR_INVALID_ARG_TYPE: `The "options.level" property must be of type number. Received type string ('x')`. */
export function invalidArgType(name: string, expected: string, value: unknown): ZaccelTypeError {
  const kind = name.includes('.') ? 'property' : 'argument';
  return new ZaccelTypeError(
    'ZACCEL_BAD_OPTION',
    `The "${name}" ${kind} must be ${expected}. Received ${describeReceived(value)}`,
    {
      nodeCode: 'ERR_INVALID_ARG_TYPE',
    },
  );
}

/** node's ERR_INVALID_ARG_VALUE, for zaccel's own options: `The property 'options.engine' must be ... Received 'x'`. */
export function badOption(name: string, value: unknown, expected: string): ZaccelTypeError {
  const kind = name.includes('.') ? 'property' : 'argument';
  return new ZaccelTypeError(
    'ZACCEL_BAD_OPTION',
    `The ${kind} '${name}' must be ${expected}. Received ${describeValue(value)}`,
  );
}

/** node's RangeError for output past maxOutputLength. */
export function outputTooLarge(limit: number): ZaccelRangeError {
  return new ZaccelRangeError('ZACCEL_OUTPUT_LIMIT', `Cannot create a Buffer larger than ${limit} bytes`);
}

/** Numbers as node's ERR_OUT_OF_RANGE shows them: integers past 2^32 with digit groups. */
function describeNumber(value: unknown): string {
  if (typeof value === 'number' && Number.isInteger(value) && Math.abs(value) > 2 ** 32) {
    return String(value).replace(/(\d)(?=(\d{3})+$)/g, '$1_');
  }
  return typeof value === 'string' ? `'${value}'` : String(value);
}

function describeValue(value: unknown): string {
  if (typeof value === 'string') return `'${value.length > 28 ? `${value.slice(0, 25)}...` : value}'`;
  if (typeof value === 'function') return `[Function${value.name ? `: ${value.name}` : ' (anonymous)'}]`;
  if (typeof value === 'object' && value !== null)
    return Array.isArray(value) ? '[Array]' : `[${value.constructor?.name ?? 'Object'}]`;
  return typeof value === 'bigint' ? `${value}n` : String(value);
}

/** The "Received ..." tail of node's ERR_INVALID_ARG_TYPE. */
function describeReceived(value: unknown): string {
  if (value == null) return String(value);
  if (typeof value === 'function') return `function ${value.name}`;
  if (typeof value === 'object') {
    const name = value.constructor?.name;
    return name ? `an instance of ${name}` : describeValue(value);
  }
  return `type ${typeof value} (${describeValue(value)})`;
}
