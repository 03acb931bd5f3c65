/**
 * The handshake between the compressing thread and the writing thread, in a
 * SharedArrayBuffer: the state the writer should be in, the state it last
 * saw, and how many sweeps it made. The compressor waits for the
 * acknowledgement, so "paused" means no write is in flight.
 */
export const enum WriterState {
  PAUSED = 0,
  RUNNING = 1,
  STOPPED = 2,
}

const TARGET = 0;
const ACKNOWLEDGED = 1;
const SWEEPS = 2;

export class WriterControl {
  readonly words: Int32Array;

  constructor(buffer: SharedArrayBuffer = new SharedArrayBuffer(16)) {
    this.words = new Int32Array(buffer);
  }

  get buffer(): SharedArrayBuffer {
    return this.words.buffer as SharedArrayBuffer;
  }

  /** Compressor side: ask for a state and wait until the writer is in it. */
  transition(state: WriterState): void {
    Atomics.store(this.words, TARGET, state);
    Atomics.notify(this.words, TARGET);
    while (Atomics.load(this.words, ACKNOWLEDGED) !== state) {
      // The writer acknowledges within one sweep (a few microseconds): spin, as zlib-ng's test does.
    }
  }

  /** Writer side: the state to be in, acknowledged; blocks while paused. */
  next(): WriterState {
    for (;;) {
      const state = Atomics.load(this.words, TARGET) as WriterState;
      Atomics.store(this.words, ACKNOWLEDGED, state);
      if (state !== WriterState.PAUSED) return state;
      Atomics.wait(this.words, TARGET, WriterState.PAUSED, 50);
    }
  }

  countSweep(): void {
    Atomics.add(this.words, SWEEPS, 1);
  }

  get sweeps(): number {
    return Atomics.load(this.words, SWEEPS);
  }
}
