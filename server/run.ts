/**
 * Running the service as a process: listen, report readiness, and shut down
 * gracefully on SIGTERM or SIGINT.
 */
import type { FastifyInstance } from 'fastify';
import { buildServer } from './app.js';
import type { ServerConfig } from './config.js';

export async function runServer(config: ServerConfig): Promise<FastifyInstance> {
  const app = await buildServer(config);
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    app.log.info({ signal, inflight: app.zaccel.state.inflight }, 'signal received: finishing requests in flight');
    const deadline = setTimeout(() => {
      app.log.error(
        { timeoutMs: config.shutdownTimeoutMs, inflight: app.zaccel.state.inflight },
        'shutdown timed out: exiting',
      );
      process.exit(1);
    }, config.shutdownTimeoutMs);
    deadline.unref();
    app.close().then(
      () => {
        clearTimeout(deadline);
        process.exitCode = 0;
      },
      (error: unknown) => {
        app.log.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));

  await app.listen({ host: config.host, port: config.port });
  const address = app.server.address();
  const port = typeof address === 'object' && address !== null ? address.port : config.port;
  app.log.info({ host: config.host, port, workers: config.workers }, 'listening');
  try {
    await app.zaccel.pool.whenReady();
    app.log.info({ port }, 'ready');
  } catch (error) {
    app.log.fatal({ err: error }, 'the workers could not start');
    await app.close();
    process.exitCode = 1;
  }
  return app;
}
