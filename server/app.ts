/**
 * buildServer(config): the Fastify application with its worker pool, ready
 * for `listen` or, in tests, `inject`.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import Fastify, { type FastifyInstance, type FastifyRequest, type FastifyServerOptions } from 'fastify';
import { packageRoot } from '../src/internal.js';
import { defaultConfig, validateConfig, type ServerConfig } from './config.js';
import type { Cluster } from './cluster/cluster.js';
import type { ServiceContext } from './context.js';
import { declaredLength, idleLimitedBody, settleBody } from './body.js';
import { answerClientError } from './client-errors.js';
import { ClientGoneError, errorBody, ServiceError, toHttpError } from './errors.js';
import { RequestLifecycle } from './lifecycle.js';
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

export async function buildServer(
  overrides: Partial<ServerConfig> = {},
  options: BuildOptions = {},
): Promise<FastifyInstance> {
  const config = validateConfig({ ...defaultConfig(), ...overrides });
  // Before anything starts: a bad tokens file, origin or host stops the server here, with ZACCEL_BAD_OPTION.
  const access = accessControl(config);
  let pool: WorkerPool | undefined;
  const metrics = new ServiceMetrics(() => pool);
  const app = Fastify({
    logger: options.logger ?? { level: config.logLevel },
    // JSON bodies (stream options) are small; binary bodies are streamed and limited by the routes.
    bodyLimit: 1024 * 1024,
    // Our own 503 with a JSON body, from the onRequest hook below.
    return503OnClosing: false,
    // Uploads of a gigabyte may take long: no whole-request deadline. A stalled one meets --body-timeout-ms instead.
    requestTimeout: 0,
    keepAliveTimeout: config.keepaliveTimeoutMs,
    http: {
      headersTimeout: config.headerTimeoutMs,
      // Node checks header deadlines on this interval (30 s by default, which let slow headers live 90 s).
      connectionsCheckingInterval: Math.max(10, Math.min(1_000, Math.floor(config.headerTimeoutMs / 4))),
    },
    // Framing errors and header timeouts, answered in zaccel's shape before any route sees the request.
    clientErrorHandler: (error, socket) => {
      answerClientError(error, socket, metrics, app.log);
    },
    ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array', useDefaults: true, allErrors: false } },
  });

  pool = new WorkerPool({
    workers: config.workers,
    machineBytes: config.machineBytes,
    commitBytes: config.commitBytes,
    logger: app.log,
    onReport: (mode, report, previous) => metrics.onReport(mode, report, previous),
  });
  const streams = new StreamRegistry(config, pool, metrics, app.log);
  // Cluster mode loads the Redis client; without --redis it is never imported.
  let cluster: Cluster | undefined;
  if (config.redis !== undefined) {
    const settings = {
      url: config.redis,
      instanceId: config.instanceId,
      leaseMs: config.leaseMs,
      handoverMs: config.handoverMs,
      streamIdleMs: config.streamIdleMs,
    };
    try {
      cluster = await (await import('./cluster/cluster.js')).Cluster.start(settings, streams, metrics, app.log);
    } catch (error) {
      // Redis unreachable: nothing may keep the process alive (the workers are running already).
      await streams.closeAll();
      await pool.close();
      throw error;
    }
  }
  const context: ServiceContext = {
    config,
    pool,
    streams,
    metrics,
    state: { shuttingDown: false, inflight: 0 },
    cluster,
  };
  app.decorate('zaccel', context);
  // In a cluster every answer says which instance gave it.
  if (cluster !== undefined)
    app.addHook('onSend', async (_request, reply) => void reply.header('x-zaccel-instance', config.instanceId));

  // The lifecycle comes first, before any hook or handler can await: it must see every way the request ends.
  const admission = {
    maxInflight: config.maxInflight,
    sendTimeoutMs: config.sendTimeoutMs,
    state: context.state,
    metrics,
  };
  app.decorateRequest('lifecycle', null as unknown as RequestLifecycle);
  app.addHook('onRequest', async (request, reply) => {
    request.lifecycle = new RequestLifecycle(admission, request, reply);
  });
  // Right after it, and before any route: every route, the documentation's included, is behind access control.
  installAccessControl(app, access);
  const methodsByRoute = new MethodTable();
  app.addHook('onRoute', (route) => methodsByRoute.add(route.url, route.method));

  // Set before any plugin is registered: an encapsulated plugin (the documentation's) inherits the handler it
  // finds at registration, and every answer, a refusal by access control included, must have zaccel's shape.
  app.setErrorHandler(async (error, request, reply) => {
    // Nobody is left to answer: the lifecycle has counted the disconnect, and it is not an error of the service.
    if (error instanceof ClientGoneError || request.lifecycle?.ending !== undefined) return reply;
    const http = toHttpError(error);
    metrics.errors.inc({ code: http.code });
    // An early error leaves the body unread: read and drop it first, so the client gets the answer, not a reset.
    // A client too slow to send its body is not waited for.
    if (http.code === 'ZACCEL_TIMEOUT') {
      request.lifecycle?.cutOff('timeout', 'body');
      reply.header('connection', 'close');
    } else {
      await settleBody(request, reply);
    }
    // A bug or a broken build is an error; a full or stopping server is a warning; a bad request is information.
    if (http.status === 503) request.log.warn({ code: http.code, status: http.status }, http.message);
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

  app.addHook('preValidation', async (request) => checkDecimalQuery(request));
  // Every answer, an error's too, is watched for a client that stops reading it (--send-timeout-ms).
  app.addHook('onSend', async (request) => request.lifecycle?.answering());

  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    metrics.requests.inc({ method: request.method, route, status: String(reply.statusCode) });
    metrics.duration.observe({ method: request.method, route }, reply.elapsedTime / 1000);
  });

  app.setNotFoundHandler(async (request, reply) => {
    const path = request.url.split('?')[0];
    const allowed = methodsByRoute.methodsFor(path);
    await settleBody(request, reply);
    if (allowed.length > 0) {
      metrics.errors.inc({ code: 'ZACCEL_METHOD_NOT_ALLOWED' });
      const message = `${request.method} is not allowed on ${path}: use ${allowed.join(', ')}`;
      return reply.code(405).header('allow', allowed.join(', ')).send(errorBody('ZACCEL_METHOD_NOT_ALLOWED', message));
    }
    metrics.errors.inc({ code: 'ZACCEL_NOT_FOUND' });
    return reply.code(404).send(errorBody('ZACCEL_NOT_FOUND', `no route ${request.method} ${path}`));
  });

  // Routes whose bodies Fastify parses (JSON): a body that stalls meets --body-timeout-ms here; the binary
  // routes below read their bodies themselves, with the same timeout (body.ts).
  await app.register(async (parsed) => {
    parsed.addHook('preParsing', async (request, _reply, payload) => {
      const hasBody = request.headers['transfer-encoding'] !== undefined || (declaredLength(request.headers) ?? 0) > 0;
      if (!hasBody || request.raw.complete) return payload;
      return idleLimitedBody(payload, config.bodyTimeoutMs);
    });
    await parsed.register(operationRoutes);
    await parsed.register(streamRoutes);
    await parsed.register(streamInfoRoutes);
  });
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
    // In a cluster the streams are let go (their checkpoints stay in Redis, their leases are released).
    await streams.closeAll();
    await cluster?.stop();
    await pool!.close();
    app.log.info('shut down');
  });
  return app;
}

/**
 * Which methods each route answers, to tell 405 (the path exists with other methods, listed in Allow) from 404.
 * Route URLs are Fastify patterns: `:name` matches one path segment, `*` the rest.
 */
class MethodTable {
  private readonly routes: Array<{ pattern: RegExp; methods: Set<string> }> = [];

  add(url: string, method: string | string[]): void {
    const source = url
      .split('/')
      .map((segment) =>
        segment.startsWith(':') ? '[^/]+' : segment === '*' ? '.*' : segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'),
      )
      .join('/');
    const pattern = new RegExp(`^${source}$`);
    let entry = this.routes.find((route) => route.pattern.source === pattern.source);
    if (entry === undefined) {
      entry = { pattern, methods: new Set() };
      this.routes.push(entry);
    }
    for (const name of Array.isArray(method) ? method : [method]) entry.methods.add(name);
  }

  methodsFor(path: string): string[] {
    const methods = new Set<string>();
    for (const route of this.routes)
      if (route.pattern.test(path)) for (const method of route.methods) methods.add(method);
    return [...methods].sort();
  }
}

/** Integers in the query are decimal digits with an optional minus, nothing else: `+1`, `0x1`, `1e0` and ` 1` are not. */
const decimalInteger = /^-?\d+$/;

/**
 * Schema validation would coerce `+1`, `0x1`, `1e0` and ` 1` to numbers; a parameter that means a size or a
 * level must be written one way. This runs before validation, on the query's raw strings.
 */
function checkDecimalQuery(request: FastifyRequest): void {
  const schema = request.routeOptions.schema?.querystring as
    | { properties?: Record<string, { type?: unknown }> }
    | undefined;
  const query = request.query as Record<string, unknown> | undefined;
  if (schema?.properties === undefined || query === undefined || query === null) return;
  for (const [name, property] of Object.entries(schema.properties)) {
    if (property.type !== 'integer' || query[name] === undefined) continue;
    for (const value of ([] as unknown[]).concat(query[name])) {
      if (typeof value !== 'string' || !decimalInteger.test(value)) {
        throw new ServiceError(
          'ZACCEL_BAD_OPTION',
          `invalid ${name}: ${JSON.stringify(value)} (expected a decimal integer)`,
        );
      }
    }
  }
}
