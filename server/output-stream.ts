/**
 * The response body of one write: a Readable fed by a worker's output
 * messages. Bytes are acknowledged to the worker only as the response takes
 * them, which is what keeps a slow client from making the worker (and this
 * thread) buffer without bound.
 *
 * Before the response commits to a status, output is held back: `ready()`
 * settles once more than `commitBytes` are held (so an output cap up to
 * `commitBytes` is always answered with a clean 413), or the write completed, or it failed.
 * A failure before that point becomes a JSON error answer; a failure after it
 * destroys this stream, and Fastify then destroys the socket, so a chunked
 * response never gets its terminating chunk and cannot look complete.
 */
import { Readable } from 'node:stream';

export type Readiness = 'complete' | 'streaming';

const ACK_BATCH = 256 * 1024;

export class OutputStream extends Readable {
  private readonly queue: Buffer[] = [];
  private queued = 0;
  private wanting = false;
  private complete = false;
  private failure: Error | undefined;
  private settle: { resolve: (value: Readiness) => void; reject: (error: Error) => void } | undefined;
  private readonly readiness: Promise<Readiness>;
  /** Total bytes delivered by the worker. */
  bytes = 0;
  /** Bytes taken by the response but not yet acknowledged: acks go in batches, each message has a cost. */
  private unacknowledged = 0;

  constructor(
    private readonly ack: (bytes: number) => void,
    private readonly commitBytes: number,
    /** Called once if the stream is destroyed before the output completed: the client went away. */
    private readonly onAbort: (error: Error) => void,
  ) {
    super({ highWaterMark: 64 * 1024 });
    this.readiness = new Promise<Readiness>((resolve, reject) => {
      this.settle = { resolve, reject };
    });
    this.readiness.catch(() => {}); // observed by ready(); a failure nobody waits for is not unhandled
  }

  /** Resolves 'complete' (all output is held) or 'streaming' (more than commitBytes are held); rejects on an early failure. */
  ready(): Promise<Readiness> {
    return this.readiness;
  }

  get failed(): Error | undefined {
    return this.failure;
  }

  deliver(chunk: Buffer): void {
    if (this.destroyed || this.failure !== undefined) {
      this.ack(chunk.length);
      return;
    }
    this.bytes += chunk.length;
    if (this.wanting) {
      this.taken(chunk.length);
      this.wanting = this.push(chunk);
      return;
    }
    this.queue.push(chunk);
    this.queued += chunk.length;
    if (this.queued > this.commitBytes) this.settleWith('streaming');
  }

  /** The write completed: everything it produced has been delivered. */
  finish(): void {
    this.complete = true;
    this.settleWith('complete');
    if (this.wanting && this.queue.length === 0) this.push(null);
  }

  /** The write failed. Before commit this rejects ready(); after it, the response is destroyed. */
  fail(error: Error): void {
    if (this.failure !== undefined || this.complete) return;
    this.failure = error;
    if (this.settle !== undefined) {
      const { reject } = this.settle;
      this.settle = undefined;
      reject(error);
      this.release();
    } else if (!this.destroyed) {
      this.destroy(error);
    }
  }

  /** For a complete answer: all held output in one buffer. */
  takeAll(): Buffer {
    const all = this.queue.length === 1 ? this.queue[0] : Buffer.concat(this.queue, this.queued);
    this.release();
    return all;
  }

  override _read(): void {
    this.wanting = true;
    while (this.wanting && this.queue.length > 0) {
      const chunk = this.queue.shift()!;
      this.queued -= chunk.length;
      this.taken(chunk.length);
      this.wanting = this.push(chunk);
    }
    if (this.queue.length === 0 && this.complete) {
      this.push(null);
      this.flushAcks();
    }
  }

  /**
   * The response took these bytes. Acknowledged in batches of ACK_BATCH: the
   * worker's window (commitBytes + 1 MiB before the answer commits, then
   * STREAMING_OUTPUT_WINDOW, twice a batch) is larger, so it never waits on a
   * batch that has not filled.
   */
  private taken(bytes: number): void {
    this.unacknowledged += bytes;
    if (this.unacknowledged >= ACK_BATCH) this.flushAcks();
  }

  private flushAcks(): void {
    if (this.unacknowledged === 0) return;
    this.ack(this.unacknowledged);
    this.unacknowledged = 0;
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.release();
    if (!this.complete && this.failure === undefined) {
      this.failure = error ?? new Error('the response was closed before the output was complete');
      this.onAbort(this.failure);
    }
    callback(error);
  }

  private settleWith(value: Readiness): void {
    if (this.settle === undefined) return;
    const { resolve } = this.settle;
    this.settle = undefined;
    resolve(value);
  }

  /** Drop held output, acknowledging it so the worker's window does not stay full. */
  private release(): void {
    this.flushAcks();
    if (this.queued > 0) this.ack(this.queued);
    this.queue.length = 0;
    this.queued = 0;
  }
}
