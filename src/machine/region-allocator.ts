/**
 * A first-fit allocator over address ranges, with coalescing. It keeps its
 * bookkeeping in JavaScript and never touches the memory it hands out: one
 * allocator belongs to one thread's Machine handle, so threads sharing a
 * Machine never share allocator state.
 */
export interface Span {
  address: number;
  size: number;
}

export class RegionAllocator {
  /** Free spans, sorted by address, never adjacent (adjacent ones are merged). */
  private readonly free: Span[] = [];
  /** Live allocations: address -> size. */
  private readonly live = new Map<number, number>();
  private bytesInUse = 0;
  private bytesOwned = 0;

  /** Give the allocator a range it may hand out. */
  addRange(address: number, size: number): void {
    this.bytesOwned += size;
    this.insertFree(address, size);
  }

  /** First fit. Returns the address, or -1 when no free span is large enough. */
  allocate(size: number, alignment: number): number {
    for (let index = 0; index < this.free.length; index++) {
      const span = this.free[index];
      const address = alignUp(span.address, alignment);
      const padding = address - span.address;
      if (padding + size > span.size) continue;
      const tail = span.size - padding - size;
      // The span keeps what is left before the allocation, or else after it; a tail after padding is a new span.
      // In place, because this runs for every region of every one-shot.
      if (padding > 0) {
        span.size = padding;
        if (tail > 0) this.free.splice(index + 1, 0, { address: address + size, size: tail });
      } else if (tail > 0) {
        span.address = address + size;
        span.size = tail;
      } else {
        this.free.splice(index, 1);
      }
      this.live.set(address, size);
      this.bytesInUse += size;
      return address;
    }
    return -1;
  }

  /** Returns false when the address was not allocated (a double free or a stray pointer). */
  release(address: number): boolean {
    const size = this.live.get(address);
    if (size === undefined) return false;
    this.live.delete(address);
    this.bytesInUse -= size;
    this.insertFree(address, size);
    return true;
  }

  sizeOf(address: number): number | undefined {
    return this.live.get(address);
  }

  stats(): { bytesInUse: number; bytesOwned: number; liveRegions: number; freeSpans: number } {
    return {
      bytesInUse: this.bytesInUse,
      bytesOwned: this.bytesOwned,
      liveRegions: this.live.size,
      freeSpans: this.free.length,
    };
  }

  liveSpans(): Span[] {
    return [...this.live].map(([address, size]) => ({ address, size }));
  }

  private insertFree(address: number, size: number): void {
    // Binary search for the first span after `address`.
    let low = 0;
    let high = this.free.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (this.free[middle].address < address) low = middle + 1;
      else high = middle;
    }
    const span: Span = { address, size };
    const before = this.free[low - 1];
    const after = this.free[low];
    if (before !== undefined && before.address + before.size === address) {
      before.size += size;
      if (after !== undefined && before.address + before.size === after.address) {
        before.size += after.size;
        this.free.splice(low, 1);
      }
      return;
    }
    if (after !== undefined && address + size === after.address) {
      after.address = address;
      after.size += size;
      return;
    }
    this.free.splice(low, 0, span);
  }
}

export function alignUp(value: number, alignment: number): number {
  return Math.ceil(value / alignment) * alignment;
}
