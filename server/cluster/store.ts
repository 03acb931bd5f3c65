/**
 * Cluster mode's view of Redis: streams' records (owner, options, checkpoint, seq), their owner leases, and the
 * handover channel. The Redis client (node-redis) is imported here, lazily, so the library and a server
 * without --redis never load it.
 */
import { randomBytes } from 'node:crypto';
import type { FastifyBaseLogger } from 'fastify';
import { ZaccelError } from '../../src/index.js';
import { ServiceError } from '../errors.js';
import type { SessionOptions, StreamCheckpoint } from '../protocol.js';
import { commitScript, createScript, deleteScript, releaseScript, renewScript } from './scripts.js';

/** The options a stream was opened with, as stored (the dictionary lives in the snapshot). */
export type StoredOptions = Omit<SessionOptions, 'dictionary'>;

/** A stream as Redis holds it. */
export interface StoredStream {
  owner: string;
  options: StoredOptions;
  seq: number;
  checkpoint: StreamCheckpoint;
}

export interface ClusterOptions {
  url: string;
  instanceId: string;
  leaseMs: number;
  /** A stream's record expires this long after its last write (twice the idle time that reaps a held stream). */
  recordMs: number;
  logger: FastifyBaseLogger;
}

const HANDOVER_CHANNEL = 'zaccel:handover';
/** The Redis keys of a stream's lease and of its record (exported for the tests, which make them lapse). */
export const leaseKey = (id: string) => `zaccel:lease:${id}`;
export const streamKey = (id: string) => `zaccel:stream:${id}`;
const ownedKey = (owner: string) => `zaccel:owned:${owner}`;

type Client = Awaited<ReturnType<typeof connectClient>>;

/**
 * A connected client. Redis unreachable at startup stops the server (ZACCEL_BAD_OPTION, naming the URL) rather
 * than leaving it waiting; once connected, a lost connection is retried (readiness says so meanwhile).
 */
async function connectClient(url: string, logger: FastifyBaseLogger) {
  const { createClient, RESP_TYPES } = await import('redis');
  let connected = false;
  const unreachable = (error: unknown) =>
    new ZaccelError('ZACCEL_BAD_OPTION', `cannot use Redis at ${url}: ${(error as Error)?.message ?? String(error)}`);
  const create = () => {
    try {
      return createClient({
        url,
        socket: { reconnectStrategy: (retries, cause) => (connected ? Math.min(50 * 2 ** retries, 1_000) : cause) },
      });
    } catch (error) {
      throw unreachable(error);
    }
  };
  const client = create();
  client.on('error', (error: Error) => {
    if (connected) logger.warn({ err: error }, 'redis connection error');
  });
  try {
    await client.connect();
  } catch (error) {
    throw unreachable(error);
  }
  connected = true;
  // Snapshots are binary: bulk strings come back as Buffers.
  return { client, binary: client.withTypeMapping({ [RESP_TYPES.BLOB_STRING]: Buffer }) };
}

export class ClusterStore {
  /** The lease token of every stream this instance holds, by stream id. */
  readonly leases = new Map<string, string>();

  private constructor(
    readonly options: ClusterOptions,
    private readonly redis: Client,
    private readonly subscriber: Client['client'],
  ) {}

  static async connect(options: ClusterOptions): Promise<ClusterStore> {
    const redis = await connectClient(options.url, options.logger);
    const subscriber = redis.client.duplicate();
    subscriber.on('error', (error: Error) => options.logger.warn({ err: error }, 'redis subscriber error'));
    await subscriber.connect();
    return new ClusterStore(options, redis, subscriber);
  }

  private newToken(): string {
    return `${this.options.instanceId}:${randomBytes(9).toString('base64url')}`;
  }

  /** Register a new stream with its first checkpoint, holding its lease. Throws ZACCEL_QUOTA over the owner's quota. */
  async create(
    id: string,
    owner: string,
    maxStreams: number,
    options: StoredOptions,
    snapshot: Uint8Array,
  ): Promise<void> {
    const token = this.newToken();
    const result = await this.redis.client.eval(createScript, {
      keys: [leaseKey(id), streamKey(id), ownedKey(owner)],
      arguments: [
        token,
        String(this.options.leaseMs),
        owner,
        JSON.stringify(options),
        Buffer.from(snapshot),
        String(maxStreams),
        id,
        String(this.options.recordMs),
      ],
    });
    if (result === -1)
      throw new ServiceError('ZACCEL_QUOTA', `the client holds ${maxStreams} streams across the cluster, its quota`, {
        'retry-after': '1',
      });
    if (result !== 1) throw new ServiceError('ZACCEL_INTERNAL', `stream ${id} exists already`);
    this.leases.set(id, token);
  }

  /** Take the stream's lease if nobody holds it; true when taken. */
  async acquire(id: string): Promise<boolean> {
    const token = this.newToken();
    const taken = await this.redis.client.set(leaseKey(id), token, {
      condition: 'NX',
      expiration: { type: 'PX', value: this.options.leaseMs },
    });
    if (taken !== 'OK') return false;
    this.leases.set(id, token);
    return true;
  }

  /** The stream's record, or undefined when there is none. */
  async load(id: string): Promise<StoredStream | undefined> {
    const fields = (await this.redis.binary.hGetAll(streamKey(id))) as unknown as Record<string, Buffer>;
    if (fields.owner === undefined) return undefined;
    const text = (name: string) => fields[name]?.toString('utf8') ?? '';
    return {
      owner: text('owner'),
      options: JSON.parse(text('options')) as StoredOptions,
      seq: Number(text('seq')),
      checkpoint: {
        snapshot: new Uint8Array(fields.snapshot),
        previous: fields.previous.length === 0 ? null : new Uint8Array(fields.previous),
        previousWrite: text('previousWrite') === '' ? null : text('previousWrite'),
      },
    };
  }

  /** Store the checkpoint after an acknowledged write, if the lease is still ours. False: it was lost. */
  async commit(id: string, seq: number, checkpoint: StreamCheckpoint): Promise<boolean> {
    const token = this.leases.get(id);
    if (token === undefined) return false;
    const result = await this.redis.client.eval(commitScript, {
      keys: [leaseKey(id), streamKey(id)],
      arguments: [
        token,
        String(seq),
        Buffer.from(checkpoint.snapshot),
        checkpoint.previous === null ? '' : Buffer.from(checkpoint.previous),
        checkpoint.previousWrite ?? '',
        String(this.options.leaseMs),
        String(this.options.recordMs),
      ],
    });
    return result === 1;
  }

  /** Renew every lease held; returns the ids whose lease was lost. */
  async renewAll(): Promise<string[]> {
    const lost: string[] = [];
    await Promise.all(
      [...this.leases].map(async ([id, token]) => {
        const result = await this.redis.client.eval(renewScript, {
          keys: [leaseKey(id)],
          arguments: [token, String(this.options.leaseMs)],
        });
        if (result !== 1) {
          this.leases.delete(id);
          lost.push(id);
        }
      }),
    );
    return lost;
  }

  /** Let go of the stream's lease (compare and delete): a peer may take it at once. */
  async release(id: string): Promise<void> {
    const token = this.leases.get(id);
    this.leases.delete(id);
    if (token !== undefined) await this.redis.client.eval(releaseScript, { keys: [leaseKey(id)], arguments: [token] });
  }

  /** Delete the stream everywhere (DELETE, or reaped), if its lease is ours. */
  async remove(id: string, owner: string): Promise<void> {
    const token = this.leases.get(id);
    this.leases.delete(id);
    if (token !== undefined)
      await this.redis.client.eval(deleteScript, {
        keys: [leaseKey(id), streamKey(id), ownedKey(owner)],
        arguments: [token, id],
      });
  }

  /** Ask the instance holding the stream to hand it over when it is idle. */
  async askHandover(id: string): Promise<void> {
    await this.redis.client.publish(HANDOVER_CHANNEL, id);
  }

  async onHandover(listener: (id: string) => void): Promise<void> {
    await this.subscriber.subscribe(HANDOVER_CHANNEL, (message) => listener(message));
  }

  get connected(): boolean {
    return this.redis.client.isReady;
  }

  async close(): Promise<void> {
    await Promise.allSettled([this.subscriber.quit(), this.redis.client.quit()]);
  }
}
