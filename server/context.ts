/**
 * What every route shares: configuration, the worker pool, the stream
 * registry, metrics and the service's state.
 */
import type { Cluster } from './cluster/cluster.js';
import type { ServerConfig } from './config.js';
import type { ServiceMetrics } from './metrics.js';
import type { WorkerPool } from './pool.js';
import type { StreamRegistry } from './streams.js';

export interface ServiceContext {
  config: ServerConfig;
  pool: WorkerPool;
  streams: StreamRegistry;
  metrics: ServiceMetrics;
  state: { shuttingDown: boolean; inflight: number };
  /** Cluster mode (--redis) only. */
  cluster: Cluster | undefined;
}

declare module 'fastify' {
  interface FastifyInstance {
    zaccel: ServiceContext;
  }
}
