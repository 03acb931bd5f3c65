/**
 * Who a request comes from, for stream ownership and quotas: the holder of
 * a bearer token when tokens are configured, otherwise the client's address.
 *
 * An address stands for one client: an IPv4 address, or an IPv6 /64 (one
 * host usually has a whole /64 to pick addresses from, so counting single
 * IPv6 addresses would let it take every slot). Behind a proxy every client
 * has the proxy's address; use tokens there.
 */
import { isIP } from 'node:net';

export interface Principal {
  /** The key its streams and quota are counted under: `token:NAME` or `address:ADDRESS`. */
  id: string;
  /** What the logs show: the token's name or the address; never the token. */
  name: string;
  /** Streams it may hold open at once. */
  maxStreams: number;
  /**
   * True with tokens: it sees only the streams it opened, and any other stream is "not found". False without
   * tokens: as before tokens existed, a stream id is the only key to a stream.
   */
  isolated: boolean;
}

/** The principal of a request that presented no valid token to a route that needs none (/healthz, /readyz). */
export const anonymous: Principal = { id: 'anonymous', name: 'anonymous', maxStreams: 0, isolated: true };

export function tokenPrincipal(name: string, maxStreams: number): Principal {
  return { id: `token:${name}`, name, maxStreams, isolated: true };
}

export function addressPrincipal(address: string | undefined, maxStreams: number): Principal {
  const key = clientAddress(address ?? 'unknown');
  return { id: `address:${key}`, name: key, maxStreams, isolated: false };
}

/** Whether the principal may see (read, write, delete) a stream opened by `owner`. */
export function canSee(principal: Principal, owner: string): boolean {
  return !principal.isolated || principal.id === owner;
}

/** The client an address stands for: IPv4 as it is (IPv4-mapped IPv6 too), IPv6 as its /64 prefix. */
export function clientAddress(address: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped !== null) return mapped[1];
  if (isIP(address) !== 6) return address;
  const groups = ipv6Groups(address);
  return `${groups
    .slice(0, 4)
    .map((group) => group.toString(16))
    .join(':')}::/64`;
}

/** The eight 16-bit groups of a valid IPv6 address (a zone index is dropped; a dotted IPv4 tail is two groups). */
function ipv6Groups(address: string): number[] {
  let text = address.split('%')[0].toLowerCase();
  const dotted = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (dotted !== null) {
    const [a, b, c, d] = dotted.slice(1).map(Number);
    text = `${text.slice(0, dotted.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.split('::');
  const headGroups = head === '' ? [] : head.split(':');
  const tailGroups = tail === undefined || tail === '' ? [] : tail.split(':');
  const zeros = tail === undefined ? [] : new Array<string>(8 - headGroups.length - tailGroups.length).fill('0');
  return [...headGroups, ...zeros, ...tailGroups].map((group) => Number.parseInt(group, 16));
}
