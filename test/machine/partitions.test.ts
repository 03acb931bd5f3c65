/**
 * The partition table: every partition is recorded with its owner, and a handle started in place of a thread
 * that ended adopts that thread's partitions instead of carving new ones.
 */
import { Worker } from 'node:worker_threads';
import { expect, test } from 'vitest';
import { Machine } from '../../src/index.js';

const MiB = 1024 * 1024;

test('a handle adopts the partitions of an owner that ended: the same bytes, nothing new carved', () => {
  const machine = Machine.create({ maximumBytes: 64 * MiB });
  const gone = Machine.attach(machine.descriptor);
  gone.alloc(3 * MiB);
  gone.alloc(2 * MiB); // a second partition
  const goneStats = gone.stats();
  expect(goneStats.partitions).toBe(2);
  const top = machine.stats().carvedTop;

  const replacement = Machine.attach(machine.descriptor);
  expect(replacement.owner).not.toBe(gone.owner);
  expect(replacement.adoptPartitions(gone.owner)).toBe(goneStats.bytesOwned);
  expect(replacement.stats()).toMatchObject({ bytesOwned: goneStats.bytesOwned, partitions: 2, bytesInUse: 0 });
  // The adopted space is whole and free: the same allocations fit without carving.
  replacement.alloc(3 * MiB);
  replacement.alloc(2 * MiB);
  expect(machine.stats().carvedTop).toBe(top);
  // Adopting again finds nothing: each partition has one owner.
  expect(Machine.attach(machine.descriptor).adoptPartitions(gone.owner)).toBe(0);
  expect(() => replacement.adoptPartitions(replacement.owner)).toThrow(/invalid owner/);
});

test('owner ids reserved by one handle are taken by handles that attach in other threads', () => {
  const machine = Machine.create({ maximumBytes: 64 * MiB });
  const reserved = machine.reserveOwner();
  expect(Machine.attach(machine.descriptor, { owner: reserved }).owner).toBe(reserved);
  expect(() => Machine.attach(machine.descriptor, { owner: reserved + 5 })).toThrow(/invalid owner/);
  expect(() => Machine.attach(machine.descriptor, { owner: 1 })).toThrow(/invalid owner/);
});

test('a worker thread that dies leaves its partitions to the next thread, which adopts them', async () => {
  const machine = Machine.create({ maximumBytes: 64 * MiB });
  const owner = machine.reserveOwner();
  // The worker carves by allocating, then exits without freeing: as a crash would leave it.
  const source = `
    const { workerData, parentPort } = require('node:worker_threads');
    import(workerData.machineUrl).then(({ Machine }) => {
      const handle = Machine.attach(workerData.descriptor, { owner: workerData.owner });
      handle.alloc(5 * 1024 * 1024);
      parentPort.postMessage(handle.stats());
      process.exit(0);
    });`;
  const machineUrl = new URL('../../dist/src/machine/machine.js', import.meta.url).href;
  const stats = await new Promise<{ bytesOwned: number }>((resolve, reject) => {
    const worker = new Worker(source, {
      eval: true,
      workerData: { descriptor: machine.descriptor, owner, machineUrl },
    });
    let message: { bytesOwned: number } | undefined;
    worker.once('message', (value) => (message = value));
    worker.once('error', reject);
    worker.once('exit', () => (message === undefined ? reject(new Error('no stats')) : resolve(message)));
  });
  expect(stats.bytesOwned).toBeGreaterThanOrEqual(5 * MiB);
  const top = machine.stats().carvedTop;
  const replacement = Machine.attach(machine.descriptor);
  expect(replacement.adoptPartitions(owner)).toBe(stats.bytesOwned);
  replacement.alloc(5 * MiB);
  expect(machine.stats().carvedTop).toBe(top);
});
