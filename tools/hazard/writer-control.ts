/**
 * The handshake between the compressing thread and the writing thread, in a
 * SharedArrayBuffer: the state the writer should be in, the state it last
 * saw, and how many sweeps it made. The compressor waits for the
 * acknowledgement, so "paused" means no write is in flight.
 *
 * Rendezvous mode makes the race deterministic without leaving real threads:
 * the writer thread writes only when the compressor asks, from inside the
 * emulator's hazard hook (between the accelerator's encode read and history
 * read), and the compressor waits until that write is done. Every run then
 * writes exactly where the race is worst, whatever the scheduler does, so a
 * test that expects corruption cannot miss it on a busy machine.
 */
export enum WriterState {
  PAUSED = 0,
  RUNNING = 1,
  STOPPED = 2,
}

const TARGET = 0;
const ACKNOWLEDGED = 1;
const SWEEPS = 2;
/** Bumped on every state change and request: the word a waiting rendezvous writer sleeps on. */
const DOORBELL = 3;
/** Requests made and served, in order; one at a time (LOCK), so one address and length slot is enough. */
const REQUESTED = 4;
const SERVED = 5;
const REQUEST_ADDRESS = 6;
const REQUEST_LENGTH = 7;
const LOCK = 8;
const WORDS = 9;

export class WriterControl {
  readonly words: Int32Array;

  constructor(buffer: SharedArrayBuffer = new SharedArrayBuffer(WORDS * 4)) {
    this.words = new Int32Array(buffer);
  }

  get buffer(): SharedArrayBuffer {
    return this.words.buffer as SharedArrayBuffer;
  }

  /** Compressor side: ask for a state and wait until the writer is in it. */
  transition(state: WriterState): void {
    Atomics.store(this.words, TARGET, state);
    Atomics.notify(this.words, TARGET);
    this.ring();
    while (Atomics.load(this.words, ACKNOWLEDGED) !== state) {
      // The writer acknowledges within one sweep (a few microseconds): spin, as zlib-ng's test does.
    }
  }

  /** Stop the writer for good, without waiting: it may already be gone. */
  stop(): void {
    Atomics.store(this.words, TARGET, WriterState.STOPPED);
    Atomics.notify(this.words, TARGET);
    this.ring();
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

  /**
   * Compressor side, rendezvous mode: have the writer thread write now, around `length` bytes at `address` (the
   * input the accelerator is reading), and return once it has. Only while the writer is RUNNING: a paused or
   * stopped writer serves nothing, so then this returns at once without a write.
   */
  requestWrite(address: number, length: number): void {
    while (Atomics.compareExchange(this.words, LOCK, 0, 1) !== 0) Atomics.wait(this.words, LOCK, 1);
    try {
      if (Atomics.load(this.words, TARGET) !== WriterState.RUNNING) return;
      Atomics.store(this.words, REQUEST_ADDRESS, address);
      Atomics.store(this.words, REQUEST_LENGTH, length);
      const ticket = Atomics.add(this.words, REQUESTED, 1) + 1;
      this.ring();
      for (let served = Atomics.load(this.words, SERVED); served < ticket; served = Atomics.load(this.words, SERVED)) {
        // A writer that was asked to stop meanwhile will not serve: do not wait for it.
        if (Atomics.load(this.words, TARGET) === WriterState.STOPPED) return;
        Atomics.wait(this.words, SERVED, served, 100);
      }
    } finally {
      Atomics.store(this.words, LOCK, 0);
      Atomics.notify(this.words, LOCK, 1);
    }
  }

  /**
   * Writer side, rendezvous mode: serve every request with `write` until stopped. Between requests the writer
   * sleeps on the doorbell instead of spinning, so it takes no CPU from the compressor.
   */
  serveRequests(write: (address: number, length: number) => void): void {
    let served = Atomics.load(this.words, SERVED);
    for (;;) {
      const rung = Atomics.load(this.words, DOORBELL);
      if (this.next() === WriterState.STOPPED) return;
      if (Atomics.load(this.words, REQUESTED) > served) {
        write(Atomics.load(this.words, REQUEST_ADDRESS), Atomics.load(this.words, REQUEST_LENGTH));
        this.countSweep();
        Atomics.store(this.words, SERVED, ++served);
        Atomics.notify(this.words, SERVED);
        continue;
      }
      Atomics.wait(this.words, DOORBELL, rung);
    }
  }

  private ring(): void {
    Atomics.add(this.words, DOORBELL, 1);
    Atomics.notify(this.words, DOORBELL);
  }
}
