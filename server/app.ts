/**
 * buildServer(config): the Fastify application with its worker pool, ready
 * for `listen` or, in tests, `inject`.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import { packageRoot } from '../src/machine/modules.js';
import { defaultConfig, validateConfig, type ServerConfig } from './config.js';
import type { ServiceContext } from './context.js';
import { ClientGoneError, errorBody, ServiceError, toHttpError } from './errors.js';
import { ServiceMetrics } from './metrics.js';
import { WorkerPool } from './pool.js';
import { oneShotRoutes } from './routes/oneshot.js';
import { operationRoutes } from './routes/operations.js';
import { streamInfoRoutes, streamRoutes, streamWriteRoute } from './routes/streams.js';
import { errorSchema } from './schemas.js';
import { accessControl, installAccessControl } from './security/access-control.js';
import { StreamRegistry } from './streams.js';

export interface BuildOptions {
  /** A pino logger configuration or instance for Fastify; default: JSON logs at config.logLevel. */
  logger?: FastifyServerOptions['logger'];
}

/** Routes that still answer while the server shuts down. */
const alwaysAnswered = new Set(['/healthz', '/readyz', '/metrics']);

function packageVersion(): string {
  try {
    return JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')).version as string;
  } catch {
    return '0.0.0';
  }
}

export async function buildServer(overrides: Partial<ServerConfig> = {}, options: BuildOptions = {}): Promise<FastifyInstance> {
  const config = validateConfig({ ...defaultConfig(), ...overrides });
  // Before anything starts: a bad tokens file, origin or host stops the server here, with ZACCEL_BAD_OPTION.
  const access = accessControl(config);
  const app = Fastify({
    logger: options.logger ?? { level: config.logLevel },
    // JSON bodies (stream options) are small; binary bodies are streamed and limited by the routes.
    bodyLimit: 1024 * 1024,
    // Our own 503 with a JSON body, from the onRequest hook below.
    return503OnClosing: false,
    // Uploads of a gigabyte may take long: no whole-request deadline.
    requestTimeout: 0,
    ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array', useDefaults: true, allErrors: false } },
  });

  let pool: WorkerPool | undefined;
  const metrics = new ServiceMetrics(() => pool);
  pool = new WorkerPool({
    workers: config.workers,
    machineBytes: config.machineBytes,
    commitBytes: config.commitBytes,
    logger: app.log,
    onReport: (mode, report, previous) => metrics.onReport(mode, report, previous),
  });
  const streams = new StreamRegistry(config, pool, metrics, app.log);
  const context: ServiceContext = { config, pool, streams, metrics, state: { shuttingDown: false, inflight: 0 } };
  app.decorate('zaccel', context);
  // First of all hooks, and before any route: every route, the documentation's included, is behind it.
  installAccessControl(app, access);

  // Set before any plugin is registered: an encapsulated plugin (the documentation's) inherits the handler it
  // finds at registration, and every answer, a refusal by access control included, must have zaccel's shape.
  app.setErrorHandler(async (error, request, reply) => {
    const http = toHttpError(error);
    metrics.errors.inc({ code: http.code });
    // A bug or a broken build is an error; a full or stopping server is a warning; a bad request is information.
    if (error instanceof ClientGoneError) request.log.info({ code: http.code }, http.message);
    else if (http.status === 503) request.log.warn({ code: http.code, status: http.status }, http.message);
    else if (http.status >= 500) request.log.error({ err: error, code: http.code }, http.message);
    else request.log.info({ code: http.code, status: http.status }, http.message);
    return reply.code(http.status).headers(http.headers).send(errorBody(http.code, http.message));
  });

  app.addSchema(errorSchema);
  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'zaccel',
        description: 'zlib 1.3.1 and an emulated IBM Z DFLTCC accelerator in WebAssembly, as an HTTP service',
        version: packageVersion(),
      },
      tags: [
        { name: 'one-shot', description: 'compress or decompress one body' },
        { name: 'streams', description: 'stateful streams with flushes' },
        { name: 'operations', description: 'engines, health, readiness, metrics' },
      ],
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      // With --auth-tokens every route needs the token; /healthz and /readyz answer without one too.
      security: access.tokens === undefined ? [] : [{ bearer: [] }],
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });

  app.addHook('onRequest', async (request, reply) => {
    if (context.state.shuttingDown && !alwaysAnswered.has(request.routeOptions.url ?? '')) {
      reply.header('connection', 'close');
      throw new ServiceError('ZACCEL_SHUTTING_DOWN');
    }
  });

  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    metrics.requests.inc({ method: request.method, route, status: String(reply.statusCode) });
    metrics.duration.observe({ method: request.method, route }, reply.elapsedTime / 1000);
  });

  app.setNotFoundHandler(async (request, reply) => {
    metrics.errors.inc({ code: 'ZACCEL_NOT_FOUND' });
    return reply.code(404).send(errorBody('ZACCEL_NOT_FOUND', `no route ${request.method} ${request.url.split('?')[0]}`));
  });

  await app.register(operationRoutes);
  await app.register(streamRoutes);
  await app.register(streamInfoRoutes);
  // Binary bodies are read as streams by the handlers: no parser may buffer them.
  await app.register(async (raw) => {
    raw.removeAllContentTypeParsers();
    raw.addContentTypeParser('*', (_request, _payload, done) => done(null));
    await raw.register(oneShotRoutes);
    await raw.register(streamWriteRoute);
  });

  app.addHook('preClose', async () => {
    context.state.shuttingDown = true;
    app.log.info({ inflight: context.state.inflight, streams: streams.size }, 'shutting down: refusing new requests');
  });
  app.addHook('onClose', async () => {
    await streams.closeAll();
    await pool!.close();
    app.log.info('shut down');
  });
  return app;
}
