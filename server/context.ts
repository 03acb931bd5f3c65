/**
 * What every route shares: configuration, the worker pool, the stream
 * registry, metrics and the service's state.
 */
import type { FastifyReply } from 'fastify';
import type { ServerConfig } from './config.js';
import { ServiceError } from './errors.js';
import type { ServiceMetrics } from './metrics.js';
import type { WorkerPool } from './pool.js';
import type { StreamRegistry } from './streams.js';

export interface ServiceContext {
  config: ServerConfig;
  pool: WorkerPool;
  streams: StreamRegistry;
  metrics: ServiceMetrics;
  state: { shuttingDown: boolean; inflight: number };
}

declare module 'fastify' {
  interface FastifyInstance {
    zaccel: ServiceContext;
  }
}

/**
 * Count a one-shot or stream write as in progress until its response is
 * over (sent, failed or cut off); refuse it when too many are.
 */
export function admit(context: ServiceContext, reply: FastifyReply): void {
  if (context.state.inflight >= context.config.maxInflight) {
    throw new ServiceError('ZACCEL_AT_CAPACITY', `${context.state.inflight} requests are in progress, the server's limit`);
  }
  context.state.inflight++;
  context.metrics.inflight.set(context.state.inflight);
  let released = false;
  const release = () => {
    if (released) return;
    released = true;
    context.state.inflight--;
    context.metrics.inflight.set(context.state.inflight);
  };
  reply.raw.once('close', release);
  reply.raw.once('finish', release);
}

/** The Content-Length header as a number, when there is one. */
export function declaredLength(headers: Record<string, string | string[] | undefined>): number | undefined {
  const value = headers['content-length'];
  if (typeof value !== 'string' || !/^\d+$/.test(value)) return undefined;
  return Number(value);
}
