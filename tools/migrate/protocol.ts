/**
 * What the migration thread, the guest and the channels tell each other.
 */
import type { AccessModel, CopyPolicy, EngineName, MachineDescriptor } from '../../src/index.js';
import type { GuestLayout } from '../../src/internal.js';

export type WritePattern = 'counter' | 'copy' | 'increment' | 'patch';

export interface MigrateOptions {
  engine: EngineName;
  model: AccessModel;
  copy: CopyPolicy;
  /** Guest RAM in bytes. */
  ramBytes: number;
  pageSize: number;
  channels: number;
  /** Pages per packet; each packet ends with Z_SYNC_FLUSH, as QEMU's multifd does. */
  packetPages: number;
  /** Pages the guest writes per second; 0 = as fast as it can. */
  dirtyRate: number;
  /** The guest's working set: 90% of its writes land in the first `hotPages` pages. */
  hotPages: number;
  /**
   * `counter`: the guest of QEMU's migration-test, incrementing the first byte of page after page.
   * `copy`: a guest copying buffers: it changes a hot page and copies it to the page after it, page after page.
   * `increment`: every byte of a page +1 (zlib-ng's writer). `patch`: one random 8-byte word changes.
   */
  pattern: WritePattern;
  /** Live rounds before the guest is stopped, at most. */
  rounds: number;
  seed: number;
  level: number;
  cpuAmount: number;
  /**
   * dfltcc: the guest writes only when a channel's hazard hook asks, the page the accelerator is reading,
   * between its encode read and history read, and the channel waits for it (WriterControl's rendezvous).
   * Real threads, with the race's worst case on every live call, whatever the scheduler does (tests).
   */
  rendezvous?: boolean;
}

export interface GuestWorkerData {
  descriptor: MachineDescriptor;
  layout: GuestLayout;
  control: SharedArrayBuffer;
  /** One word per page: how many times the guest wrote it. */
  writes: SharedArrayBuffer;
  options: MigrateOptions;
}

export interface ChannelWorkerData {
  descriptor: MachineDescriptor;
  layout: GuestLayout;
  /** The guest's WriterControl, for rendezvous requests. */
  control: SharedArrayBuffer;
  channel: number;
  options: MigrateOptions;
}

/** A packet to send: these pages, compressed where they lie. */
export interface PacketJob {
  type: 'packet';
  id: number;
  pages: number[];
  /** The guest is stopped: nothing writes these pages now. */
  stable: boolean;
}

export interface PacketSent {
  type: 'sent';
  id: number;
  channel: number;
  pages: number[];
  data: Uint8Array;
  /** Uncompressed bytes read. */
  bytesIn: number;
  compressNanoseconds: number;
}

export interface ChannelTotals {
  type: 'totals';
  channel: number;
  copies: number;
  copyBytes: number;
  copyNanoseconds: number;
  fallbacks: number;
}
