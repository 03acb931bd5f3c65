/**
 * The Host header check, against DNS rebinding.
 *
 * A web page from evil.example can make its name resolve to 127.0.0.1 once
 * the page has loaded; the browser then sends the page's requests to a
 * service on loopback as same-origin requests, and lets the page read the
 * answers. The one thing it cannot change is the Host header, which still
 * says evil.example. So a server bound to loopback answers only requests
 * whose Host is one of its own names. On other interfaces the check is off
 * unless `--allowed-hosts` is given: there, anyone who can reach the port can
 * send any Host anyway, and tokens are the defence.
 */
import { isIP } from 'node:net';
import { ZaccelError } from '../../src/index.js';

/** A name (lowercase; IPv6 without brackets) and the port it must come with, if any. */
export interface HostPattern {
  name: string;
  port: number | undefined;
}

/** The names every loopback-bound server answers for, with any port. */
export const loopbackNames = ['localhost', '127.0.0.1', '[::1]'];

/** True when the bind address accepts connections from this machine only. */
export function isLoopbackBind(host: string): boolean {
  const name = host.toLowerCase().replace(/^\[(.*)\]$/, '$1');
  if (name === 'localhost' || name === '::1') return true;
  if (isIP(name) === 4) return name.startsWith('127.');
  // An IPv4-mapped IPv6 loopback address.
  return /^::ffff:127\.\d+\.\d+\.\d+$/.test(name);
}

/**
 * `name`, `name:port`, `[v6]`, `[v6]:port`, or an IPv6 address without brackets and port. Names are
 * normalised as a URL parser does (case, IPv4 and IPv6 spellings, a final dot); undefined when the text
 * is not a host.
 */
export function parseHost(text: string): HostPattern | undefined {
  const trimmed = text.trim();
  // A bare IPv6 address (the bind address may be written "::1").
  const bracketed = isIP(trimmed) === 6 ? `[${trimmed}]` : trimmed;
  if (bracketed === '' || /[/?#@\\\s]/.test(bracketed)) return undefined;
  let url: URL;
  try {
    url = new URL(`http://${bracketed}`);
  } catch {
    return undefined;
  }
  // The URL parser takes "a:b:c" as host "a" with a bad port, and so on: the host must be all of the text.
  const name = url.hostname.replace(/\.$/, '');
  if (name === '') return undefined;
  const explicitPort = /:(\d+)$/.exec(bracketed.replace(/^\[[^\]]*\]/, ''));
  return { name: name.replace(/^\[(.*)\]$/, '$1'), port: explicitPort === null ? undefined : Number(explicitPort[1]) };
}

export class HostPolicy {
  /** False: every Host is accepted. */
  readonly enforced: boolean;
  readonly patterns: readonly HostPattern[];

  /**
   * `allowed` empty: the loopback names and the bind address, enforced only on a loopback bind.
   * `*` in it: no check. Throws ZACCEL_BAD_OPTION for an entry that is not a host.
   */
  constructor(bind: string, allowed: readonly string[]) {
    const list = allowed.length > 0 ? allowed : [...loopbackNames, bind];
    this.enforced = allowed.length > 0 ? !allowed.includes('*') : isLoopbackBind(bind);
    this.patterns = list
      .filter((entry) => entry !== '*')
      .map((entry) => {
        const pattern = parseHost(entry);
        if (pattern === undefined) {
          const expected = 'expected a host name or address, with an optional :port';
          throw new ZaccelError(
            'ZACCEL_BAD_OPTION',
            `invalid --allowed-hosts entry ${JSON.stringify(entry)}: ${expected}`,
          );
        }
        return pattern;
      });
  }

  /** Whether a request with this Host header is answered. A request without one (HTTP/1.0) cannot come from a browser. */
  allows(header: string | undefined): boolean {
    if (!this.enforced || header === undefined) return true;
    const host = parseHost(header);
    if (host === undefined) return false;
    const port = host.port ?? 80;
    return this.patterns.some(
      (pattern) => pattern.name === host.name && (pattern.port === undefined || pattern.port === port),
    );
  }
}
