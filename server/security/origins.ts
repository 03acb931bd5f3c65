/**
 * Browser origins. A browser adds `Origin` to every cross-origin request
 * (and to same-origin ones but GET and HEAD). Some cross-origin requests, a
 * `text/plain` POST among them, are "simple": the browser sends them without
 * asking first and only hides the answer from the page. The server must
 * therefore refuse them itself, before it does anything: a request whose
 * Origin is not allowed gets 403 and its body is never processed.
 *
 * For allowed origins the server answers CORS preflights and marks its
 * answers readable by that origin. No cookies are used, so credentials are
 * never allowed: a page sends the bearer token itself, in `Authorization`.
 */
import { ZaccelError } from '../../src/index.js';

/** Methods the API uses: what a preflight may allow. */
const allowedMethods = 'GET, POST, DELETE';
/** Request headers a page may set beyond the CORS-safelisted ones. */
const allowedHeaders = 'authorization, content-type';
/** How long a browser may cache a preflight answer, in seconds. */
const preflightMaxAge = '600';
/**
 * Answer headers not to list in Access-Control-Expose-Headers: those a page can read without being told (the
 * CORS-safelisted ones), and those about the connection or the CORS exchange itself. Every other header the answer
 * carries is exposed by name.
 */
const unexposedAnswerHeaders = new Set([
  'cache-control',
  'content-language',
  'content-length',
  'content-type',
  'expires',
  'last-modified',
  'pragma',
  'connection',
  'keep-alive',
  'transfer-encoding',
  'date',
  'vary',
]);

/** `scheme://host[:port]` as a browser serialises it (lowercase, default port dropped); undefined when not an http(s) origin. */
export function normalizeOrigin(text: string): string | undefined {
  let url: URL;
  try {
    url = new URL(text.trim());
  } catch {
    return undefined;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined;
  // An origin has no user, path (but "/"), query or fragment.
  if (url.username !== '' || url.password !== '' || url.pathname !== '/' || url.search !== '' || url.hash !== '')
    return undefined;
  // The parser turns "/." into "/": the text itself may have nothing after the host but one "/".
  if (/^[^:]+:\/\/[^/]*\/./.test(text.trim())) return undefined;
  return url.origin;
}

export class OriginPolicy {
  private readonly allowed: ReadonlySet<string>;

  /** Throws ZACCEL_BAD_OPTION for an entry that is not an http(s) origin. */
  constructor(origins: readonly string[]) {
    this.allowed = new Set(
      origins.map((entry) => {
        const origin = normalizeOrigin(entry);
        if (origin === undefined) {
          throw new ZaccelError(
            'ZACCEL_BAD_OPTION',
            `invalid --allow-origin ${JSON.stringify(entry)}: expected http(s)://host[:port]`,
          );
        }
        return origin;
      }),
    );
  }

  get origins(): string[] {
    return [...this.allowed];
  }

  get size(): number {
    return this.allowed.size;
  }

  /** Whether a request with this Origin header is served. `null` (sandboxed pages, files) never is. */
  allows(header: string): boolean {
    const origin = normalizeOrigin(header);
    return origin !== undefined && this.allowed.has(origin);
  }

  /**
   * The answer to a preflight from an allowed origin. `privateNetwork`: the browser asks whether a page of a public
   * site may reach this server on a private address or loopback (Private Network Access); an allowed origin may.
   */
  preflightHeaders(origin: string, privateNetwork = false): Record<string, string> {
    return {
      'access-control-allow-origin': origin,
      'access-control-allow-methods': allowedMethods,
      'access-control-allow-headers': allowedHeaders,
      'access-control-max-age': preflightMaxAge,
      ...(privateNetwork ? { 'access-control-allow-private-network': 'true' } : {}),
      vary: 'origin, access-control-request-method, access-control-request-headers, access-control-request-private-network',
    };
  }

  /** Headers of any answer to an allowed origin. */
  answerHeaders(origin: string): Record<string, string> {
    return { 'access-control-allow-origin': origin, vary: 'origin' };
  }

  /** The header that lets the page read the answer's own headers (the counts, Location, Retry-After). */
  exposeHeader(names: readonly string[]): string | undefined {
    const exposed = names
      .map((name) => name.toLowerCase())
      .filter((name) => !unexposedAnswerHeaders.has(name) && !name.startsWith('access-control-'));
    return exposed.length === 0 ? undefined : exposed.join(', ');
  }
}
