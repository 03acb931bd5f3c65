/**
 * 10,000 create/destroy cycles, finished and abandoned, return the
 * Machine's memory to its baseline.
 */
import * as nodeZlib from 'node:zlib';
import { expect, test } from 'vitest';
import { constants, createDeflate, createDeflateCore, createInflateCore, deflateSync, inflateSync, Machine } from '../../src/index.js';

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

test('destroyed Transform streams return their memory', async () => {
  const machine = Machine.create({ maximumBytes: 64 << 20 });
  createDeflateCore('zlib', { machine }).close();
  const baseline = machine.stats().bytesInUse;
  for (let cycle = 0; cycle < 500; cycle++) {
    const stream = createDeflate({ machine });
    stream.write(Buffer.from('abandoned mid-stream'));
    stream.destroy();
  }
  await new Promise((resolve) => setImmediate(resolve));
  expect(machine.stats().bytesInUse).toBe(baseline);
});
