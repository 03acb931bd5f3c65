/**
 * Guest RAM in a Machine: pages that a running "guest" (another thread)
 * writes while they are being compressed, and a dirty bitmap in shared
 * memory that the writer sets after each write and the migration clears
 * before each send. This is the memory a DFLTCC engine may read twice.
 */
import type { Machine, Region } from './machine.js';

/** Where a guest's pages and dirty words live; structured-cloneable, for workers. */
export interface GuestLayout {
  ramAddress: number;
  ramBytes: number;
  pageSize: number;
  /** One 32-bit word per page: 1 = dirty. */
  dirtyAddress: number;
}

export class GuestMemory {
  readonly pages: number;
  private readonly dirty: Int32Array;

  constructor(
    private readonly machine: Machine,
    readonly layout: GuestLayout,
  ) {
    this.pages = Math.ceil(layout.ramBytes / layout.pageSize);
    this.dirty = machine.int32View(layout.dirtyAddress, this.pages);
  }

  /** Allocate RAM and its dirty bitmap in `machine`. Every page starts dirty (nothing sent yet). */
  static create(machine: Machine, ramBytes: number, pageSize: number): { guest: GuestMemory; regions: Region[] } {
    const pages = Math.ceil(ramBytes / pageSize);
    const ram = machine.alloc(pages * pageSize, 4096);
    const dirty = machine.alloc(pages * 4, 4);
    machine.fill(ram.address, ram.size, 0);
    const guest = new GuestMemory(machine, {
      ramAddress: ram.address,
      ramBytes: pages * pageSize,
      pageSize,
      dirtyAddress: dirty.address,
    });
    for (let page = 0; page < pages; page++) guest.markDirty(page);
    return { guest, regions: [ram, dirty] };
  }

  pageAddress(page: number): number {
    return this.layout.ramAddress + page * this.layout.pageSize;
  }

  /** Write a page's bytes (the guest's writes go through here, then markDirty). */
  writePage(page: number, bytes: Uint8Array, offset = 0): void {
    this.machine.write(this.pageAddress(page) + offset, bytes);
  }

  /** Add 1 to every byte of [address, address + length): one sweep of zlib-ng's mutator. */
  increment(address: number, length: number): void {
    const view = this.machine.view(address, length);
    for (let index = 0; index < length; index++) view[index] = (view[index] + 1) & 0xff;
  }

  /** A copy of a page, for comparison. */
  readPage(page: number): Buffer {
    return this.machine.read(this.pageAddress(page), this.layout.pageSize);
  }

  /** A copy of any range of the guest's memory. */
  readRange(address: number, length: number): Buffer {
    return this.machine.read(address, length);
  }

  /** Copy the source's bytes into a page (memmove inside the machine). */
  copyWithin(targetAddress: number, sourceAddress: number, length: number): void {
    this.machine.copy(targetAddress, sourceAddress, length);
  }

  /** Set after the write has happened (sequentially consistent, so at least release ordering). */
  markDirty(page: number): void {
    Atomics.store(this.dirty, page, 1);
  }

  /** Clear and return the dirty bit, before the page is read for sending. */
  takeDirty(page: number): boolean {
    return Atomics.exchange(this.dirty, page, 0) === 1;
  }

  dirtyCount(): number {
    let count = 0;
    for (let page = 0; page < this.pages; page++) count += Atomics.load(this.dirty, page);
    return count;
  }
}
