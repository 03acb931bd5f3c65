/**
 * Stream snapshots: a core restored in another Machine (and in another
 * thread) continues byte for byte; damaged, foreign and forged snapshots are
 * refused with ZACCEL_BAD_SNAPSHOT.
 *
 * The property runs in a worker thread with a watchdog (run-worker.ts), so
 * its seconds of synchronous work never block vitest's worker. Its length is
 * ZACCEL_PROPERTY_MS (default 8000 ms); CI can give it longer.
 */
import { createHash } from 'node:crypto';
import { gunzipSync, inflateSync } from 'node:zlib';
import { describe, expect, test } from 'vitest';
import {
  constants,
  createDeflateCore,
  createInflateCore,
  Machine,
  restoreStream,
  snapshotKind,
  ZaccelError,
} from '../../src/index.js';
import type { DeflateCore } from '../../src/index.js';
import { runWorker } from '../support/run-worker.js';

const PROPERTY_MS = Number(process.env.ZACCEL_PROPERTY_MS ?? 8000);
const machineA = Machine.create();
const machineB = Machine.create({ partitionBytes: 8 * 1024 * 1024 });

function sampleData(length: number): Buffer {
  const words = ['page ', 'dirty ', 'history ', 'accelerator ', '\n', 'checkpoint '];
  let text = '';
  for (let index = 0; text.length < length; index++)
    text += words[(index * 7 + (index >> 3)) % words.length] + (index % 13);
  return Buffer.from(text.slice(0, length), 'latin1');
}

function collect(core: { ondata: (chunk: Buffer) => void }): Buffer[] {
  const chunks: Buffer[] = [];
  core.ondata = (chunk) => chunks.push(chunk);
  return chunks;
}

function expectBadSnapshot(run: () => unknown, message: RegExp): void {
  let caught: unknown;
  try {
    run();
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(ZaccelError);
  expect((caught as ZaccelError).code).toBe('ZACCEL_BAD_SNAPSHOT');
  expect((caught as ZaccelError).message).toMatch(message);
}

/** Rewrite a snapshot's document and give it a valid checksum: a forgery that only field checks can catch. */
// biome-ignore lint/suspicious/noExplicitAny: a forgery reaches into the document's nested fields freely
function forge(snapshot: Buffer, edit: (document: Record<string, any>) => void): Buffer {
  const body = snapshot.subarray(112);
  const jsonLength = body.readUInt32LE(0);
  const document = JSON.parse(body.subarray(4, 4 + jsonLength).toString('utf8'));
  edit(document);
  const json = Buffer.from(JSON.stringify(document), 'utf8');
  const length = Buffer.alloc(4);
  length.writeUInt32LE(json.length);
  const newBody = Buffer.concat([length, json, body.subarray(4 + jsonLength)]);
  const header = Buffer.from(snapshot.subarray(0, 112));
  header.writeUInt32LE(newBody.length, 8);
  createHash('sha256').update(newBody).digest().copy(header, 80);
  return Buffer.concat([header, newBody]);
}

/** Rewrite bytes of the zlib state blob (the glue's layout) and give the snapshot a valid checksum. */
function forgeZlibState(snapshot: Buffer, edit: (blob: Buffer) => void): Buffer {
  const body = snapshot.subarray(112);
  const jsonLength = body.readUInt32LE(0);
  const document = JSON.parse(body.subarray(4, 4 + jsonLength).toString('utf8'));
  const [offset, length] = document.core.codec.zlib.$bytes as [number, number];
  const sections = Buffer.from(body.subarray(4 + jsonLength));
  edit(sections.subarray(offset, offset + length));
  return forge(Buffer.concat([snapshot.subarray(0, 112), body.subarray(0, 4 + jsonLength), sections]), () => {});
}

/** A deflate stream in the middle of its data, and its snapshot. */
function midStream(engine: 'zlib' | 'dfltcc', level: 1 | 6 | 9, data: Buffer) {
  const core: DeflateCore = createDeflateCore('gzip', { engine, level, machine: machineA });
  const output = collect(core);
  core.push(data.subarray(0, data.length >> 1), constants.Z_SYNC_FLUSH);
  return { core, snapshot: core.snapshot(), output, lengthAtSnapshot: Buffer.concat(output).length };
}

describe('snapshot and restore', () => {
  test(
    `random call sequences restored in another Machine continue byte-identically (property, ${PROPERTY_MS} ms in a worker)`,
    async () => {
      const result = await runWorker(
        new URL('./snapshot-property.worker.mjs', import.meta.url),
        { timeLimitMs: PROPERTY_MS, seed: Date.now() % 100_000 },
        30_000,
      );
      expect(result.failure).toBeUndefined();
      const counts = result.counts as { deflate: number; inflate: number; accelerated: number };
      // At least the worker's fixed examples ran (random cases follow as time allows), and the accelerator was
      // snapshot mid-stream.
      expect(counts.deflate).toBeGreaterThanOrEqual(4);
      expect(counts.inflate).toBeGreaterThanOrEqual(4);
      expect(counts.accelerated).toBeGreaterThanOrEqual(2);
    },
    PROPERTY_MS + 60_000,
  );

  test.each(['zlib', 'dfltcc'] as const)('a %s deflate snapshot continues in another worker thread', async (engine) => {
    const data = sampleData(200_000);
    const { core, snapshot, output, lengthAtSnapshot } = midStream(engine, 1, data);
    core.push(data.subarray(data.length >> 1), constants.Z_FINISH);
    core.close();
    const uninterrupted = Buffer.concat(output);
    const result = await runWorker(
      new URL('./snapshot-thread.worker.mjs', import.meta.url),
      { snapshot, rest: data.subarray(data.length >> 1), flush: constants.Z_FINISH },
      30_000,
    );
    const restored = Buffer.concat([
      uninterrupted.subarray(0, lengthAtSnapshot),
      Buffer.from(result.output as Uint8Array),
    ]);
    expect(restored.equals(uninterrupted)).toBe(true);
    expect(gunzipSync(restored).equals(data)).toBe(true);
    expect(result.ended).toBe(true);
  });

  test('an inflate snapshot taken inside the header, and one between gzip members, continue', () => {
    const data = sampleData(50_000);
    const member = createDeflateCore('gzip', { machine: machineA, level: 6 });
    const compressedChunks = collect(member);
    member.push(data, constants.Z_FINISH);
    member.close();
    const compressed = Buffer.concat(compressedChunks);
    const twoMembers = Buffer.concat([compressed, compressed]);
    for (const cut of [5, compressed.length]) {
      for (const engine of ['zlib', 'dfltcc'] as const) {
        const first = createInflateCore('auto', { engine, machine: machineA });
        const output = collect(first);
        first.push(twoMembers.subarray(0, cut), false);
        const snapshot = first.snapshot();
        first.close();
        expect(snapshotKind(snapshot)).toBe('inflate');
        const second = restoreStream(snapshot, { machine: machineB });
        second.ondata = (chunk) => output.push(chunk);
        second.push(twoMembers.subarray(cut), true);
        second.close();
        expect(Buffer.concat(output).equals(Buffer.concat([data, data]))).toBe(true);
      }
    }
  });

  test('taking a snapshot leaves the original stream as it was', () => {
    const data = sampleData(100_000);
    for (const engine of ['zlib', 'dfltcc'] as const) {
      const plain = createDeflateCore('zlib', { engine, level: 1, machine: machineA });
      const watched = createDeflateCore('zlib', { engine, level: 1, machine: machineA });
      const plainOut = collect(plain);
      const watchedOut = collect(watched);
      for (let offset = 0; offset < data.length; offset += 10_000) {
        plain.push(data.subarray(offset, offset + 10_000), constants.Z_NO_FLUSH);
        watched.push(data.subarray(offset, offset + 10_000), constants.Z_NO_FLUSH);
        watched.snapshot();
      }
      plain.push(Buffer.alloc(0), constants.Z_FINISH);
      watched.push(Buffer.alloc(0), constants.Z_FINISH);
      expect(Buffer.concat(watchedOut).equals(Buffer.concat(plainOut))).toBe(true);
      expect(inflateSync(Buffer.concat(watchedOut)).equals(data)).toBe(true);
      plain.close();
      watched.close();
    }
  });

  test('a closed stream has no snapshot', () => {
    const core = createDeflateCore('zlib', { machine: machineA });
    core.close();
    expect(() => core.snapshot()).toThrow(expect.objectContaining({ zaccelCode: 'ZACCEL_STREAM_CLOSED' }));
  });
});

describe('refused snapshots', () => {
  const data = sampleData(30_000);
  const zlibSnapshot = midStream('zlib', 6, data);
  zlibSnapshot.core.close();
  const dfltccSnapshot = midStream('dfltcc', 1, data);
  dfltccSnapshot.core.close();
  const good = zlibSnapshot.snapshot;

  test('the untouched snapshots restore', () => {
    restoreStream(good, { machine: machineB }).close();
    restoreStream(dfltccSnapshot.snapshot, { machine: machineB }).close();
  });

  test('truncated anywhere, or with bytes after its end', () => {
    for (const length of [0, 50, 111, 112, 200, good.length >> 1, good.length - 1]) {
      expectBadSnapshot(() => restoreStream(good.subarray(0, length), { machine: machineB }), /truncated/);
    }
    expectBadSnapshot(
      () => restoreStream(Buffer.concat([good, Buffer.from([0])]), { machine: machineB }),
      /after its end/,
    );
  });

  test('corrupted: any flipped bit of the body fails the checksum', () => {
    for (const at of [112, 116, 200, good.length >> 1, good.length - 1]) {
      const damaged = Buffer.from(good);
      damaged[at] ^= 0x10;
      expectBadSnapshot(() => restoreStream(damaged, { machine: machineB }), /SHA-256/);
    }
  });

  test('made by different wasm modules, another format version, or not a snapshot', () => {
    const foreignZlib = Buffer.from(good);
    foreignZlib[16 + 7] ^= 1;
    expectBadSnapshot(() => restoreStream(foreignZlib, { machine: machineB }), /different zlib module/);
    const foreignEmulator = Buffer.from(dfltccSnapshot.snapshot);
    foreignEmulator[48] ^= 1;
    expectBadSnapshot(() => restoreStream(foreignEmulator, { machine: machineB }), /different dfltcc module/);
    const newer = Buffer.from(good);
    newer.writeUInt16LE(2, 4);
    expectBadSnapshot(() => restoreStream(newer, { machine: machineB }), /format version 2/);
    const other = Buffer.from(good);
    other.write('PK', 0, 'latin1');
    expectBadSnapshot(() => restoreStream(other, { machine: machineB }), /magic/);
  });

  test('forged documents with a valid checksum are refused by their field checks', () => {
    expectBadSnapshot(
      () =>
        restoreStream(
          forge(good, (doc) => (doc.core.level = 42)),
          { machine: machineB },
        ),
      /level/,
    );
    expectBadSnapshot(
      () =>
        restoreStream(
          forge(good, (doc) => (doc.options.memLevel = 12)),
          { machine: machineB },
        ),
      /memLevel/,
    );
    expectBadSnapshot(
      () =>
        restoreStream(
          forge(good, (doc) => (doc.kind = 'transcode')),
          { machine: machineB },
        ),
      /kind/,
    );
    // Options that do not match the zlib state: the glue refuses the state for the arena they size.
    expectBadSnapshot(
      () =>
        restoreStream(
          forge(good, (doc) => (doc.options.memLevel = 1)),
          { machine: machineB },
        ),
      /zlib state/,
    );
    expectBadSnapshot(
      () =>
        restoreStream(
          forge(dfltccSnapshot.snapshot, (doc) => (doc.core.codec.parameterBlock = doc.core.codec.pending)),
          { machine: machineB },
        ),
      /parameterBlock/,
    );
    // The zlib state itself, forged: the glue checks its layout words and the indexes zlib writes through.
    // (Blob: 12 header words, then the z_stream from byte 48 (56 bytes in wasm32, padded to 64), then the
    // deflate_state from byte 112, whose `pending` count is its sixth 32-bit field.)
    expectBadSnapshot(
      () =>
        restoreStream(
          forgeZlibState(good, (blob) => (blob[0] ^= 1)),
          { machine: machineB },
        ),
      /zlib state/,
    );
    expectBadSnapshot(
      () =>
        restoreStream(
          forgeZlibState(good, (blob) => blob.writeUInt32LE(1 << 20, 112 + 20)),
          { machine: machineB },
        ),
      /zlib state/,
    );
    expect(() =>
      restoreStream(
        forgeZlibState(good, () => {}),
        { machine: machineB },
      ).close(),
    ).not.toThrow();
    // A refused restore leaves nothing behind in the Machine.
    const before = machineB.stats().liveRegions;
    expectBadSnapshot(
      () =>
        restoreStream(
          forge(good, (doc) => (doc.options.memLevel = 1)),
          { machine: machineB },
        ),
      /zlib state/,
    );
    expect(machineB.stats().liveRegions).toBe(before);
  });
});
