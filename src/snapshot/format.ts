/**
 * The byte layout of a stream snapshot: one versioned, checksummed byte
 * string that any thread or process with the same wasm modules can turn
 * back into a working stream.
 *
 *   offset  size  field
 *   0       4     magic "ZSNP"
 *   4       2     format version (SNAPSHOT_VERSION), little-endian
 *   6       2     header length (HEADER_BYTES)
 *   8       4     body length
 *   12      4     reserved, 0
 *   16      32    SHA-256 of the zlib module (wasm/build/zlib.wasm) that made the state
 *   48      32    SHA-256 of the DFLTCC emulator module, or zeros when the stream does not use it
 *   80      32    SHA-256 of the body
 *   112     ...   body: u32 document length, the document (UTF-8 JSON), then the byte sections
 *
 * The document is the stream's state as JSON; every byte string in it (a
 * zlib state blob, a parameter block, a history buffer, a dictionary) is
 * replaced by {"$bytes": [offset, length]} into the sections that follow it.
 * The checksum covers the body; the module hashes are compared, not
 * checksummed, so a foreign snapshot says so instead of "corrupted".
 */
import { createHash } from 'node:crypto';
import type { SnapshotValue } from '../engines/engine.js';
import { moduleHash, type ModuleName } from '../machine/modules.js';
import { badSnapshot } from './fields.js';

export const SNAPSHOT_MAGIC = 0x504e535a; // "ZSNP" read little-endian
export const SNAPSHOT_VERSION = 1;
export const HEADER_BYTES = 112;
const HASH_BYTES = 32;
const ZLIB_HASH_AT = 16;
const DFLTCC_HASH_AT = 48;
const BODY_HASH_AT = 80;

export type SnapshotDocument = { [key: string]: SnapshotValue };

/** The modules whose code the state belongs to: zlib always (the dfltcc engine's fallback and checksums use it). */
export function modulesOf(engine: string): ModuleName[] {
  return engine === 'dfltcc' ? ['zlib', 'dfltcc'] : ['zlib'];
}

/** Lay a document out as a snapshot made by this thread's modules. */
export function encodeSnapshot(document: SnapshotDocument, modules: ModuleName[]): Buffer {
  const sections: Uint8Array[] = [];
  let sectionBytes = 0;
  const flatten = (value: SnapshotValue): unknown => {
    if (value instanceof Uint8Array) {
      sections.push(value);
      sectionBytes += value.length;
      return { $bytes: [sectionBytes - value.length, value.length] };
    }
    if (Array.isArray(value)) return value.map(flatten);
    if (value !== null && typeof value === 'object') {
      return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, flatten(item)]));
    }
    if (typeof value === 'number' && !Number.isFinite(value)) throw badSnapshot(`cannot record the number ${value}`);
    return value;
  };
  const json = Buffer.from(JSON.stringify(flatten(document)), 'utf8');
  const bodyLength = 4 + json.length + sectionBytes;
  const snapshot = Buffer.alloc(HEADER_BYTES + bodyLength);
  snapshot.writeUInt32LE(SNAPSHOT_MAGIC, 0);
  snapshot.writeUInt16LE(SNAPSHOT_VERSION, 4);
  snapshot.writeUInt16LE(HEADER_BYTES, 6);
  snapshot.writeUInt32LE(bodyLength, 8);
  for (const name of modules) moduleHash(name).copy(snapshot, name === 'zlib' ? ZLIB_HASH_AT : DFLTCC_HASH_AT);
  let at = HEADER_BYTES;
  snapshot.writeUInt32LE(json.length, at);
  at += 4;
  json.copy(snapshot, at);
  at += json.length;
  for (const section of sections) {
    snapshot.set(section, at);
    at += section.length;
  }
  createHash('sha256').update(snapshot.subarray(HEADER_BYTES)).digest().copy(snapshot, BODY_HASH_AT);
  return snapshot;
}

/**
 * Check a snapshot and give back its document. Refuses (ZACCEL_BAD_SNAPSHOT)
 * anything truncated or with bytes after its end, of another format version,
 * whose body does not match its checksum, or made by other wasm modules than
 * this thread's.
 */
export function decodeSnapshot(snapshot: Uint8Array): SnapshotDocument {
  const bytes = Buffer.from(snapshot.buffer, snapshot.byteOffset, snapshot.byteLength);
  if (bytes.length < HEADER_BYTES)
    throw badSnapshot(`truncated: ${bytes.length} bytes, shorter than the ${HEADER_BYTES}-byte header`);
  if (bytes.readUInt32LE(0) !== SNAPSHOT_MAGIC) throw badSnapshot('not a zaccel stream snapshot (magic)');
  const version = bytes.readUInt16LE(4);
  if (version !== SNAPSHOT_VERSION || bytes.readUInt16LE(6) !== HEADER_BYTES) {
    throw badSnapshot(`format version ${version}; this zaccel reads version ${SNAPSHOT_VERSION}`);
  }
  const bodyLength = bytes.readUInt32LE(8);
  if (bytes.length < HEADER_BYTES + bodyLength)
    throw badSnapshot(`truncated: ${bytes.length} of ${HEADER_BYTES + bodyLength} bytes`);
  if (bytes.length > HEADER_BYTES + bodyLength)
    throw badSnapshot(`${bytes.length - HEADER_BYTES - bodyLength} bytes after its end`);
  const body = bytes.subarray(HEADER_BYTES);
  if (
    !createHash('sha256')
      .update(body)
      .digest()
      .equals(bytes.subarray(BODY_HASH_AT, BODY_HASH_AT + HASH_BYTES))
  ) {
    throw badSnapshot('corrupted: the body does not match its SHA-256');
  }
  if (bodyLength < 4) throw badSnapshot('no document');
  const jsonLength = body.readUInt32LE(0);
  if (4 + jsonLength > bodyLength) throw badSnapshot('the document runs past the body');
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.subarray(4, 4 + jsonLength).toString('utf8'));
  } catch (error) {
    throw badSnapshot(`the document is not JSON (${(error as Error).message})`);
  }
  const sections = body.subarray(4 + jsonLength);
  const inflate = (value: unknown): SnapshotValue => {
    if (Array.isArray(value)) return value.map(inflate);
    if (value !== null && typeof value === 'object') {
      const reference = (value as { $bytes?: unknown }).$bytes;
      if (reference !== undefined) {
        const [offset, length] = Array.isArray(reference) ? reference : [];
        if (
          !Number.isSafeInteger(offset) ||
          !Number.isSafeInteger(length) ||
          offset < 0 ||
          length < 0 ||
          offset + length > sections.length
        ) {
          throw badSnapshot('a byte section lies outside the body');
        }
        return new Uint8Array(sections.subarray(offset, offset + length)); // a copy: the caller's buffer stays theirs
      }
      return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, inflate(item)]));
    }
    if (typeof value === 'number' || typeof value === 'string' || typeof value === 'boolean' || value === null)
      return value;
    throw badSnapshot('the document holds a value of no known kind');
  };
  const document = inflate(parsed);
  if (document === null || typeof document !== 'object' || Array.isArray(document) || document instanceof Uint8Array) {
    throw badSnapshot('the document is not an object');
  }
  const engine = (document as SnapshotDocument).engine;
  for (const name of modulesOf(typeof engine === 'string' ? engine : 'zlib')) {
    const at = name === 'zlib' ? ZLIB_HASH_AT : DFLTCC_HASH_AT;
    if (!moduleHash(name).equals(bytes.subarray(at, at + HASH_BYTES))) {
      throw badSnapshot(
        `made by a different ${name} module (SHA-256 ${bytes
          .subarray(at, at + HASH_BYTES)
          .toString('hex')
          .slice(0, 16)}…, this one ${moduleHash(name).toString('hex').slice(0, 16)}…)`,
      );
    }
  }
  return document as SnapshotDocument;
}
