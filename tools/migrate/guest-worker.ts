/**
 * The running guest: writes pages of its RAM, 90% of them in its hot set,
 * and sets each page's dirty bit after the write. In rendezvous mode it
 * writes only the pages the channels ask for, when they ask.
 */
import { workerData } from 'node:worker_threads';
import { Random } from '../corpus/corpus.js';
import { WriterControl, WriterState } from '../hazard/writer-control.js';
import { GuestMemory } from '../../src/internal.js';
import { Machine } from '../../src/index.js';
import type { GuestWorkerData } from './protocol.js';

const data = workerData as GuestWorkerData;
const guest = new GuestMemory(Machine.attach(data.descriptor), data.layout);
const control = new WriterControl(data.control);
const writes = new Int32Array(data.writes);
const { options } = data;
const random = new Random(options.seed ^ 0x5eed);
const hot = Math.max(1, Math.min(options.hotPages, guest.pages));
const patch = new Uint8Array(8);
const pause = new Int32Array(new SharedArrayBuffer(4));
const interval = options.dirtyRate > 0 ? 1000 / options.dirtyRate : 0;
let next = performance.now();

/** One write of the guest's pattern to a page, then its dirty bit. */
function writePage(page: number): void {
  const address = guest.pageAddress(page);
  if (options.pattern === 'counter') {
    guest.increment(address, 1);
  } else if (options.pattern === 'copy') {
    // Change a 64-byte line of the page, then copy the whole page to the next one, as a guest copying buffers does.
    const target = (page + 1) % guest.pages;
    guest.increment(address + random.below(options.pageSize / 64) * 64, 64);
    guest.copyWithin(guest.pageAddress(target), address, options.pageSize);
    Atomics.add(writes, target, 1);
    guest.markDirty(target);
  } else if (options.pattern === 'increment') {
    guest.increment(address, options.pageSize);
  } else {
    random.fill(patch);
    guest.writePage(page, patch, random.below(options.pageSize / 8) * 8);
  }
  Atomics.add(writes, page, 1);
  guest.markDirty(page);
}

let sweep = 0;
if (options.rendezvous) {
  // A channel asks for a write to the page its accelerator is reading, inside the window between the two reads.
  control.serveRequests((address) => writePage(Math.floor((address - data.layout.ramAddress) / options.pageSize)));
}
while (control.next() === WriterState.RUNNING) {
  // The counter and copy guests walk their hot set in order; the others pick pages at random, 90% in the hot set.
  const walking = options.pattern === 'counter' || options.pattern === 'copy';
  writePage(walking ? sweep++ % hot : random.below(10) < 9 ? random.below(hot) : random.below(guest.pages));
  control.countSweep();
  if (interval > 0) {
    next += interval;
    const wait = next - performance.now();
    if (wait > 0) Atomics.wait(pause, 0, 0, wait);
  }
}
