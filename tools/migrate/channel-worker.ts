/**
 * One multifd channel: a persistent deflate stream, as QEMU keeps one per
 * channel, compressing packets of guest pages where they lie. Each packet's
 * last page is compressed with Z_SYNC_FLUSH, so the destination can decode
 * the packet as soon as it arrives.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { constants, createDeflateCore, Machine } from '../../src/index.js';
import { type DfltccDeflateCodec, GuestMemory } from '../../src/internal.js';
import { WriterControl } from '../hazard/writer-control.js';
import type { ChannelTotals, ChannelWorkerData, PacketJob, PacketSent } from './protocol.js';

const data = workerData as ChannelWorkerData;
const machine = Machine.attach(data.descriptor);
const guest = new GuestMemory(machine, data.layout);
const { options } = data;
const core = createDeflateCore('zlib', {
  machine,
  engine: options.engine,
  level: options.level as 1,
  dfltccModel: options.model,
  cpuAmount: options.cpuAmount,
  copy: options.copy,
  chunkSize: 64 * 1024,
});
let output: Buffer[] = [];
core.ondata = (chunk) => output.push(chunk);
// Rendezvous: while the guest runs, it writes the page being read inside the accelerator's window.
let live = false;
let page = 0;
if (options.rendezvous && options.engine === 'dfltcc') {
  const control = new WriterControl(data.control);
  (core.codec as DfltccDeflateCodec).hazardHook = (_parameterBlock, _address, _length) => {
    // The page, not the input address: with a copy, the accelerator reads the copy and the guest writes the page.
    if (live) control.requestWrite(guest.pageAddress(page), options.pageSize);
  };
}

parentPort!.on('message', (job: PacketJob | { type: 'totals' }) => {
  if (job.type === 'totals') {
    const counters = core.copies.counters;
    const totals: ChannelTotals = {
      type: 'totals',
      channel: data.channel,
      ...counters,
      fallbacks: core.codec.fallbacks,
    };
    parentPort!.postMessage(totals);
    return;
  }
  output = [];
  live = !job.stable;
  const started = process.hrtime.bigint();
  job.pages.forEach((current, index) => {
    const last = index === job.pages.length - 1;
    page = current;
    core.pushRegion(
      { address: guest.pageAddress(page), length: options.pageSize, stable: job.stable },
      last ? constants.Z_SYNC_FLUSH : constants.Z_NO_FLUSH,
    );
  });
  const compressNanoseconds = Number(process.hrtime.bigint() - started);
  // A buffer of its own (not from Buffer's shared pool), so it can be transferred.
  const packet = new Uint8Array(output.reduce((sum, chunk) => sum + chunk.length, 0));
  let offset = 0;
  for (const chunk of output) {
    packet.set(chunk, offset);
    offset += chunk.length;
  }
  const sent: PacketSent = {
    type: 'sent',
    id: job.id,
    channel: data.channel,
    pages: job.pages,
    data: packet,
    bytesIn: job.pages.length * options.pageSize,
    compressNanoseconds,
  };
  parentPort!.postMessage(sent, [packet.buffer as ArrayBuffer]);
});
