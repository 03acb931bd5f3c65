/**
 * A stream core's two windows in the Machine: the staging window its input is copied into, and the output window
 * the engine writes to. Streaming calls need them; whole-buffer one-shots work in regions of their own and never
 * do, so each window is made on first use (a one-shot that made them would pay for 64 KiB + the chunk size of
 * allocation it never touches). Both belong to the stream's resources and go when it closes.
 */
import type { Region } from '../machine/machine.js';
import type { StreamResources } from './stream-resources.js';

/** Input staging size: at least 64 KiB, so small output chunks don't mean many small engine calls. */
export function stageBytes(chunkSize: number): number {
  return Math.max(64 * 1024, chunkSize);
}

export class StreamWindows {
  private stageRegion: Region | undefined;
  private outputRegion: Region | undefined;

  constructor(
    private readonly resources: StreamResources,
    private readonly chunkSize: number,
  ) {}

  /** The input staging window (made on first use). */
  get stage(): Region {
    this.stageRegion ??= this.resources.region(stageBytes(this.chunkSize));
    return this.stageRegion;
  }

  /** The output window, `chunkSize` bytes (made on first use). */
  get output(): Region {
    this.outputRegion ??= this.resources.region(this.chunkSize);
    return this.outputRegion;
  }
}
