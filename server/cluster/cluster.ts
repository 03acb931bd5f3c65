/**
 * Cluster mode (--redis): streams outlive their instance. Each stream is registered in Redis with an owner lease
 * that its instance renews while it holds the stream; after every acknowledged write its checkpoint (snapshot,
 * seq, and what a retry of that seq needs) is stored, guarded by the lease. An instance asked for a stream it
 * does not hold takes the lease when it is free (released, or expired after a crash), or asks the holder to hand
 * the stream over and waits a bounded time; then it restores the checkpoint and serves the request.
 */
import type { FastifyBaseLogger } from 'fastify';
import { ServiceError } from '../errors.js';
import type { ServiceMetrics } from '../metrics.js';
import type { SessionOptions } from '../protocol.js';
import { canSee, type Principal } from '../security/principal.js';
import type { StreamEntry, StreamHome, StreamRegistry } from '../streams.js';
import { ClusterStore, type StoredOptions } from './store.js';

export interface ClusterSettings {
  url: string;
  instanceId: string;
  /** Lease time to live: a crashed instance's streams are taken over at most this long after its last renewal. */
  leaseMs: number;
  /** How long a request waits for a live peer to hand a stream over before it is answered 503. */
  handoverMs: number;
  /** The idle time after which a stream is reaped (--stream-idle-ms): its Redis record outlives it twice. */
  streamIdleMs: number;
}

const HANDOVER_POLL_MS = 50;
const HANDOVER_ASK_MS = 250;

export class Cluster implements StreamHome {
  private readonly renewal: NodeJS.Timeout;
  /** Takeovers in progress, so concurrent requests for one stream restore it once. */
  private readonly adopting = new Map<string, Promise<StreamEntry | undefined>>();
  private stopping = false;
  /** Why a stream is being let go, for the metric (shutdown when not set). */
  private readonly reasons = new Map<string, 'handover' | 'lease lost'>();

  private constructor(
    readonly settings: ClusterSettings,
    readonly store: ClusterStore,
    private readonly streams: StreamRegistry,
    private readonly metrics: ServiceMetrics,
    private readonly log: FastifyBaseLogger,
  ) {
    this.renewal = setInterval(() => void this.renew(), Math.max(50, Math.floor(settings.leaseMs / 3)));
    this.renewal.unref();
  }

  static async start(
    settings: ClusterSettings,
    streams: StreamRegistry,
    metrics: ServiceMetrics,
    log: FastifyBaseLogger,
  ): Promise<Cluster> {
    const store = await ClusterStore.connect({
      url: settings.url,
      instanceId: settings.instanceId,
      leaseMs: settings.leaseMs,
      recordMs: 2 * settings.streamIdleMs,
      logger: log,
    });
    const cluster = new Cluster(settings, store, streams, metrics, log);
    await store.onHandover((id) => cluster.handOver(id));
    streams.home = cluster;
    log.info({ redis: settings.url, instance: settings.instanceId, leaseMs: settings.leaseMs }, 'cluster mode');
    return cluster;
  }

  get ready(): boolean {
    return this.store.connected && !this.stopping;
  }

  /** A new stream: its first checkpoint, its owner and options go to Redis, with its lease held. */
  async register(entry: StreamEntry, options: SessionOptions, owner: Principal): Promise<void> {
    const checkpoint = await entry.session.checkpoint();
    const { dictionary: _dictionary, ...stored } = options;
    await this.store.create(entry.id, owner.id, owner.maxStreams, stored, checkpoint.snapshot);
  }

  /**
   * After a write completed, before its answer does: store the stream's checkpoint and seq. When the lease was
   * lost (a peer took the stream over), the write is not acknowledged: this process lets the stream go and
   * the client retries the same seq wherever the stream now is.
   */
  async commit(entry: StreamEntry, seq: number): Promise<void> {
    const timer = this.metrics.checkpointSeconds.startTimer();
    const checkpoint = await entry.session.checkpoint();
    if (await this.store.commit(entry.id, seq, checkpoint)) {
      timer();
      this.metrics.checkpointBytes.inc(checkpoint.snapshot.byteLength + (checkpoint.previous?.byteLength ?? 0));
      return;
    }
    this.log.warn({ stream: entry.id, seq }, 'lease lost: the write is not acknowledged, the stream is let go');
    this.reasons.set(entry.id, 'lease lost');
    await this.streams.letGo(entry);
    throw new ServiceError('ZACCEL_AT_CAPACITY', `stream ${entry.id} moved to another instance: retry the write`, {
      'retry-after': '1',
    });
  }

  adopt(id: string, principal: Principal): Promise<StreamEntry | undefined> {
    let adopting = this.adopting.get(id);
    if (adopting === undefined) {
      adopting = this.takeOver(id, principal).finally(() => this.adopting.delete(id));
      this.adopting.set(id, adopting);
    }
    return adopting.then((entry) => (entry !== undefined && canSee(principal, entry.owner) ? entry : undefined));
  }

  private async takeOver(id: string, principal: Principal): Promise<StreamEntry | undefined> {
    const started = Date.now();
    if (this.stopping) throw new ServiceError('ZACCEL_SHUTTING_DOWN');
    // Another token's stream stays where it is: "not found", as on one instance.
    const first = await this.store.load(id);
    if (first === undefined || !canSee(principal, first.owner)) return undefined;
    let asked = 0;
    while (!(await this.store.acquire(id))) {
      // A live peer holds it: ask it to let the stream go once idle, and poll, for a bounded time.
      if ((await this.store.load(id)) === undefined) return undefined;
      if (Date.now() - started >= this.settings.handoverMs) {
        throw new ServiceError('ZACCEL_AT_CAPACITY', `stream ${id} is busy on another instance`, {
          'retry-after': '1',
        });
      }
      if (Date.now() - asked >= HANDOVER_ASK_MS) {
        asked = Date.now();
        await this.store.askHandover(id);
      }
      await new Promise((resolve) => setTimeout(resolve, HANDOVER_POLL_MS));
    }
    try {
      const stored = await this.store.load(id);
      if (stored === undefined) {
        await this.store.release(id);
        return undefined;
      }
      const options = stored.options as SessionOptions;
      const entry = await this.streams.restore(id, options, stored.owner, stored.checkpoint, stored.seq);
      this.metrics.takeovers.inc();
      this.log.info({ stream: id, seq: stored.seq, takeoverMs: Date.now() - started }, 'stream taken over');
      return entry;
    } catch (error) {
      await this.store.release(id);
      throw error;
    }
  }

  /** A peer asks for the stream: let it go if it is here and idle (its last write is checkpointed already). */
  private handOver(id: string): void {
    const entry = this.streams.held(id);
    if (entry === undefined || entry.pending > 0 || entry.closed) return;
    this.log.info({ stream: id }, 'stream handed over');
    this.reasons.set(id, 'handover');
    void this.streams
      .letGo(entry)
      .catch((error: unknown) => this.log.warn({ err: error, stream: id }, 'handover failed'));
  }

  private async renew(): Promise<void> {
    try {
      const lost = await this.store.renewAll();
      for (const id of lost) {
        const entry = this.streams.held(id);
        this.log.warn({ stream: id }, 'lease lost: the stream is let go');
        if (entry !== undefined) {
          this.reasons.set(id, 'lease lost');
          await this.streams.letGo(entry);
        }
      }
    } catch (error) {
      this.log.warn({ err: error }, 'lease renewal failed');
    }
  }

  async removed(entry: StreamEntry): Promise<void> {
    await this.store.remove(entry.id, entry.owner);
  }

  async released(entry: StreamEntry): Promise<void> {
    this.metrics.letGo.inc({ reason: this.reasons.get(entry.id) ?? 'shutdown' });
    this.reasons.delete(entry.id);
    await this.store.release(entry.id);
  }

  /** Shutdown, after the streams were let go: stop renewing and disconnect. */
  async stop(): Promise<void> {
    this.stopping = true;
    clearInterval(this.renewal);
    await this.store.close();
  }
}

export type { StoredOptions };
