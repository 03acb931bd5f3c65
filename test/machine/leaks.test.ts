/**
 * 10,000 create/destroy cycles, finished and abandoned, return the
 * Machine's memory to its baseline.
 */
import * as nodeZlib from 'node:zlib';
import { expect, test } from 'vitest';
import {
  closeThreadPool,
  constants,
  createDeflate,
  createDeflateCore,
  createInflateCore,
  deflateSync,
  inflateSync,
  Machine,
} from '../../src/index.js';

test('10,000 deflate and inflate streams, finished and abandoned, leave no memory behind', () => {
  const machine = Machine.create({ maximumBytes: 256 << 20 });
  const input = Buffer.from('leak check '.repeat(300));
  const compressed = nodeZlib.deflateSync(input);
  // Warm up: the first stream instantiates zlib in this thread, with its stack.
  createDeflateCore('zlib', { machine }).close();
  const baseline = machine.stats();
  for (let cycle = 0; cycle < 10_000; cycle++) {
    const finished = cycle % 2 === 0;
    if (cycle % 4 < 2) {
      const core = createDeflateCore('zlib', { machine, level: (cycle % 10) as 1 });
      core.push(input, finished ? constants.Z_FINISH : constants.Z_NO_FLUSH);
      core.close();
    } else {
      const core = createInflateCore('zlib', { machine });
      core.push(finished ? compressed : compressed.subarray(0, 20), finished);
      core.close();
    }
  }
  // One-shots and failed streams clean up after themselves too.
  for (let cycle = 0; cycle < 200; cycle++) {
    deflateSync(input, { machine });
    expect(() => inflateSync(compressed.subarray(0, 30), { machine })).toThrow();
  }
  const after = machine.stats();
  expect(after.bytesInUse).toBe(baseline.bytesInUse);
  expect(after.liveRegions).toBe(baseline.liveRegions);
  // Partitions were reused, not carved afresh for every stream.
  expect(after.bytesOwned).toBeLessThanOrEqual(baseline.bytesOwned + 8 * 1024 * 1024);
});

test('destroyed Transform streams return their memory (in the pool worker that held them)', async () => {
  // A stream's core lives in a pool worker's part of the Machine. 500 leaked cores (over 150 KiB each) could not
  // fit in 64 MiB: the Machine would run out, and the last stream would fail.
  const machine = Machine.create({ maximumBytes: 64 << 20 });
  try {
    for (let cycle = 0; cycle < 500; cycle++) {
      const stream = createDeflate({ machine });
      stream.write(Buffer.from('abandoned mid-stream'));
      stream.destroy();
    }
    const last = createDeflate({ machine });
    const chunks: Buffer[] = [];
    last.on('data', (chunk: Buffer) => chunks.push(chunk));
    last.end('the stream after them still works');
    await new Promise((resolve, reject) => last.on('end', resolve).on('error', reject));
    expect(inflateSync(Buffer.concat(chunks)).toString()).toBe('the stream after them still works');
    expect(machine.stats().carvedTop).toBeLessThan(48 << 20);
  } finally {
    await closeThreadPool();
  }
});
