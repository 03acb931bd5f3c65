/**
 * Bearer tokens: the file that lists them, checked whole at startup, and the
 * check of a request's `Authorization` header.
 *
 * The file is a JSON array of `{"name", "token", "maxStreams"}`. Names are
 * what logs and quotas show (never the token); `maxStreams` is the number of
 * streams the token may hold open (default `--max-streams-per-client`).
 *
 * Only SHA-256 digests of the tokens are kept. A presented token is hashed
 * and compared with every digest by `timingSafeEqual`, without stopping at a
 * match: the time taken does not depend on how much of a token is right, nor
 * on which entry matched. Hashing first gives equal-length inputs, which
 * `timingSafeEqual` needs, without revealing a token's length.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { ZaccelError } from '../../src/index.js';

/** One entry of the tokens file. */
export interface TokenEntry {
  name: string;
  token: string;
  maxStreams?: number;
}

/** Who a valid token belongs to. */
export interface TokenHolder {
  name: string;
  /** Streams it may hold open; undefined: the per-client default. */
  maxStreams: number | undefined;
}

export type Authentication =
  | { outcome: 'missing' }
  /** A header that is not `Bearer <token>`, or a token that is not in the file. */
  | { outcome: 'invalid' }
  | { outcome: 'valid'; holder: TokenHolder };

/** RFC 6750's b64token: what can travel in `Authorization: Bearer` unquoted. */
const tokenSyntax = /^[A-Za-z0-9\-._~+/]+=*$/;
/** A shorter token can be guessed; 16 characters of base64 carry 96 bits. */
export const MIN_TOKEN_LENGTH = 16;
const entryKeys = new Set(['name', 'token', 'maxStreams']);

const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest();

/** Check a tokens file's text; throws ZACCEL_BAD_OPTION naming the file, the entry and what is wrong. */
export function parseTokens(text: string, source: string): TokenEntry[] {
  const bad = (what: string) => new ZaccelError('ZACCEL_BAD_OPTION', `invalid tokens file ${source}: ${what}`);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw bad(`not JSON (${(error as Error).message})`);
  }
  if (!Array.isArray(value)) throw bad('expected a JSON array of {"name", "token", "maxStreams"}');
  if (value.length === 0) throw bad('no tokens: the array is empty, so no request could ever be served');
  const names = new Set<string>();
  const tokens = new Set<string>();
  return value.map((item: unknown, index): TokenEntry => {
    const where = `entry ${index}`;
    if (typeof item !== 'object' || item === null || Array.isArray(item)) throw bad(`${where}: expected an object`);
    const entry = item as Record<string, unknown>;
    const unknown = Object.keys(entry).filter((key) => !entryKeys.has(key));
    if (unknown.length > 0) {
      throw bad(
        `${where}: unknown field ${unknown.map((key) => JSON.stringify(key)).join(', ')} (expected name, token, maxStreams)`,
      );
    }
    const { name, token, maxStreams } = entry;
    if (typeof name !== 'string' || !/^[\x21-\x7e]{1,64}$/.test(name)) {
      throw bad(`${where}: "name" must be 1 to 64 printable characters without spaces`);
    }
    if (names.has(name)) throw bad(`${where}: the name ${JSON.stringify(name)} is used twice`);
    names.add(name);
    // The token itself never appears in a message.
    if (typeof token !== 'string') throw bad(`${where} (${name}): "token" must be a string`);
    if (token.length < MIN_TOKEN_LENGTH)
      throw bad(`${where} (${name}): the token is shorter than ${MIN_TOKEN_LENGTH} characters`);
    if (!tokenSyntax.test(token))
      throw bad(`${where} (${name}): the token may hold only A-Z a-z 0-9 - . _ ~ + / and trailing =`);
    if (tokens.has(token)) throw bad(`${where} (${name}): the same token as an earlier entry`);
    tokens.add(token);
    if (
      maxStreams !== undefined &&
      (typeof maxStreams !== 'number' || !Number.isSafeInteger(maxStreams) || maxStreams < 0)
    ) {
      throw bad(`${where} (${name}): "maxStreams" must be an integer >= 0`);
    }
    return maxStreams === undefined ? { name, token } : { name, token, maxStreams };
  });
}

export class TokenSet {
  private readonly digests: Array<{ digest: Buffer; holder: TokenHolder }>;

  constructor(entries: TokenEntry[]) {
    this.digests = entries.map((entry) => ({
      digest: sha256(entry.token),
      holder: { name: entry.name, maxStreams: entry.maxStreams },
    }));
  }

  /** Read and check the file; throws ZACCEL_BAD_OPTION when it cannot be read or is not valid. */
  static fromFile(path: string): TokenSet {
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (error) {
      throw new ZaccelError('ZACCEL_BAD_OPTION', `cannot read the tokens file ${path}: ${(error as Error).message}`);
    }
    return new TokenSet(parseTokens(text, path));
  }

  get size(): number {
    return this.digests.length;
  }

  /** The holder of the token in an `Authorization` header value. */
  authenticate(header: string | undefined): Authentication {
    if (header === undefined || header === '') return { outcome: 'missing' };
    // RFC 9110: the scheme is case-insensitive; one or more spaces before the credentials.
    const match = /^bearer +(\S+) *$/i.exec(header);
    if (match === null) return { outcome: 'invalid' };
    const presented = sha256(match[1]);
    let holder: TokenHolder | undefined;
    for (const entry of this.digests) {
      // Every digest is compared, whatever matched before.
      if (timingSafeEqual(presented, entry.digest)) holder = entry.holder;
    }
    return holder === undefined ? { outcome: 'invalid' } : { outcome: 'valid', holder };
  }
}

/** True when the file can be read by users other than its owner: tokens are secrets. */
export function readableByOthers(path: string): boolean {
  try {
    return (statSync(path).mode & 0o077) !== 0;
  } catch {
    return false;
  }
}
