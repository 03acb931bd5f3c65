/**
 * The lifecycle of one request, and the ONE place where what a request holds
 * is taken and given back: its in-flight slot (`--max-inflight`) and its
 * stream's turn (writes and DELETE run one at a time per stream).
 *
 * Every request gets a lifecycle in the first hook (onRequest), before any
 * handler awaits anything, so the response's `close` event (which Node emits
 * exactly once, whether the answer was delivered, failed, cut off by a timeout
 * or abandoned by its client) can never be missed. That event ends the
 * lifecycle, and ending it releases the slot and the turn, each once:
 *
 *   waiting ──admit()──▶ reading ──answering()──▶ answering ──close──▶ ended
 *      │                                                              ▲
 *      └──waitTurn()──▶ queued ──turn granted──▶ (as above)           │
 *                          └──────── client gone, timed out ──────────┘
 *
 * A request whose client leaves while it is queued behind another write gives
 * its turn up at once (the turn passes straight on when it comes), and its
 * handler stops waiting with {@link ClientGoneError}.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ClientGoneError, ServiceError } from './errors.js';
import type { ServiceMetrics } from './metrics.js';
import type { StreamTurn } from './streams.js';

/** Where a request was when it ended, for the logs and the metrics. */
export type RequestPhase = 'waiting' | 'queued' | 'reading' | 'answering';

/** How a request ended. */
export type RequestEnding =
  /** The whole answer was delivered, with a 1xx–3xx status. */
  | 'finished'
  /** The whole answer was delivered, and it was an error; or the server cut a started answer off after a failure. */
  | 'failed'
  /** The client closed the connection before it had its whole answer. */
  | 'gone'
  /** A header, body or send timeout closed the connection. */
  | 'timed-out'
  /** The server was shutting down. */
  | 'draining';

export type TimeoutKind = 'body' | 'send';

/** What a lifecycle needs from the service: the slot counter, its limit, and the metrics. */
export interface Admission {
  readonly maxInflight: number;
  /** A client that takes no byte of its answer for this long is disconnected. */
  readonly sendTimeoutMs: number;
  readonly state: { shuttingDown: boolean; inflight: number };
  readonly metrics: ServiceMetrics;
}

declare module 'fastify' {
  interface FastifyRequest {
    lifecycle: RequestLifecycle;
  }
}

export class RequestLifecycle {
  phase: RequestPhase = 'waiting';
  ending: RequestEnding | undefined;
  private holdsSlot = false;
  private turn: StreamTurn | undefined;
  private finished = false;
  private cause: 'timeout' | 'server' | undefined;
  private readonly endListeners: Array<(ending: RequestEnding) => void> = [];
  /** Settles once, when the request ended: waits that a client can abandon race against it. */
  readonly ended: Promise<RequestEnding>;
  private resolveEnded!: (ending: RequestEnding) => void;

  constructor(
    private readonly admission: Admission,
    private readonly request: FastifyRequest,
    private readonly reply: FastifyReply,
  ) {
    this.ended = new Promise((resolve) => (this.resolveEnded = resolve));
    reply.raw.once('finish', () => (this.finished = true));
    // Node emits 'close' on every response exactly once: after 'finish', or when the socket went first.
    reply.raw.once('close', () => this.end());
  }

  /** The whole answer was handed to the connection ('finish'). */
  get delivered(): boolean {
    return this.finished;
  }

  /** The route's URL pattern, for metric labels. */
  private get route(): string {
    return this.request.routeOptions.url ?? 'unmatched';
  }

  /** Take an in-flight slot until the request ends; throws 503 ZACCEL_AT_CAPACITY when none is free. */
  admit(): void {
    if (this.ending !== undefined) throw new ClientGoneError('the client went away before the request was admitted');
    if (this.holdsSlot) return;
    const { state, maxInflight, metrics } = this.admission;
    if (state.inflight >= maxInflight) {
      throw new ServiceError('ZACCEL_AT_CAPACITY', `${state.inflight} requests are in progress, the server's limit`);
    }
    state.inflight++;
    metrics.inflight.set(state.inflight);
    this.holdsSlot = true;
    this.phase = 'reading';
  }

  /**
   * Wait for a stream's turn, holding it until the request ends. Rejects with ClientGoneError when the request
   * ends first (its turn is then passed on as soon as it comes, without running).
   */
  async waitTurn(turn: StreamTurn): Promise<void> {
    if (this.turn !== undefined) throw new ServiceError('ZACCEL_INTERNAL', 'a request waits for one stream turn only');
    this.turn = turn;
    if (this.ending !== undefined) {
      turn.release();
      throw new ClientGoneError('the client went away before its turn');
    }
    this.phase = 'queued';
    const outcome = await Promise.race([turn.granted.then(() => 'granted' as const), this.ended]);
    if (outcome !== 'granted') throw new ClientGoneError('the client went away while its request was queued');
    this.phase = 'reading';
  }

  /** The answer starts: headers are about to be sent. From now on a client that stops reading is cut off. */
  answering(): void {
    if (this.ending !== undefined || this.phase === 'answering') return;
    this.phase = 'answering';
    this.watchSend();
  }

  /**
   * The send timeout. A socket whose client reads nothing keeps bytes queued (writableLength > 0) and completes
   * no write; bytesWritten - writableLength (bytes whose write completed) then stands still. When it stood still
   * with bytes queued for sendTimeoutMs, the connection is destroyed, which ends the request. A socket with
   * nothing queued is waiting for us (the worker), never for the client, and does not count.
   */
  private watchSend(): void {
    const socket = this.reply.raw.socket;
    if (socket === null || socket.destroyed) return; // inject() has no socket
    const limit = this.admission.sendTimeoutMs;
    let delivered = -1;
    let since = Date.now();
    /** Whether the client took bytes since the last look (or nothing waits for it); notes when it last did. */
    const moved = () => {
      const queued = socket.writableLength;
      const progress = socket.bytesWritten - queued;
      if (queued > 0 && progress === delivered) return false;
      delivered = progress;
      since = Date.now();
      return true;
    };
    const timer = setInterval(
      () => {
        if (moved() || Date.now() - since < limit) return;
        // Due by the clock; but if this thread was busy, writes that completed meanwhile are only counted once this
        // turn of the event loop has handled its I/O, which comes after the timers: decide after it.
        setImmediate(() => {
          if (this.ending !== undefined || socket.destroyed || moved()) return;
          clearInterval(timer);
          this.cutOff('timeout', 'send');
          this.request.log.info(
            { timeoutMs: limit, queuedBytes: socket.writableLength },
            'send timeout: the client took nothing',
          );
          socket.destroy();
        });
      },
      Math.max(10, Math.min(limit / 4, 5_000)),
    );
    timer.unref();
    this.onEnd(() => clearInterval(timer));
  }

  /** The server cut this request off (a timeout, or a failure after its answer started): not the client's doing. */
  cutOff(cause: 'timeout' | 'server', kind?: TimeoutKind): void {
    if (this.ending !== undefined || this.cause !== undefined) return;
    this.cause = cause;
    if (cause === 'timeout' && kind !== undefined) this.admission.metrics.timeouts.inc({ kind });
  }

  /** Run `listener` once when the request ends (at once if it has). */
  onEnd(listener: (ending: RequestEnding) => void): void {
    if (this.ending !== undefined) listener(this.ending);
    else this.endListeners.push(listener);
  }

  /** The request is over: give everything back, once. */
  private end(): void {
    if (this.ending !== undefined) return;
    const ending = this.classify();
    this.ending = ending;
    // Listeners first (a write cut off fails its stream), then the turn passes on.
    for (const listener of this.endListeners.splice(0)) listener(ending);
    if (this.holdsSlot) {
      this.holdsSlot = false;
      const { state, metrics } = this.admission;
      state.inflight--;
      metrics.inflight.set(state.inflight);
    }
    this.turn?.release();
    const metrics = this.admission.metrics;
    metrics.endings.inc({ route: this.route, ending });
    if (ending === 'gone') {
      metrics.disconnects.inc({ route: this.route, phase: this.phase });
      this.request.log.info({ phase: this.phase }, 'client went away');
    }
    this.resolveEnded(ending);
  }

  private classify(): RequestEnding {
    if (this.cause === 'timeout') return 'timed-out';
    if (this.finished) {
      const status = this.reply.raw.statusCode;
      if (status === 503 && this.admission.state.shuttingDown) return 'draining';
      return status < 400 ? 'finished' : 'failed';
    }
    if (this.cause === 'server') return 'failed';
    if (this.admission.state.shuttingDown) return 'draining';
    return 'gone';
  }
}
