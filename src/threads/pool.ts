/**
 * The thread pool behind zaccel's asynchronous API, as libuv's threadpool is
 * behind node:zlib's: callback and promise one-shots and the streams'
 * transforms run on worker threads attached to the same shared Machine, so
 * the event loop only hands work over and takes results back.
 *
 * Size: UV_THREADPOOL_SIZE when set (as node reads it), else 4; change it
 * with setThreadPoolSize(). Workers start on demand, hold the process open
 * only while they have work, and end with closeThreadPool() or the process.
 *
 * A one-shot goes to the worker with the least work queued. A stream's core
 * lives in one worker's part of the Machine, so all of a stream's requests go
 * to the worker that opened it.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { ZaccelError, ZaccelRangeError, ZaccelTypeError, type AnyZaccelError } from '../errors.js';
import { defaultMachine } from '../machine/default-machine.js';
import type { Machine } from '../machine/machine.js';
import { packageRoot } from '../machine/modules.js';
import type { CoreSpec, FromWorker, ToWorker, WireError, WorkerInit } from './protocol.js';

/** One-shot input per event-loop turn: a copy this size takes well under a millisecond. */
const INPUT_SLICE = 1024 * 1024;
/** libuv's default, and its ceiling. */
const DEFAULT_SIZE = 4;
const MAX_SIZE = 1024;

export type Reply = Extract<FromWorker, { t: 'output' } | { t: 'done' }>;
type Request = ToWorker extends infer M ? (M extends { id: number } ? Omit<M, 'id'> : never) : never;

function sizeFromEnvironment(): number {
  const value = Number.parseInt(process.env.UV_THREADPOOL_SIZE ?? '', 10);
  return Number.isInteger(value) && value > 0 ? Math.min(value, MAX_SIZE) : DEFAULT_SIZE;
}

let poolSize = sizeFromEnvironment();
const pools = new Map<Machine, ThreadPool>();

/** The number of worker threads each pool may run. */
export function threadPoolSize(): number {
  return poolSize;
}

/**
 * Set the number of worker threads (1..1024). Growing takes effect at once;
 * shrinking lets the surplus workers finish their streams and then ends them.
 */
export function setThreadPoolSize(size: number): void {
  if (typeof size !== 'number')
    throw new ZaccelTypeError(
      'ZACCEL_BAD_OPTION',
      `The "size" argument must be of type number. Received type ${typeof size}`,
      { nodeCode: 'ERR_INVALID_ARG_TYPE' },
    );
  if (!Number.isInteger(size) || size < 1 || size > MAX_SIZE) {
    throw new ZaccelRangeError(
      'ZACCEL_BAD_OPTION',
      `The value of "size" is out of range. It must be an integer >= 1 and <= ${MAX_SIZE}. Received ${size}`,
      { nodeCode: 'ERR_OUT_OF_RANGE' },
    );
  }
  poolSize = size;
  for (const pool of pools.values()) pool.retireSurplus();
}

/** The pool of a Machine (the thread's default Machine when none is named). */
export function threadPoolFor(machine: Machine = defaultMachine()): ThreadPool {
  let pool = pools.get(machine);
  if (pool === undefined) {
    pool = new ThreadPool(machine);
    pools.set(machine, pool);
  }
  return pool;
}

export interface ThreadPoolStats {
  /** The size each pool may grow to. */
  size: number;
  /** Worker threads running, over all pools. */
  workers: number;
  /** Requests in flight to them. */
  pending: number;
  /** Stream sessions open on them. */
  sessions: number;
}

/** What the pools are doing now. */
export function threadPoolStats(): ThreadPoolStats {
  const stats: ThreadPoolStats = { size: poolSize, workers: 0, pending: 0, sessions: 0 };
  for (const pool of pools.values()) {
    for (const worker of pool.liveWorkers()) {
      stats.workers++;
      stats.pending += worker.pending.size;
      stats.sessions += worker.sessions;
    }
  }
  return stats;
}

/** End every pool's workers now; work in flight fails with ZACCEL_STREAM_CLOSED. The pools restart on demand. */
export async function closeThreadPool(): Promise<void> {
  const closing = [...pools.values()].map((pool) => pool.close());
  pools.clear();
  await Promise.all(closing);
}

/** Where the compiled worker is: beside this file in dist/, or in dist/ when this file runs as TypeScript (tests). */
function workerFile(): string {
  const here = fileURLToPath(import.meta.url);
  const sibling = join(here, '..', 'worker.js');
  if (here.endsWith('.js') && existsSync(sibling)) return sibling;
  const built = join(packageRoot(), 'dist', 'src', 'threads', 'worker.js');
  if (existsSync(built)) return built;
  throw new ZaccelError('ZACCEL_NOT_BUILT', `compiled worker missing (${built}): run npm run build`);
}

/** An error that came back from a worker, rebuilt as the same class with the same fields. */
export function errorFromWire(wire: WireError): AnyZaccelError {
  const details = { nodeCode: wire.code, zlibStatus: wire.errno, zlibMessage: wire.zlibMessage };
  if (wire.kind === 'RangeError') return new ZaccelRangeError(wire.zaccelCode, wire.message, details);
  if (wire.kind === 'TypeError') return new ZaccelTypeError(wire.zaccelCode, wire.message, details);
  return new ZaccelError(wire.zaccelCode, wire.message, details);
}

interface Pending {
  resolve: (reply: Reply) => void;
  reject: (error: Error) => void;
}

class PoolWorker {
  readonly worker: Worker;
  readonly pending = new Map<number, Pending>();
  /** Stream sessions open on this worker. */
  sessions = 0;
  retiring = false;
  private gone = false;

  constructor(
    private readonly pool: ThreadPool,
    init: WorkerInit,
    index: number,
  ) {
    // The process's flags, less --input-type (allowed only for string input, which a worker file is not).
    const execArgv = process.execArgv.filter((flag) => !flag.startsWith('--input-type'));
    this.worker = new Worker(workerFile(), { workerData: init, name: `zaccel-pool-${index}`, execArgv });
    this.worker.on('message', (message: FromWorker) => this.receive(message));
    this.worker.on('error', (error) =>
      this.fail(new ZaccelError('ZACCEL_INTERNAL', `pool worker failed: ${error.message}`, { cause: error })),
    );
    this.worker.on('exit', (code) =>
      this.fail(new ZaccelError('ZACCEL_STREAM_CLOSED', `pool worker exited with code ${code}`)),
    );
    // After the listeners: adding a 'message' listener refs the worker's port again.
    this.worker.unref();
  }

  get alive(): boolean {
    return !this.gone;
  }

  /** Work queued here: requests in flight, and streams that will send more. */
  get load(): number {
    return this.pending.size + this.sessions;
  }

  request(id: number, message: ToWorker, transfer?: ArrayBuffer[]): Promise<Reply> {
    if (this.gone) return Promise.reject(new ZaccelError('ZACCEL_STREAM_CLOSED', 'the pool worker has ended'));
    return new Promise<Reply>((resolve, reject) => {
      // Work in flight keeps the process alive, as a request in libuv's threadpool does; an idle pool does not.
      if (this.pending.size === 0) this.worker.ref();
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage(message, transfer);
    });
  }

  send(message: ToWorker, transfer?: ArrayBuffer[]): void {
    if (!this.gone) this.worker.postMessage(message, transfer);
  }

  async terminate(): Promise<void> {
    this.fail(new ZaccelError('ZACCEL_STREAM_CLOSED', 'the thread pool was closed'));
    await this.worker.terminate();
  }

  /** End a retiring worker once nothing depends on it. */
  settle(): void {
    if (this.retiring && this.load === 0 && !this.gone) void this.terminate();
  }

  private receive(message: FromWorker): void {
    if (message.t === 'fatal') {
      this.fail(errorFromWire(message.error));
      void this.worker.terminate();
      return;
    }
    const waiter = this.pending.get(message.id);
    if (waiter === undefined) return;
    this.pending.delete(message.id);
    if (this.pending.size === 0) this.worker.unref();
    if (message.t === 'error') waiter.reject(errorFromWire(message.error));
    else waiter.resolve(message);
  }

  private fail(error: Error): void {
    if (this.gone) return;
    this.gone = true;
    this.pool.forget(this);
    for (const waiter of this.pending.values()) waiter.reject(error);
    this.pending.clear();
  }
}

/** A stream's line to its worker: requests go out one at a time, in the order they were made. */
export class PoolSession {
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;

  constructor(
    private readonly pool: ThreadPool,
    private readonly worker: PoolWorker,
    readonly sid: number,
  ) {}

  /** Run `body` after every request made before it has finished (whatever its outcome). */
  serial<T>(body: () => Promise<T>): Promise<T> {
    const run = this.queue.then(body, body);
    this.queue = run.catch(() => {});
    return run;
  }

  /** One request to this session's worker (call inside serial()). */
  request(message: Request, transfer?: ArrayBuffer[]): Promise<Reply> {
    if (this.closed) return Promise.reject(new ZaccelError('ZACCEL_STREAM_CLOSED'));
    const id = this.pool.nextId();
    return this.worker.request(id, { ...message, id } as ToWorker, transfer);
  }

  /** Free the worker's core. Requests in flight still get their replies. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.worker.send({ t: 'close', sid: this.sid });
    this.worker.sessions--;
    this.worker.settle();
  }
}

export class ThreadPool {
  private readonly workers: PoolWorker[] = [];
  private ids = 0;
  private spawned = 0;

  constructor(readonly machine: Machine) {}

  nextId(): number {
    return ++this.ids;
  }

  /**
   * A whole one-shot on the least loaded worker. The input goes over in
   * slices, one per turn of the event loop: copying a large input in one go
   * would stop the loop for as long as the copy takes.
   */
  oneShot(spec: CoreSpec, input: Uint8Array): Promise<Reply> {
    const worker = this.pick();
    const id = this.nextId();
    const reply = worker.request(id, { t: 'oneShot', id, spec, length: input.length }).finally(() => worker.settle());
    let offset = 0;
    const sendSlice = () => {
      if (!worker.alive || !worker.pending.has(id)) return;
      const end = Math.min(input.length, offset + INPUT_SLICE);
      // A copy with a buffer of its own, to transfer (a Buffer's slice() would share, and detach, the caller's).
      const data = new Uint8Array(end - offset);
      data.set(input.subarray(offset, end));
      worker.send({ t: 'piece', id, data }, [data.buffer]);
      offset = end;
      if (offset < input.length) setImmediate(sendSlice);
    };
    if (input.length > 0) sendSlice();
    return reply;
  }

  /** A session on the least loaded worker, for one stream's requests. */
  session(): PoolSession {
    const worker = this.pick();
    worker.sessions++;
    return new PoolSession(this, worker, this.nextId());
  }

  /** Workers that take new work: the pool's size, started on demand. */
  private pick(): PoolWorker {
    const active = this.workers.filter((worker) => !worker.retiring);
    const idle = active.find((worker) => worker.load === 0);
    if (idle !== undefined) return idle;
    if (active.length < poolSize) {
      const worker = new PoolWorker(this, { descriptor: this.machine.descriptor }, this.spawned++);
      this.workers.push(worker);
      return worker;
    }
    return active.reduce((best, worker) => (worker.load < best.load ? worker : best));
  }

  liveWorkers(): readonly PoolWorker[] {
    return this.workers.filter((worker) => worker.alive);
  }

  retireSurplus(): void {
    const active = this.workers.filter((worker) => !worker.retiring);
    for (const worker of active.slice(poolSize)) {
      worker.retiring = true;
      worker.settle();
    }
  }

  forget(worker: PoolWorker): void {
    const index = this.workers.indexOf(worker);
    if (index >= 0) this.workers.splice(index, 1);
  }

  async close(): Promise<void> {
    await Promise.all([...this.workers].map((worker) => worker.terminate()));
  }
}
