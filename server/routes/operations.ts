/**
 * Operations: engines, health, readiness, metrics and the API description.
 */
import type { FastifyInstance } from 'fastify';
import { engineList } from '../schemas.js';

export async function operationRoutes(app: FastifyInstance): Promise<void> {
  const context = app.zaccel;
  const tags = ['operations'];

  app.get(
    '/v1/engines',
    {
      schema: {
        tags,
        summary: "each engine's name, version, access model, levels and formats",
        response: { 200: engineList },
      },
    },
    async () => {
      await context.pool.whenReady();
      return { engines: context.pool.engines() };
    },
  );

  app.get(
    '/healthz',
    {
      schema: {
        tags,
        summary: 'liveness: the process answers',
        // Answered without a token, also when --auth-tokens is set.
        security: [],
        response: { 200: { type: 'object', properties: { status: { type: 'string' } } } },
      },
    },
    async () => ({ status: 'ok' }),
  );

  app.get(
    '/readyz',
    {
      schema: {
        tags,
        summary: "readiness: every worker has instantiated its WebAssembly modules, and the server isn't shutting down",
        security: [],
        response: {
          200: { type: 'object', properties: { status: { type: 'string' }, workers: { type: 'integer' } } },
          503: { type: 'object', properties: { status: { type: 'string' }, workers: { type: 'integer' } } },
        },
      },
    },
    async (_request, reply) => {
      const workers = context.pool.handles.length;
      if (context.state.shuttingDown) return reply.code(503).send({ status: 'shutting down', workers });
      if (!context.pool.ready) return reply.code(503).send({ status: 'starting', workers });
      if (context.cluster !== undefined && !context.cluster.ready)
        return reply.code(503).send({ status: 'redis unavailable', workers });
      return { status: 'ready', workers };
    },
  );

  app.get('/metrics', { schema: { tags, summary: 'Prometheus metrics (text format)' } }, async (_request, reply) => {
    const text = await context.metrics.registry.metrics();
    return reply.header('content-type', context.metrics.registry.contentType).send(text);
  });

  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
}
