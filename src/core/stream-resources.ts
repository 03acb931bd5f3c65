/**
 * What one stream holds in a Machine: its codec and its regions. Closing
 * returns all of it, once; every entry point checks the stream is open.
 */
import { ZaccelError } from '../errors.js';
import type { Machine, Region } from '../machine/machine.js';

interface Ending {
  end(): void;
}

/**
 * A stream that is dropped without being closed still returns its memory,
 * when the garbage collector finds it. Closing is the prompt way.
 */
const abandoned = new FinalizationRegistry<StreamResources>((resources) => resources.close());

export class StreamResources {
  private readonly regions = new Set<Region>();
  private readonly codecs: Ending[] = [];
  private isClosed = false;

  /** `owner` is the stream object; its resources are freed if it is collected unclosed. */
  constructor(
    private readonly machine: Machine,
    owner: object,
  ) {
    abandoned.register(owner, this, this);
  }

  get closed(): boolean {
    return this.isClosed;
  }

  /** Take ownership of a codec: it ends when the stream closes. */
  own<T extends Ending>(codec: T): T {
    this.codecs.push(codec);
    return codec;
  }

  region(size: number, alignment = 16): Region {
    try {
      const region = this.machine.alloc(size, alignment);
      this.regions.add(region);
      return region;
    } catch (error) {
      this.close();
      throw error;
    }
  }

  release(region: Region): void {
    if (this.regions.delete(region)) this.machine.free(region);
  }

  assertOpen(): void {
    if (this.isClosed) throw new ZaccelError('ZACCEL_STREAM_CLOSED');
  }

  close(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    abandoned.unregister(this);
    for (const codec of this.codecs.splice(0)) codec.end();
    for (const region of this.regions) this.machine.free(region);
    this.regions.clear();
  }
}
