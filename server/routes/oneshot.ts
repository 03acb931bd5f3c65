/**
 * POST /v1/deflate and POST /v1/inflate: one request body in, its
 * (de)compression out, streamed both ways.
 */
import type { SwaggerTransform } from '@fastify/swagger';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { answerWrite } from '../answer.js';
import { declaredLength, discardRest } from '../body.js';
import { ServiceError } from '../errors.js';
import type { CopyPolicy, EngineName, Format, InflateFormat, Level } from '../../src/index.js';
import type { DeflateSessionOptions, InflateSessionOptions, SessionOptions, SessionReport } from '../protocol.js';
import { binary, deflateQuery, errors, inflateQuery, strategies, type StrategyName } from '../schemas.js';

/** The query of POST /v1/deflate, as its schema (deflateQuery) guarantees it. */
interface DeflateQuery {
  engine: EngineName;
  format: Format;
  level?: Level;
  strategy?: StrategyName;
  windowBits?: number;
  memLevel?: number;
  copy?: CopyPolicy;
  maxOutput?: number;
}

/** The query of POST /v1/inflate, as its schema (inflateQuery) guarantees it. */
interface InflateQuery {
  engine: EngineName;
  format: InflateFormat;
  windowBits?: number;
  maxOutput?: number;
}

const contentTypes: Partial<Record<Format, string>> = { gzip: 'application/gzip' };

/** Headers every answer of a write carries: what ran, and (when known) the counts. */
export function reportHeaders(
  report: SessionReport | undefined,
  engine: string,
  format: string,
): Record<string, string> {
  const headers: Record<string, string> = { 'x-zaccel-engine': report?.engine ?? engine, 'x-zaccel-format': format };
  if (report !== undefined) {
    Object.assign(headers, countHeaders(report));
  }
  return headers;
}

export function countHeaders(report: SessionReport): Record<string, string> {
  return {
    'x-zaccel-bytes-in': String(report.bytesIn),
    'x-zaccel-bytes-out': String(report.bytesOut),
    'x-zaccel-fallback': String(report.fallbacks > 0),
    'x-zaccel-fallbacks': String(report.fallbacks),
    'x-zaccel-copies': String(report.copies.copies),
    'x-zaccel-copy-bytes': String(report.copies.copyBytes),
  };
}

/** The documentation's view of a binary route: a binary body and a binary 200 answer. */
export function binaryRoute(summary: string): SwaggerTransform {
  return ({ schema, url }) => ({
    url,
    schema: {
      ...schema,
      consumes: ['application/octet-stream'],
      body: { ...binary, description: summary },
      response: {
        ...((schema as { response?: object }).response ?? {}),
        200: {
          description:
            'the output; when it is longer than the commit window it is streamed, and the counts come as trailers',
          content: { 'application/octet-stream': { schema: binary } },
        },
      },
    },
  });
}

export async function oneShotRoutes(app: FastifyInstance): Promise<void> {
  const context = app.zaccel;
  const { config } = context;

  const answer = async (request: FastifyRequest, reply: FastifyReply, options: SessionOptions) => {
    const length = declaredLength(request.headers);
    if (length !== undefined && length > config.maxBodyBytes) {
      if (!(await discardRest(request.raw, length))) reply.header('connection', 'close');
      throw new ServiceError(
        'ZACCEL_BODY_TOO_LARGE',
        `the request body of ${length} bytes is larger than the limit of ${config.maxBodyBytes}`,
      );
    }
    request.lifecycle.admit();
    await context.pool.whenReady();
    const session = context.pool.open(options);
    const write = session.beginWrite(config.commitBytes);
    write.completed.then(
      () => void session.close(),
      () => void session.close(),
    );
    const contentType =
      options.mode === 'deflate'
        ? (contentTypes[options.format] ?? 'application/octet-stream')
        : 'application/octet-stream';
    return answerWrite(context, request, reply, write, {
      limit: config.maxBodyBytes,
      flush: 'finish',
      contentType,
      headers: (report, current) => reportHeaders(report, current.engine, options.format),
      trailers: (report) => countHeaders(report),
    });
  };

  const deflate = async (request: FastifyRequest<{ Querystring: DeflateQuery }>, reply: FastifyReply) => {
    const query = request.query;
    const options: DeflateSessionOptions = {
      mode: 'deflate',
      engine: query.engine,
      format: query.format,
      level: query.level,
      strategy: query.strategy === undefined ? undefined : strategies[query.strategy],
      windowBits: query.windowBits,
      memLevel: query.memLevel,
      copy: query.copy,
      maxOutput: query.maxOutput,
    };
    return answer(request, reply, options);
  };

  const inflate = async (request: FastifyRequest<{ Querystring: InflateQuery }>, reply: FastifyReply) => {
    const query = request.query;
    const options: InflateSessionOptions = {
      mode: 'inflate',
      engine: query.engine,
      format: query.format,
      windowBits: query.windowBits,
      maxOutput: query.maxOutput ?? config.maxOutputBytes,
    };
    return answer(request, reply, options);
  };

  const common = {
    tags: ['one-shot'],
    response: errors({
      400: 'bad parameters or malformed compressed data',
      413: 'the body or the output is over its limit',
      501: 'the engine is not available on this server',
      503: 'at capacity, shutting down, or not ready',
    }),
  };

  app.post(
    '/v1/deflate',
    {
      schema: { ...common, summary: 'compress the request body', querystring: deflateQuery(config) },
      config: { swaggerTransform: binaryRoute('the bytes to compress') },
    },
    deflate,
  );
  app.post(
    '/v1/inflate',
    {
      schema: { ...common, summary: 'decompress the request body', querystring: inflateQuery(config) },
      config: { swaggerTransform: binaryRoute('the compressed bytes') },
    },
    inflate,
  );
}
