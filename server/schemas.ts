/**
 * The routes' JSON schemas: they validate requests and generate
 * /openapi.json and /docs.
 */
import { engineNames, type CopyPolicy, type Strategy } from '../src/index.js';
import type { ServerConfig } from './config.js';
import { deflateFormats, inflateFormats } from './protocol.js';

export const strategies = { default: 0, filtered: 1, huffman: 2, rle: 3, fixed: 4 } as const satisfies Record<
  string,
  Strategy
>;
const copyPolicies = ['auto', 'always', 'never'] as const satisfies readonly CopyPolicy[];
export type StrategyName = keyof typeof strategies;

export const errorSchema = {
  $id: 'zaccelError',
  type: 'object',
  description: 'every error answer',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message'],
      properties: {
        code: { type: 'string', description: 'a stable ZACCEL_* code; see the status table in the README' },
        message: { type: 'string' },
      },
    },
  },
} as const;

const errorRef = { $ref: 'zaccelError#' };

/** Error answers a route may give, with what each means there. */
export function errors(statuses: Record<number, string>): Record<number, unknown> {
  return Object.fromEntries(
    Object.entries(statuses).map(([status, description]) => [status, { ...errorRef, description }]),
  );
}

// Every engine the library registers; one that is not built here is refused with 501 when a session opens.
const engine = {
  type: 'string',
  enum: engineNames(),
  default: 'zlib',
  description: 'zlib 1.3.1, or the emulated IBM Z DFLTCC accelerator',
};
const level = {
  type: 'integer',
  minimum: -1,
  maximum: 9,
  description: '-1 (default, = 6) to 9; 0 stores, 1 is fastest',
};
const strategy = { type: 'string', enum: Object.keys(strategies), description: 'deflate strategy (zlib Z_*_STRATEGY)' };
const memLevel = { type: 'integer', minimum: 1, maximum: 9, description: 'memory for the hash table (default 8)' };
const copy = { type: 'string', enum: copyPolicies, description: 'the copy decision (default auto)' };

function maxOutput(config: ServerConfig) {
  return {
    type: 'integer',
    minimum: 1,
    maximum: config.maxOutputLimitBytes,
    description: `output cap in bytes; inflate default ${config.maxOutputBytes}, past it the answer is 413 (ZACCEL_OUTPUT_LIMIT)`,
  };
}

export function deflateQuery(config: ServerConfig) {
  return {
    type: 'object',
    additionalProperties: false,
    properties: {
      engine,
      format: { type: 'string', enum: deflateFormats, default: 'zlib' },
      level,
      strategy,
      windowBits: { type: 'integer', minimum: 8, maximum: 15, description: 'log2 of the window (default 15)' },
      memLevel,
      copy,
      maxOutput: { ...maxOutput(config), description: 'cap on the compressed output in bytes (none by default)' },
    },
  };
}

export function inflateQuery(config: ServerConfig) {
  return {
    type: 'object',
    additionalProperties: false,
    properties: {
      engine,
      format: {
        type: 'string',
        enum: inflateFormats,
        default: 'auto',
        description: 'auto: zlib or gzip, from the header',
      },
      windowBits: { type: 'integer', minimum: 0, maximum: 15, description: '0 (from the header) or 8..15' },
      maxOutput: maxOutput(config),
    },
  };
}

export function streamCreateBody(config: ServerConfig) {
  return {
    type: 'object',
    additionalProperties: false,
    required: ['mode'],
    properties: {
      mode: { type: 'string', enum: ['deflate', 'inflate'] },
      engine,
      format: {
        type: 'string',
        enum: inflateFormats,
        description: 'default zlib to deflate, auto to inflate (auto is inflate only)',
      },
      level,
      strategy,
      windowBits: { type: 'integer', minimum: 0, maximum: 15 },
      memLevel,
      copy,
      maxOutput: {
        ...maxOutput(config),
        description: `inflate: cap on the stream's total output (default ${config.maxOutputBytes})`,
      },
      dictionary: {
        type: 'string',
        maxLength: 65536,
        pattern: '^[A-Za-z0-9+/]*={0,2}$',
        description: 'preset dictionary, base64 (zlib and raw formats)',
      },
    },
  };
}

export const streamIdParams = {
  type: 'object',
  required: ['id'],
  properties: { id: { type: 'string', maxLength: 64 } },
} as const;

export const writeQuery = {
  type: 'object',
  additionalProperties: false,
  properties: {
    flush: {
      type: 'string',
      enum: ['none', 'sync', 'full', 'finish'],
      default: 'none',
      description:
        'after this write: none, sync or full flush (deflate), or finish the stream (inflate: the stream must be complete)',
    },
    seq: {
      type: 'integer',
      minimum: 1,
      description:
        "the write's number, 1, 2, ...: the next number runs; the last acknowledged number again answers that write's bytes again without advancing the stream; any other is 409 ZACCEL_SEQUENCE",
    },
  },
} as const;

const copyCounters = {
  type: 'object',
  properties: {
    decisions: { type: 'integer' },
    copies: { type: 'integer' },
    copyBytes: { type: 'integer' },
    copyNanoseconds: { type: 'integer' },
  },
} as const;

export const streamInfo = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    mode: { type: 'string' },
    engine: { type: 'string' },
    format: { type: 'string' },
    state: { type: 'string', enum: ['open', 'busy', 'ended', 'failed', 'closed'] },
    bytesIn: { type: 'integer' },
    bytesOut: { type: 'integer' },
    writes: { type: 'integer' },
    seq: { type: 'integer', description: 'the last acknowledged numbered write (0: none)' },
    pendingWrites: { type: 'integer' },
    fallbacks: { type: 'integer' },
    copies: copyCounters,
    createdAt: { type: 'string' },
    idleMs: { type: 'integer' },
    expiresInMs: { type: 'integer' },
    error: { type: 'object', properties: { code: { type: 'string' }, message: { type: 'string' } } },
  },
} as const;

export const engineList = {
  type: 'object',
  properties: {
    engines: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          name: { type: 'string' },
          available: { type: 'boolean' },
          version: { type: ['string', 'null'] },
          access: {
            type: ['string', 'null'],
            description: "deflate's access model at the default level: single, or multiple (may read input twice)",
          },
          accessByLevel: { type: ['object', 'null'], additionalProperties: { type: 'string' } },
          levels: { type: 'array', items: { type: 'integer' } },
          defaultLevel: { type: 'integer' },
          formats: {
            type: 'object',
            properties: {
              deflate: { type: 'array', items: { type: 'string' } },
              inflate: { type: 'array', items: { type: 'string' } },
            },
          },
        },
      },
    },
  },
} as const;

/** Binary bodies, for the documentation (the routes read them as streams, unvalidated). */
export const binary = { type: 'string', format: 'binary' } as const;
