/**
 * QEMU multifd live migration in miniature (DESIGN.md section 8). Guest RAM
 * lives in a shared Machine while a guest thread writes it; channel threads
 * compress packets of dirty pages where they lie, each on one persistent
 * deflate stream; a destination inflates every channel's stream into its
 * own RAM. Rounds repeat until the dirty set converges or the round limit;
 * then the guest stops, the rest is sent, and every page is compared.
 */
import { Worker } from 'node:worker_threads';
import { createInflateCore, type InflateCore, Machine } from '../../src/index.js';
import { vmPages } from '../corpus/corpus.js';
import { WriterControl, WriterState } from '../hazard/writer-control.js';
import { GuestMemory } from '../../src/internal.js';
import { workerUrl } from '../worker-url.js';
import type {
  ChannelTotals,
  ChannelWorkerData,
  GuestWorkerData,
  MigrateOptions,
  PacketJob,
  PacketSent,
} from './protocol.js';

export interface MigrateResult {
  options: MigrateOptions;
  /** Live rounds, plus the final round with the guest stopped. */
  rounds: number;
  converged: boolean;
  pagesSent: number;
  /** Pages sent more than once, because the guest wrote them again. */
  pagesResent: number;
  /** Uncompressed bytes compressed. */
  bytesIn: number;
  /** Compressed bytes sent. */
  bytesOut: number;
  copies: number;
  copyBytes: number;
  copyNanoseconds: number;
  /** Time the channels spent compressing (copies included). */
  compressNanoseconds: number;
  fallbacks: number;
  guestWrites: number;
  /** Pages whose destination copy differs from the source after migration. */
  corruptedPages: number;
  firstCorruptedPage: number | null;
  /** ...of which the guest never wrote during the migration: corruption that reached stable pages. */
  corruptedUnwrittenPages: number;
  /** Packets the destination could not decode at all. */
  decodeErrors: number;
  seconds: number;
}

export type MigrateProgress = (round: number, dirty: number, pagesSent: number) => void;

class Destination {
  readonly ram: Buffer;
  private readonly streams: InflateCore[];
  private readonly broken: boolean[];
  decodeErrors = 0;

  constructor(
    private readonly options: MigrateOptions,
    pages: number,
  ) {
    this.ram = Buffer.alloc(pages * options.pageSize);
    this.streams = Array.from({ length: options.channels }, () => createInflateCore('zlib', { chunkSize: 256 * 1024 }));
    this.broken = this.streams.map(() => false);
  }

  /** Inflate one packet (in its channel's order) into the destination's RAM. */
  receive(packet: PacketSent): void {
    if (this.broken[packet.channel]) return;
    const pieces: Buffer[] = [];
    const stream = this.streams[packet.channel];
    stream.ondata = (chunk) => pieces.push(chunk);
    try {
      stream.push(packet.data, false);
    } catch {
      // A corrupt stream cannot be resynchronised: the rest of this channel is lost.
      this.decodeErrors++;
      this.broken[packet.channel] = true;
      return;
    }
    const received = Buffer.concat(pieces);
    packet.pages.forEach((page, index) => {
      received.copy(
        this.ram,
        page * this.options.pageSize,
        index * this.options.pageSize,
        (index + 1) * this.options.pageSize,
      );
    });
  }

  close(): void {
    for (const stream of this.streams) stream.close();
  }
}

export async function runMigration(options: MigrateOptions, progress?: MigrateProgress): Promise<MigrateResult> {
  const started = process.hrtime.bigint();
  const pages = Math.ceil(options.ramBytes / options.pageSize);
  const machine = Machine.create({
    initialBytes: 16 << 20,
    maximumBytes: Math.max(256 << 20, 2 * pages * options.pageSize + (64 << 20)),
  });
  const { guest } = GuestMemory.create(machine, pages * options.pageSize, options.pageSize);
  for (let offset = 0, chunk = 1 << 20; offset < guest.layout.ramBytes; offset += chunk) {
    const bytes = vmPages(
      Math.min(chunk, guest.layout.ramBytes - offset),
      options.seed + offset / chunk,
      undefined,
      options.pageSize,
    );
    guest.writePage(offset / options.pageSize, bytes);
  }
  const control = new WriterControl();
  const writes = new SharedArrayBuffer(pages * 4);
  const guestData: GuestWorkerData = {
    descriptor: machine.descriptor,
    layout: guest.layout,
    control: control.buffer,
    writes,
    options,
  };
  const guestThread = new Worker(workerUrl('migrate/guest-worker'), { workerData: guestData });
  const channels = Array.from({ length: options.channels }, (_, channel) => {
    const channelData: ChannelWorkerData = {
      descriptor: machine.descriptor,
      layout: guest.layout,
      control: control.buffer,
      channel,
      options,
    };
    return new Worker(workerUrl('migrate/channel-worker'), { workerData: channelData });
  });
  const destination = new Destination(options, pages);
  const sentCount = new Int32Array(pages);
  let failure: Error | undefined;
  const failed = (error: Error) => (failure ??= error);
  guestThread.on('error', failed);
  for (const channel of channels) channel.on('error', failed);

  let packetId = 0;
  let pagesSent = 0;
  let bytesIn = 0;
  let bytesOut = 0;
  let compressNanoseconds = 0;
  // Each channel answers its packets in order; a round waits until every packet it sent was received.
  let outstanding = 0;
  let roundDone: (() => void) | undefined;
  for (const channel of channels) {
    channel.on('message', (message: PacketSent | ChannelTotals) => {
      if (message.type !== 'sent') return;
      destination.receive(message);
      pagesSent += message.pages.length;
      bytesIn += message.bytesIn;
      bytesOut += message.data.length;
      compressNanoseconds += message.compressNanoseconds;
      if (--outstanding === 0) roundDone?.();
    });
  }
  /** Send the dirty pages as packets spread over the channels, and wait until the destination has them all. */
  const sendRound = async (stable: boolean): Promise<number> => {
    const dirty: number[] = [];
    for (let page = 0; page < pages; page++) if (guest.takeDirty(page)) dirty.push(page);
    const finished = new Promise<void>((resolve) => (roundDone = resolve));
    for (let start = 0, index = 0; start < dirty.length; start += options.packetPages, index++) {
      const job: PacketJob = {
        type: 'packet',
        id: packetId++,
        pages: dirty.slice(start, start + options.packetPages),
        stable,
      };
      outstanding++;
      channels[index % channels.length].postMessage(job);
    }
    if (outstanding > 0) await finished;
    for (const page of dirty) sentCount[page]++;
    return dirty.length;
  };

  let rounds = 0;
  let converged = false;
  const convergedAt = options.channels * options.packetPages;
  try {
    control.transition(WriterState.RUNNING);
    while (rounds < options.rounds) {
      const sent = await sendRound(false);
      rounds++;
      if (failure) throw failure;
      const remaining = guest.dirtyCount();
      progress?.(rounds, remaining, pagesSent);
      if (rounds > 1 && remaining <= convergedAt) {
        converged = true;
        break;
      }
      if (sent === 0) await new Promise((resolve) => setTimeout(resolve, 1));
    }
    // Stop the guest, then send what is still dirty: nothing writes those pages now.
    control.transition(WriterState.PAUSED);
    await sendRound(true);
    rounds++;
    if (failure) throw failure;
    progress?.(rounds, 0, pagesSent);

    const totals = await Promise.all(
      channels.map(
        (channel) =>
          new Promise<ChannelTotals>((resolve) => {
            const onMessage = (message: PacketSent | ChannelTotals) => {
              if (message.type !== 'totals') return;
              channel.off('message', onMessage);
              resolve(message);
            };
            channel.on('message', onMessage);
            channel.postMessage({ type: 'totals' });
          }),
      ),
    );
    const guestWrites = new Int32Array(writes);
    let corruptedPages = 0;
    let corruptedUnwrittenPages = 0;
    let firstCorruptedPage: number | null = null;
    for (let page = 0; page < pages; page++) {
      const start = page * options.pageSize;
      if (guest.readPage(page).equals(destination.ram.subarray(start, start + options.pageSize))) continue;
      corruptedPages++;
      firstCorruptedPage ??= page;
      if (Atomics.load(guestWrites, page) === 0) corruptedUnwrittenPages++;
    }
    let pagesResent = 0;
    for (let page = 0; page < pages; page++) if (sentCount[page] > 1) pagesResent++;
    return {
      options,
      rounds,
      converged,
      pagesSent,
      pagesResent,
      bytesIn,
      bytesOut,
      copies: totals.reduce((sum, t) => sum + t.copies, 0),
      copyBytes: totals.reduce((sum, t) => sum + t.copyBytes, 0),
      copyNanoseconds: totals.reduce((sum, t) => sum + t.copyNanoseconds, 0),
      compressNanoseconds,
      fallbacks: totals.reduce((sum, t) => sum + t.fallbacks, 0),
      guestWrites: control.sweeps,
      corruptedPages,
      firstCorruptedPage,
      corruptedUnwrittenPages,
      decodeErrors: destination.decodeErrors,
      seconds: Number(process.hrtime.bigint() - started) / 1e9,
    };
  } finally {
    control.stop();
    destination.close();
    await Promise.all([guestThread.terminate(), ...channels.map((channel) => channel.terminate())]);
  }
}
