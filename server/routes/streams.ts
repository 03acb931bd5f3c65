/**
 * Stateful streams: POST /v1/streams, POST /v1/streams/:id/write,
 * GET /v1/streams/:id and DELETE /v1/streams/:id.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { answerWrite } from '../answer.js';
import { declaredLength, discardRest } from '../body.js';
import { ServiceError } from '../errors.js';
import type { CopyPolicy, EngineName, InflateFormat, Level } from '../../src/index.js';
import type { FlushName, Mode, SessionOptions, SessionReport } from '../protocol.js';
import {
  errors,
  streamCreateBody,
  streamIdParams,
  streamInfo,
  strategies,
  writeQuery,
  type StrategyName,
} from '../schemas.js';
import { binaryRoute, countHeaders } from './oneshot.js';

/** The body of POST /v1/streams, as its schema (streamCreateBody) guarantees it. */
interface CreateBody {
  mode: Mode;
  engine?: EngineName;
  format?: InflateFormat;
  level?: Level;
  strategy?: StrategyName;
  windowBits?: number;
  memLevel?: number;
  copy?: CopyPolicy;
  maxOutput?: number;
  dictionary?: string;
}

const deflateOnly = ['level', 'strategy', 'memLevel', 'copy'] as const;

function sessionOptions(body: CreateBody, defaultMaxOutput: number): SessionOptions {
  let dictionary: Uint8Array | undefined;
  if (body.dictionary !== undefined) {
    const bytes = Buffer.from(body.dictionary, 'base64');
    dictionary = new Uint8Array(bytes); // a copy with its own buffer, to transfer
  }
  const engine = body.engine ?? 'zlib';
  if (body.mode === 'inflate') {
    const misplaced = deflateOnly.filter((name) => body[name] !== undefined);
    if (misplaced.length > 0)
      throw new ServiceError('ZACCEL_BAD_OPTION', `invalid option for inflate: ${misplaced.join(', ')}`);
    return {
      mode: 'inflate',
      engine,
      format: body.format ?? 'auto',
      windowBits: body.windowBits,
      maxOutput: body.maxOutput ?? defaultMaxOutput,
      dictionary,
    };
  }
  const format = body.format ?? 'zlib';
  if (format === 'auto') {
    throw new ServiceError('ZACCEL_BAD_OPTION', "invalid format: 'auto' (expected raw, zlib or gzip to deflate)");
  }
  if (format === 'gzip' && dictionary !== undefined) {
    // The library ignores it, as node:zlib does; the service says so instead of dropping it silently.
    throw new ServiceError(
      'ZACCEL_BAD_OPTION',
      'invalid dictionary: a gzip stream cannot carry a preset dictionary (use zlib or raw)',
    );
  }
  return {
    mode: 'deflate',
    engine,
    format,
    level: body.level,
    strategy: body.strategy === undefined ? undefined : strategies[body.strategy],
    windowBits: body.windowBits,
    memLevel: body.memLevel,
    copy: body.copy,
    maxOutput: body.maxOutput,
    dictionary,
  };
}

export async function streamRoutes(app: FastifyInstance): Promise<void> {
  const context = app.zaccel;
  const { config, streams } = context;
  const tags = ['streams'];

  app.post(
    '/v1/streams',
    {
      schema: {
        tags,
        summary: 'open a stateful stream',
        body: streamCreateBody(config),
        response: {
          201: { type: 'object', properties: { id: { type: 'string' } } },
          ...errors({
            400: 'bad options',
            429: "the client's stream quota is used up",
            501: 'the engine is not available',
            503: 'too many streams open, or shutting down',
          }),
        },
      },
    },
    async (request: FastifyRequest<{ Body: CreateBody }>, reply: FastifyReply) => {
      await context.pool.whenReady();
      const options = sessionOptions(request.body, config.maxOutputBytes);
      const entry = await streams.create(options, request.principal);
      if (context.cluster !== undefined) {
        try {
          await context.cluster.register(entry, options, request.principal);
        } catch (error) {
          await streams.close(entry);
          throw error;
        }
      }
      request.log.info(
        { stream: entry.id, mode: entry.mode, engine: entry.session.engine, client: request.principal.name },
        'stream opened',
      );
      return reply.code(201).header('location', `/v1/streams/${entry.id}`).send({ id: entry.id });
    },
  );
}

/** The write route reads its body raw, so it lives with the one-shots in the raw-body context. */
export async function streamWriteRoute(app: FastifyInstance): Promise<void> {
  const context = app.zaccel;
  const { config, streams } = context;

  app.post(
    '/v1/streams/:id/write',
    {
      schema: {
        tags: ['streams'],
        summary: 'push bytes into a stream; the answer is exactly the output this write produced',
        params: streamIdParams,
        querystring: writeQuery,
        response: errors({
          400: 'bad flush, or malformed compressed data (the stream fails)',
          404: "no such stream (or not this token's)",
          409: 'the stream has failed or finished, or seq is out of sequence (ZACCEL_SEQUENCE)',
          413: 'the write body, or the stream output, is over its limit',
          503: 'too many writes queued on the stream, or at capacity',
        }),
      },
      config: { swaggerTransform: binaryRoute('the bytes to push') },
    },
    async (
      request: FastifyRequest<{ Params: { id: string }; Querystring: { flush: FlushName; seq?: number } }>,
      reply: FastifyReply,
    ) => {
      const entry = await streams.locate(request.params.id, request.principal);
      const length = declaredLength(request.headers);
      if (length !== undefined && length > config.maxWriteBytes) {
        // Refused before a byte is read: the stream is untouched.
        if (!(await discardRest(request.raw, length))) reply.header('connection', 'close');
        throw new ServiceError(
          'ZACCEL_BODY_TOO_LARGE',
          `the write of ${length} bytes is larger than the limit of ${config.maxWriteBytes}`,
        );
      }
      const seq = request.query.seq;
      // The turn lasts until the request ends (its answer delivered, or cut off): the lifecycle gives it back.
      const lifecycle = request.lifecycle;
      await lifecycle.waitTurn(streams.turn(entry));
      if (entry.closed) throw new ServiceError('ZACCEL_NOT_FOUND', `stream ${entry.id} was deleted`);
      if (entry.movedAway) throw movedAway(entry.id);
      const session = entry.session;
      if (session.state !== 'open') {
        const cause = session.error as { code?: string; message?: string } | undefined;
        throw new ServiceError(
          'ZACCEL_STREAM_CLOSED',
          `stream ${entry.id} is ${session.state === 'failed' ? 'failed' : 'closed'}${cause?.code ? ` (${cause.code}: ${cause.message})` : ''}`,
        );
      }
      if (seq === undefined && entry.seq > 0) {
        // After a numbered write, an unnumbered one would move the stream past the state a retry restores.
        reply.header('x-zaccel-expected-seq', String(entry.seq + 1));
        throw new ServiceError(
          'ZACCEL_SEQUENCE',
          `stream ${entry.id} has numbered writes: this write needs seq ${entry.seq + 1}`,
        );
      }
      const retry = seq !== undefined && checkSequence(entry.id, seq, entry.seq, reply);
      if (entry.mode === 'deflate' && session.report?.ended === true && !retry) {
        // A finished deflate stream takes no more input. The write is refused and the stream stays as it was.
        // (An inflate stream may go on: after a gzip member, another member may follow.)
        throw new ServiceError(
          'ZACCEL_STREAM_CLOSED',
          `stream ${entry.id} has finished: its compressed stream is complete`,
        );
      }
      lifecycle.admit();
      entry.writes++;
      const write = session.beginWrite(config.commitBytes, seq === undefined ? undefined : { retry });
      // A numbered write is undone if it does not complete; once complete it is acknowledged, even if its
      // answer never reached the client (a retry answers it again).
      let completed = false;
      if (seq !== undefined) {
        reply.header('x-zaccel-seq', String(seq));
        write.completed.then(
          () => {
            completed = true;
            entry.seq = seq;
          },
          () => {},
        );
      }
      lifecycle.onEnd(() => {
        if (!lifecycle.delivered && !completed && session.state === 'open') {
          // The client missed part of this write's output: the stream cannot go on correctly, unless the
          // write is numbered, which is then undone for the client to send again.
          const error = new ServiceError('ZACCEL_STREAM_CLOSED', `the client went away during write ${entry.writes}`);
          if (write.numbered) session.rollback(error, write);
          else session.abort(error);
        }
      });
      const headers = (report: SessionReport | undefined) => ({
        'x-zaccel-engine': session.engine,
        'x-zaccel-stream': entry.id,
        ...(report === undefined ? {} : streamHeaders(report)),
      });
      return answerWrite(context, request, reply, write, {
        limit: config.maxWriteBytes,
        flush: request.query.flush,
        contentType: 'application/octet-stream',
        headers,
        trailers: (report) => streamHeaders(report),
        // Cluster mode: the checkpoint is stored before the answer ends, so an answer the client has whole
        // is one the cluster remembers (a crash before that point leaves the client to retry the same seq).
        beforeEnd: context.cluster === undefined ? undefined : () => context.cluster!.commit(entry, seq ?? 0),
      });
    },
  );
}

/**
 * Exactly-once writes: `seq` must be the next number (last acknowledged + 1), or the last acknowledged
 * number again, a retry. Returns whether it is a retry; anything else is 409 ZACCEL_SEQUENCE, with the
 * expected number in the message and in x-zaccel-expected-seq.
 */
function checkSequence(id: string, seq: number, acknowledged: number, reply: FastifyReply): boolean {
  if (seq === acknowledged + 1) return false;
  if (seq === acknowledged && acknowledged > 0) return true;
  reply.header('x-zaccel-expected-seq', String(acknowledged + 1));
  throw new ServiceError(
    'ZACCEL_SEQUENCE',
    `write ${seq} is out of sequence on stream ${id}: expected seq ${acknowledged + 1}` +
      (acknowledged > 0 ? ` (or ${acknowledged} to have the last acknowledged write answered again)` : ''),
  );
}

/** A request that waited for a stream this instance let go meanwhile (cluster mode): the client sends it again. */
function movedAway(id: string): ServiceError {
  return new ServiceError('ZACCEL_AT_CAPACITY', `stream ${id} moved to another instance: send the request again`, {
    'retry-after': '1',
  });
}

/** After a write: the stream's totals so far. */
function streamHeaders(report: SessionReport): Record<string, string> {
  return { ...countHeaders(report), 'x-zaccel-ended': String(report.ended) };
}

export async function streamInfoRoutes(app: FastifyInstance): Promise<void> {
  const { streams } = app.zaccel;
  const tags = ['streams'];
  app.get(
    '/v1/streams/:id',
    {
      schema: {
        tags,
        summary: "a stream's totals and state",
        params: streamIdParams,
        response: { 200: streamInfo, ...errors({ 404: 'no such stream' }) },
      },
    },
    async (request: FastifyRequest<{ Params: { id: string } }>) =>
      streams.describe(await streams.locate(request.params.id, request.principal)),
  );
  app.delete(
    '/v1/streams/:id',
    {
      schema: {
        tags,
        summary: 'close a stream (after the writes queued before this request)',
        params: streamIdParams,
        response: {
          200: streamInfo,
          ...errors({ 404: 'no such stream', 503: 'too many requests queued on the stream' }),
        },
      },
    },
    async (request: FastifyRequest<{ Params: { id: string } }>) => {
      const entry = await streams.locate(request.params.id, request.principal);
      await request.lifecycle.waitTurn(streams.turn(entry));
      if (entry.closed) throw new ServiceError('ZACCEL_NOT_FOUND', `stream ${entry.id} was deleted`);
      if (entry.movedAway) throw movedAway(entry.id);
      const info = await streams.close(entry);
      request.log.info({ stream: entry.id, bytesIn: info.bytesIn, bytesOut: info.bytesOut }, 'stream closed');
      return info;
    },
  );
}
