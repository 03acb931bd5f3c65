/**
 * Answering one write: feed the request body to the worker, hold the first
 * `commitBytes` of output back, then either answer with all of it (and
 * exact counts in headers), or commit to 200 and stream the rest (final
 * counts in HTTP trailers). An error before the commit point is a JSON
 * error answer; after it, the response is destroyed.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { declaredLength, discardRest, pumpBody } from './body.js';
import type { ServiceContext } from './context.js';
import { ServiceError } from './errors.js';
import { STREAMING_OUTPUT_WINDOW, type Session, type WriteCall } from './pool.js';
import type { FlushName, SessionReport } from './protocol.js';

export interface AnswerOptions {
  /** Body size limit for this write. */
  limit: number;
  flush: FlushName;
  contentType: string;
  /** Headers from a report: the exact totals, or what is known when streaming starts. */
  headers: (report: SessionReport | undefined, session: Session) => Record<string, string>;
  /** Trailer names and values, computed from the final report when a streamed answer ends. */
  trailers: (report: SessionReport, session: Session) => Record<string, string>;
  /** Run after the write completed and before its answer ends (cluster mode stores the checkpoint): a failure fails the answer. */
  beforeEnd?: (report: SessionReport) => Promise<void>;
}

/** Run one write of `session` for this request, and answer it. */
export async function answerWrite(
  context: ServiceContext,
  request: FastifyRequest,
  reply: FastifyReply,
  write: WriteCall,
  options: AnswerOptions,
): Promise<FastifyReply> {
  const session = write.session;
  const route = request.routeOptions.url ?? 'unknown';
  const lifecycle = request.lifecycle;
  let bodyDone = false;
  const pumping = pumpBody(request.raw, write, options.limit, context.config.bodyTimeoutMs).then(() => {
    bodyDone = true;
    return write.end(options.flush);
  });
  pumping.catch((error: Error) => {
    // Our side gave up (body too large, too slow, client gone): free the core now. A worker failure has closed it already.
    // A numbered write is undone instead: the stream goes on from before it.
    if (session.state === 'open') {
      if (write.numbered) session.rollback(error, write);
      else session.abort(error);
    }
  });
  try {
    const readiness = await write.output.ready();
    if (readiness === 'complete') {
      const report = await write.completed;
      await options.beforeEnd?.(report);
      const body = write.output.takeAll();
      lifecycle.answering();
      reply.headers(options.headers(report, session));
      reply.header('content-type', options.contentType);
      return reply.send(body);
    }
    if (request.raw.httpVersionMajor === 1 && request.raw.httpVersionMinor === 0) {
      const error = new ServiceError(
        'ZACCEL_HTTP_VERSION',
        `the answer is longer than the ${context.config.commitBytes} bytes an HTTP/1.0 answer can hold here ` +
          '(HTTP/1.0 has no chunked encoding): send the request with HTTP/1.1',
      );
      // Dropping the held output aborts the session, which stops the body pump; the catch below drains the body.
      write.output.destroy();
      throw error;
    }
  } catch (error) {
    // A stalled body is not waited for: the answer closes the connection.
    if ((error as { code?: unknown }).code === 'ZACCEL_TIMEOUT') {
      lifecycle.cutOff('timeout', 'body');
      reply.header('connection', 'close');
      throw error;
    }
    // Unread body left in the socket: once the pump has let go of it, read and drop the rest (within a
    // budget) first, so that the client gets this answer.
    if (!bodyDone) {
      await pumping.catch(() => {});
      if (!bodyDone && !(await discardRest(request.raw, declaredLength(request.headers))))
        reply.header('connection', 'close');
    }
    throw error;
  }
  // Streaming: the status is committed with the first bytes; trailers carry the final counts. Nothing is held
  // back from here on, so the worker may run only a little ahead of the socket.
  session.setOutputWindow(STREAMING_OUTPUT_WINDOW);
  lifecycle.answering();
  reply.headers(options.headers(undefined, session));
  reply.header('content-type', options.contentType);
  const trailerValues = write.completed.then(async (report) => {
    try {
      await options.beforeEnd?.(report);
    } catch (error) {
      // Fastify ends an answer whose trailer failed as if it were whole: cut it off instead, so the client
      // knows it has not got this write and sends it again.
      lifecycle.cutOff('server');
      reply.raw.destroy(error as Error);
      throw error;
    }
    return options.trailers(report, session);
  });
  trailerValues.catch(() => {});
  const names = Object.keys(options.trailers(session.report ?? emptyReport(session), session));
  for (const name of names) {
    reply.trailer(name, async () => (await trailerValues)[name]);
  }
  write.output.once('error', (error: Error) => {
    // Our failure after the answer started (bad data, an output cap): the connection is destroyed.
    if (lifecycle.ending !== undefined) return; // the client had gone already: its leaving destroyed the output
    lifecycle.cutOff('server');
    context.metrics.aborted.inc({ route, phase: 'failed' });
    context.metrics.errors.inc({
      code: (error as { zaccelCode?: string }).zaccelCode ?? (error as { code?: string }).code ?? 'ZACCEL_INTERNAL',
    });
    request.log.warn({ err: error }, 'response aborted after it started');
  });
  return reply.send(write.output);
}

function emptyReport(session: Session): SessionReport {
  return {
    engine: session.engine,
    bytesIn: 0,
    bytesOut: 0,
    ended: false,
    fallbacks: 0,
    copies: { decisions: 0, copies: 0, copyBytes: 0, copyNanoseconds: 0 },
  };
}
