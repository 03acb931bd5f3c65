/**
 * Stateful streams: each is one session pinned to one worker, with a queue
 * that runs its requests one at a time in arrival order, and a reaper that
 * closes streams left idle.
 */
import { randomUUID } from 'node:crypto';
import type { FastifyBaseLogger } from 'fastify';
import { emptyCounters } from '../src/internal.js';
import type { ServerConfig } from './config.js';
import { ServiceError } from './errors.js';
import type { ServiceMetrics } from './metrics.js';
import type { Session, WorkerPool } from './pool.js';
import type { InflateFormat } from '../src/index.js';
import type { Mode, SessionOptions, StreamCheckpoint } from './protocol.js';
import { canSee, type Principal } from './security/principal.js';
import { StreamQuota } from './security/quota.js';

export type StreamState = 'open' | 'busy' | 'ended' | 'failed' | 'closed';

export interface StreamEntry {
  id: string;
  /** The principal that opened it (security/principal.ts): with tokens, the only one that sees it. */
  owner: string;
  mode: Mode;
  format: InflateFormat;
  session: Session;
  createdAt: number;
  lastActive: number;
  writes: number;
  /** The last acknowledged numbered write (`seq`); 0 before the first. */
  seq: number;
  /** Requests holding or waiting for the stream's turn. */
  pending: number;
  tail: Promise<void>;
  closed: boolean;
  /** Cluster mode: this process let the stream go (handover, lost lease, shutdown); a peer goes on with it. */
  movedAway: boolean;
}

/**
 * Where streams live besides this process (cluster mode, server/cluster): the registry asks it for a stream it
 * does not hold, and tells it when a stream is deleted or reaped, or when the process lets its streams go.
 */
export interface StreamHome {
  /** Take over a stream another instance held (or that outlived its instance); undefined when there is none. */
  adopt(id: string, principal: Principal): Promise<StreamEntry | undefined>;
  /** The stream was deleted or reaped: it is gone everywhere. */
  removed(entry: StreamEntry): Promise<void>;
  /** This process lets the stream go (shutdown, handover): a peer may take it. */
  released(entry: StreamEntry): Promise<void>;
}

/** One request's place in a stream's queue. */
export interface StreamTurn {
  /** Resolves when every request before this one has released its turn. */
  readonly granted: Promise<void>;
  /** Give the turn back (or up, before it came). Idempotent. */
  release(): void;
}

export class StreamRegistry {
  private readonly entries = new Map<string, StreamEntry>();
  private readonly quota = new StreamQuota();
  private readonly reaper: NodeJS.Timeout;
  /** Set in cluster mode. */
  home: StreamHome | undefined;

  constructor(
    private readonly config: ServerConfig,
    private readonly pool: WorkerPool,
    private readonly metrics: ServiceMetrics,
    private readonly log: FastifyBaseLogger,
  ) {
    this.reaper = setInterval(() => this.reap(), Math.max(10, Math.min(config.streamIdleMs / 2, 5_000)));
    this.reaper.unref();
  }

  get size(): number {
    return this.entries.size;
  }

  /**
   * Open a stream for `owner`; resolves once the worker has made its core, so option errors answer the POST.
   * The owner's quota is checked before the server's limit: a client at its quota is told so (429), whether
   * or not the server is full.
   */
  async create(options: SessionOptions, owner: Principal): Promise<StreamEntry> {
    this.quota.checkRoom(owner, () => this.secondsUntilFree(owner.id));
    return this.start(randomUUID(), options, owner.id);
  }

  /**
   * Go on with a stream another instance held, from its checkpoint (cluster mode). Its owner's quota is not
   * checked again here: the stream exists already, and the cluster counts it once (server/cluster).
   */
  async restore(
    id: string,
    options: SessionOptions,
    owner: string,
    checkpoint: StreamCheckpoint,
    seq: number,
  ): Promise<StreamEntry> {
    const entry = await this.start(id, options, owner, checkpoint);
    entry.seq = seq;
    return entry;
  }

  private async start(
    id: string,
    options: SessionOptions,
    owner: string,
    checkpoint?: StreamCheckpoint,
  ): Promise<StreamEntry> {
    if (this.entries.size >= this.config.maxStreams) {
      throw new ServiceError('ZACCEL_AT_CAPACITY', `the server has ${this.config.maxStreams} streams open, its limit`);
    }
    const session = this.pool.open(options, checkpoint);
    const now = Date.now();
    const entry: StreamEntry = {
      id,
      owner,
      mode: options.mode,
      format: options.format,
      session,
      createdAt: now,
      lastActive: now,
      writes: 0,
      seq: 0,
      pending: 0,
      tail: Promise.resolve(),
      closed: false,
      movedAway: false,
    };
    this.entries.set(entry.id, entry);
    this.quota.add(entry.owner);
    this.metrics.openStreams.set(this.entries.size);
    try {
      await session.opened;
    } catch (error) {
      this.remove(entry);
      await session.close();
      throw error;
    }
    return entry;
  }

  /** The stream here, or (cluster mode) taken over from the instance that held it; see get(). */
  async locate(id: string, principal: Principal): Promise<StreamEntry> {
    if (this.entries.has(id) || this.home === undefined) return this.get(id, principal);
    const adopted = await this.home.adopt(id, principal);
    return adopted ?? this.get(id, principal);
  }

  /** The stream held here, if any, whoever owns it (cluster mode's handover). */
  held(id: string): StreamEntry | undefined {
    return this.entries.get(id);
  }

  /** The stream, if `principal` may see it. One that exists but is not its own is "not found", word for word. */
  get(id: string, principal: Principal): StreamEntry {
    const entry = this.entries.get(id);
    if (entry === undefined || !canSee(principal, entry.owner)) {
      throw new ServiceError('ZACCEL_NOT_FOUND', `no stream ${id}: never opened, deleted, or closed after idling`);
    }
    return entry;
  }

  /**
   * Join the stream's queue. The turn is granted when every request queued before it has released its own; it
   * must be released exactly once (RequestLifecycle does), and may be released before it was granted: it then
   * passes straight on when it comes. Throws ZACCEL_AT_CAPACITY when too many requests already wait.
   */
  turn(entry: StreamEntry): StreamTurn {
    if (entry.pending > this.config.maxQueuedWrites) {
      throw new ServiceError(
        'ZACCEL_AT_CAPACITY',
        `${entry.pending} requests are already queued on stream ${entry.id}`,
      );
    }
    entry.pending++;
    const previous = entry.tail;
    let passOn!: () => void;
    entry.tail = new Promise<void>((resolve) => {
      passOn = resolve;
    });
    let released = false;
    return {
      granted: previous,
      release: () => {
        if (released) return;
        released = true;
        entry.pending--;
        entry.lastActive = Date.now();
        // The queue's order holds: a turn given up early still waits for the one before it.
        void previous.then(passOn);
      },
    };
  }

  describe(entry: StreamEntry) {
    const session = entry.session;
    const report = session.report;
    const now = Date.now();
    let state: StreamState;
    if (entry.closed) state = 'closed';
    else if (session.state === 'failed') state = 'failed';
    else if (report?.ended === true) state = 'ended';
    else state = entry.pending > 0 ? 'busy' : 'open';
    const error = session.state === 'failed' && session.error !== undefined ? session.error : undefined;
    return {
      id: entry.id,
      mode: entry.mode,
      engine: session.engine,
      format: entry.format,
      state,
      bytesIn: report?.bytesIn ?? 0,
      bytesOut: report?.bytesOut ?? 0,
      writes: entry.writes,
      seq: entry.seq,
      pendingWrites: entry.pending,
      fallbacks: report?.fallbacks ?? 0,
      copies: report?.copies ?? emptyCounters(),
      createdAt: new Date(entry.createdAt).toISOString(),
      idleMs: entry.pending > 0 ? 0 : now - entry.lastActive,
      expiresInMs:
        entry.pending > 0 ? this.config.streamIdleMs : Math.max(0, this.config.streamIdleMs - (now - entry.lastActive)),
      ...(error === undefined
        ? {}
        : {
            error: {
              code:
                (error as { zaccelCode?: string }).zaccelCode ?? (error as { code?: string }).code ?? 'ZACCEL_INTERNAL',
              message: error.message,
            },
          }),
    };
  }

  /** Close the stream's session and forget it; later requests for it get 404. */
  async close(entry: StreamEntry) {
    entry.closed = true;
    this.remove(entry);
    await entry.session.close();
    await this.home?.removed(entry);
    return this.describe(entry);
  }

  /**
   * Let the stream go from this process only (cluster mode): its checkpoint stays in Redis and a peer goes on
   * with it. Requests that find it after this ask the cluster again.
   */
  async letGo(entry: StreamEntry): Promise<void> {
    entry.movedAway = true;
    this.remove(entry);
    await entry.session.close();
    await this.home?.released(entry);
  }

  /** Close every stream (shutdown); in cluster mode, let every stream go to the peers instead. */
  async closeAll(): Promise<void> {
    clearInterval(this.reaper);
    const home = this.home;
    await Promise.all(
      [...this.entries.values()].map((entry) => (home === undefined ? this.close(entry) : this.letGo(entry))),
    );
  }

  private remove(entry: StreamEntry): void {
    if (!this.entries.delete(entry.id)) return;
    this.quota.remove(entry.owner);
    this.metrics.openStreams.set(this.entries.size);
  }

  /** Seconds until the first of the owner's streams could be reaped (a busy one: a whole idle period). */
  private secondsUntilFree(owner: string): number {
    const now = Date.now();
    let soonest = this.config.streamIdleMs;
    for (const entry of this.entries.values()) {
      if (entry.owner !== owner || entry.pending > 0) continue;
      soonest = Math.min(soonest, Math.max(0, this.config.streamIdleMs - (now - entry.lastActive)));
    }
    return soonest / 1000;
  }

  /**
   * Close streams that had no write (nor a request waiting for one) for streamIdleMs. GET does not count as activity.
   * `now` is the clock's reading (Date.now()); a test passes a later one to find out what an idle period would reap.
   */
  reap(now = Date.now()): void {
    for (const entry of this.entries.values()) {
      if (entry.pending > 0 || now - entry.lastActive < this.config.streamIdleMs) continue;
      this.metrics.streamsReaped.inc();
      this.log.info({ stream: entry.id, idleMs: now - entry.lastActive }, 'stream reaped after idling');
      void this.close(entry);
    }
  }
}
