/**
 * Answering one write: feed the request body to the worker, hold the first
 * `commitBytes` of output back, then either answer with all of it (and
 * exact counts in headers), or commit to 200 and stream the rest (final
 * counts in HTTP trailers). An error before the commit point is a JSON
 * error answer; after it, the response is destroyed.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { discardRest, pumpBody } from './body.js';
import { declaredLength, type ServiceContext } from './context.js';
import type { Session, WriteCall } from './pool.js';
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
  let bodyDone = false;
  let committed = false;
  let serverFailed = false;
  let finished = false;
  reply.raw.once('finish', () => (finished = true));
  reply.raw.once('close', () => {
    // Closed before the whole answer was written, and not by us: the client went away.
    if (finished || serverFailed) return;
    context.metrics.aborted.inc({ route, phase: committed ? 'response' : 'body' });
    request.log.info({ phase: committed ? 'response' : 'body', bytesSent: write.bytesSent }, 'client went away');
  });
  const pumping = pumpBody(request.raw, write, options.limit).then(() => {
    bodyDone = true;
    return write.end(options.flush);
  });
  pumping.catch((error: Error) => {
    // Our side gave up (body too large, client gone): free the core now. A worker failure has closed it already.
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
      const body = write.output.takeAll();
      reply.headers(options.headers(report, session));
      reply.header('content-type', options.contentType);
      return reply.send(body);
    }
  } catch (error) {
    // Unread body left in the socket: once the pump has let go of it, read and drop the rest (within a
    // budget) first, so that the client gets this answer.
    if (!bodyDone) {
      await pumping.catch(() => {});
      if (!bodyDone && !(await discardRest(request.raw, declaredLength(request.headers)))) reply.header('connection', 'close');
    }
    throw error;
  }
  // Streaming: the status is committed with the first bytes; trailers carry the final counts.
  committed = true;
  reply.headers(options.headers(undefined, session));
  reply.header('content-type', options.contentType);
  const trailerValues = write.completed.then((report) => options.trailers(report, session));
  trailerValues.catch(() => {});
  const names = Object.keys(options.trailers(session.report ?? emptyReport(session), session));
  for (const name of names) {
    reply.trailer(name, async () => (await trailerValues)[name]);
  }
  write.output.once('error', (error: Error) => {
    // Our failure after the answer started (bad data, an output cap): the connection is destroyed.
    serverFailed = true;
    context.metrics.aborted.inc({ route, phase: 'failed' });
    context.metrics.errors.inc({ code: (error as { code?: string }).code ?? 'ZACCEL_INTERNAL' });
    request.log.warn({ err: error }, 'response aborted after it started');
  });
  return reply.send(write.output);
}

function emptyReport(session: Session): SessionReport {
  return { engine: session.engine, bytesIn: 0, bytesOut: 0, ended: false, fallbacks: 0, copies: { decisions: 0, copies: 0, copyBytes: 0, copyNanoseconds: 0 } };
}
