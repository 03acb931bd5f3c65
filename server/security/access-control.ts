/**
 * Access control, applied to every request before anything else looks at
 * it, in this order:
 *
 * 1. **Host** (`421 ZACCEL_HOST_NOT_ALLOWED`): on a loopback bind, only the
 *    server's own names (hosts.ts), against DNS rebinding.
 * 2. **Origin** (`403 ZACCEL_FORBIDDEN_ORIGIN`): a request from a browser page
 *    of an origin not allowed by `--allow-origin` (origins.ts). A preflight
 *    (`OPTIONS` with `Access-Control-Request-Method`) from an allowed origin
 *    is answered here, without a token: browsers never send one with it.
 * 3. **Token** (`401 ZACCEL_UNAUTHORIZED` with `WWW-Authenticate: Bearer`):
 *    with `--auth-tokens`, every route but `/healthz` and `/readyz`
 *    (tokens.ts), the API description and metrics included.
 *
 * A refused request's body is read and dropped, never processed (within the
 * budget of discardRest, past which the connection is closed), so that the
 * client gets the answer. The request's principal (principal.ts) is left on
 * `request.principal` for stream ownership and quotas.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { discardRest } from '../body.js';
import type { ServerConfig } from '../config.js';
import { declaredLength } from '../body.js';
import { ServiceError } from '../errors.js';
import { HostPolicy } from './hosts.js';
import { OriginPolicy } from './origins.js';
import { addressPrincipal, anonymous, tokenPrincipal, type Principal } from './principal.js';
import { readableByOthers, TokenSet } from './tokens.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** Who sent the request: set by access control before any route runs. */
    principal: Principal;
  }
}

export interface AccessControl {
  /** Undefined: no tokens, every client is served and known by its address. */
  tokens: TokenSet | undefined;
  /** Where the tokens came from, for the startup log. */
  tokensFile: string | undefined;
  origins: OriginPolicy;
  hosts: HostPolicy;
  /** The stream quota of each address without tokens, and of a token whose entry names no maxStreams. */
  streamsPerClient: number;
}

/** Routes answered without a token: orchestrators probe them. */
const openRoutes = new Set(['/healthz', '/readyz']);

const challenge = 'Bearer realm="zaccel"';

/** The policy from the configuration: reads and checks the tokens file; throws ZACCEL_BAD_OPTION at startup. */
export function accessControl(config: ServerConfig): AccessControl {
  return {
    tokens: config.authTokens === undefined ? undefined : TokenSet.fromFile(config.authTokens),
    tokensFile: config.authTokens,
    origins: new OriginPolicy(config.allowOrigins),
    hosts: new HostPolicy(config.host, config.allowedHosts),
    streamsPerClient: config.maxStreamsPerClient,
  };
}

/** Read and drop the body of a refused request, then refuse it. */
async function refuse(request: FastifyRequest, reply: FastifyReply, error: ServiceError): Promise<never> {
  if (!(await discardRest(request.raw, declaredLength(request.headers)))) reply.header('connection', 'close');
  throw error;
}

/** Install the checks on the root instance, before any route is registered, so that they cover every route. */
export function installAccessControl(app: FastifyInstance, access: AccessControl): void {
  app.decorateRequest('principal', null as unknown as Principal);
  if (access.tokens !== undefined) {
    app.log.info(
      { tokens: access.tokens.size, file: access.tokensFile },
      'bearer tokens required on every route but /healthz and /readyz',
    );
    if (access.tokensFile !== undefined && readableByOthers(access.tokensFile)) {
      app.log.warn({ file: access.tokensFile }, 'the tokens file can be read by other users: chmod 600 it');
    }
  }
  if (!access.hosts.enforced) app.log.info('Host header not checked (not bound to loopback, or --allowed-hosts "*")');

  const identify = (request: FastifyRequest): Principal => {
    if (access.tokens === undefined) return addressPrincipal(request.ip, access.streamsPerClient);
    const result = access.tokens.authenticate(request.headers.authorization);
    if (result.outcome === 'valid')
      return tokenPrincipal(result.holder.name, result.holder.maxStreams ?? access.streamsPerClient);
    if (openRoutes.has(request.routeOptions.url ?? '')) return anonymous;
    if (result.outcome === 'missing') {
      const message = 'this server needs a token: send Authorization: Bearer TOKEN';
      throw new ServiceError('ZACCEL_UNAUTHORIZED', message, { 'www-authenticate': challenge });
    }
    // RFC 6750: a token was sent and is not valid.
    const header = `${challenge}, error="invalid_token"`;
    throw new ServiceError('ZACCEL_UNAUTHORIZED', 'the bearer token is not valid', { 'www-authenticate': header });
  };

  app.addHook('onRequest', async (request, reply) => {
    const host = request.headers.host;
    if (!access.hosts.allows(host)) {
      // 421: this connection reached a server that is not the one the client named; it may not be reused.
      reply.header('connection', 'close');
      const message = `this server does not answer for the host ${JSON.stringify(host)} (see --allowed-hosts)`;
      await refuse(request, reply, new ServiceError('ZACCEL_HOST_NOT_ALLOWED', message));
    }
    const origin = request.headers.origin;
    // Answers differ by Origin once some are allowed: a shared cache must not hand one origin's answer to another.
    if (access.origins.size > 0) reply.header('vary', 'origin');
    if (origin !== undefined) {
      if (!access.origins.allows(origin)) {
        const message = `requests from the origin ${JSON.stringify(origin)} are not allowed (see --allow-origin)`;
        await refuse(request, reply, new ServiceError('ZACCEL_FORBIDDEN_ORIGIN', message));
      }
      // Allowed: a browser normalises its Origin, so the header is what it compares Access-Control-Allow-Origin with.
      reply.headers(access.origins.answerHeaders(origin));
      if (request.method === 'OPTIONS' && request.headers['access-control-request-method'] !== undefined) {
        const privateNetwork = request.headers['access-control-request-private-network'] === 'true';
        reply.code(204).headers(access.origins.preflightHeaders(origin, privateNetwork)).send();
        return reply;
      }
    }
    try {
      request.principal = identify(request);
    } catch (error) {
      await refuse(request, reply, error as ServiceError);
    }
  });

  // The page may read the answer's own headers (the counts, Location, Retry-After, WWW-Authenticate): list them.
  app.addHook('onSend', async (_request, reply, payload) => {
    if (reply.hasHeader('access-control-allow-origin') && !reply.hasHeader('access-control-allow-methods')) {
      const exposed = access.origins.exposeHeader(Object.keys(reply.getHeaders()));
      if (exposed !== undefined) reply.header('access-control-expose-headers', exposed);
    }
    return payload;
  });
}
