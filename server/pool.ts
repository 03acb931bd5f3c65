/**
 * The pool of compression workers on one shared Machine, and the main
 * thread's side of a session (one stream core in one worker).
 *
 * The Machine is created here, on the main thread, and every worker attaches
 * to it: all stream state lives in one shared WebAssembly memory. A session
 * stays on the worker that opened it (stream affinity), and new sessions go
 * to the worker with the fewest open sessions.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { Logger } from 'pino';
import { type EngineName, Machine } from '../src/index.js';
import { packageRoot } from '../src/internal.js';
import { ServiceError } from './errors.js';
import { OutputStream } from './output-stream.js';
import { INPUT_WINDOW } from './protocol.js';
import type {
  EngineInfo,
  FlushName,
  FromWorker,
  Mode,
  SessionOptions,
  SessionReport,
  StreamCheckpoint,
  ToWorker,
  WorkerInit,
  WorkerMemoryStats,
} from './protocol.js';

/**
 * A session's output window once its answer streams. Before that the main thread holds up to commitBytes back,
 * so the window is commitBytes + 1 MiB; after it, output only waits for the socket, and a larger window would
 * only hold more of it in this process for a client that reads slowly (256 stalled readers held 2 MiB each).
 * Twice the ack batch keeps the worker busy while a batch is on its way.
 */
export const STREAMING_OUTPUT_WINDOW = 512 * 1024;
/** Body chunks are sent at once when this many bytes are waiting; otherwise after the current I/O burst. */
const INPUT_BATCH = 256 * 1024;

export interface PoolOptions {
  workers: number;
  machineBytes: number;
  /** Output held before a response commits; the worker's output window is this plus 1 MiB. */
  commitBytes: number;
  logger: Pick<Logger, 'info' | 'warn' | 'error'>;
  /** Told about every report, with the previous one for the same session (for metric increments). */
  onReport?: (mode: Mode, report: SessionReport, previous: SessionReport | undefined) => void;
}

/** Where the compiled worker is: beside this file in dist/, or in dist/ when this file runs as TypeScript. */
function workerFile(): string {
  const here = fileURLToPath(import.meta.url);
  const sibling = join(here, '..', 'worker.js');
  if (here.endsWith('.js') && existsSync(sibling)) return sibling;
  const built = join(packageRoot(), 'dist', 'server', 'worker.js');
  if (existsSync(built)) return built;
  throw new ServiceError('ZACCEL_NOT_BUILT', `compiled worker missing (${built}): run npm run build`);
}

export class WorkerHandle {
  readonly sessions = new Map<number, Session>();
  readonly ready: Promise<void>;
  engines: EngineInfo[] = [];
  /** The worker reported its modules instantiated. */
  isReady = false;
  private readonly statsWaiters = new Map<
    number,
    { resolve: (stats: WorkerMemoryStats) => void; reject: (error: Error) => void }
  >();
  private exited = false;

  /** Partition bytes this worker took over from dead workers when it started. */
  adoptedBytes = 0;

  constructor(
    readonly pool: WorkerPool,
    readonly index: number,
    readonly worker: Worker,
    /** This worker's owner id on the Machine. */
    readonly owner: number,
    /** The dead workers' owner ids it was asked to adopt: a replacement that dies before it did passes them on. */
    readonly adopting: readonly number[],
  ) {
    this.ready = new Promise<void>((resolve, reject) => {
      worker.on('message', (message: FromWorker) => {
        pool.messages.fromWorkers++;
        if (message.t === 'ready') {
          this.engines = message.engines;
          this.adoptedBytes = message.adoptedBytes;
          this.isReady = true;
          resolve();
        } else if (message.t === 'fatal') {
          reject(new ServiceError(message.code, message.message));
        } else {
          this.dispatch(message);
        }
      });
      worker.on('error', (error) => {
        reject(error);
        this.pool.options.logger.error({ err: error, worker: index }, 'worker failed');
      });
      worker.on('exit', (code) => {
        this.exited = true;
        reject(new ServiceError('ZACCEL_INTERNAL', `worker ${index} exited with ${code} while starting`));
        this.pool.workerExited(this, code);
      });
    });
    this.ready.catch(() => {});
  }

  get alive(): boolean {
    return !this.exited;
  }

  post(message: ToWorker, transfer?: ArrayBuffer[]): void {
    if (this.exited) return;
    this.pool.messages.toWorkers++;
    this.worker.postMessage(message, transfer);
  }

  stats(): Promise<WorkerMemoryStats> {
    const rid = this.pool.nextId();
    return new Promise((resolve, reject) => {
      if (this.exited) {
        reject(new ServiceError('ZACCEL_INTERNAL', 'worker is gone'));
        return;
      }
      this.statsWaiters.set(rid, { resolve, reject });
      this.post({ t: 'stats', rid });
    });
  }

  /** Fail every session of a worker that died (or is being stopped), and every question asked of it. */
  failAll(error: ServiceError): void {
    for (const session of this.sessions.values()) session.failed(error, null);
    this.sessions.clear();
    for (const waiter of this.statsWaiters.values()) waiter.reject(error);
    this.statsWaiters.clear();
  }

  private dispatch(message: FromWorker): void {
    if (message.t === 'stats') {
      this.statsWaiters.get(message.rid)?.resolve(message.stats);
      this.statsWaiters.delete(message.rid);
      return;
    }
    if (message.t === 'ready' || message.t === 'fatal') return;
    const session = this.sessions.get(message.sid);
    if (session === undefined) return;
    switch (message.t) {
      case 'opened':
        session.markOpened(message.engine);
        return;
      case 'step':
        if (message.chunk !== null)
          session.output(Buffer.from(message.chunk.buffer, message.chunk.byteOffset, message.chunk.byteLength));
        if (message.consumed > 0) session.consumed(message.consumed);
        return;
      case 'done':
        if (message.chunk !== null)
          session.output(Buffer.from(message.chunk.buffer, message.chunk.byteOffset, message.chunk.byteLength));
        if (message.consumed > 0) session.consumed(message.consumed);
        session.done(message.report);
        return;
      case 'error':
        session.failed(new ServiceError(message.code, message.message), message.report);
        return;
      case 'closed':
        this.sessions.delete(message.sid);
        session.closed(message.report);
        return;
      case 'rolledBack':
        session.rolledBack(message.report);
        return;
      case 'checkpoint':
        session.checkpointTaken(message.checkpoint);
        return;
      case 'refused':
        session.refused(new ServiceError(message.code, message.message));
        return;
    }
  }
}

/** One write of a session: input goes in with flow control, output comes out as an OutputStream. */
export class WriteCall {
  readonly output: OutputStream;
  private completion: { resolve: (report: SessionReport) => void; reject: (error: Error) => void } | undefined;
  readonly completed: Promise<SessionReport>;
  /** Bytes of request body sent to the worker. */
  bytesSent = 0;

  constructor(
    readonly session: Session,
    commitBytes: number,
    /** A numbered write: if its client goes away before it completes, it is undone rather than failing the stream. */
    readonly numbered = false,
  ) {
    this.output = new OutputStream(
      (bytes) => session.ack(bytes),
      commitBytes,
      (error) => (this.numbered ? session.rollback(error, this) : session.abort(error)),
    );
    this.completed = new Promise<SessionReport>((resolve, reject) => {
      this.completion = { resolve, reject };
    });
    this.completed.catch(() => {});
  }

  /**
   * Send a piece of the body. Returns a promise when the caller must wait before sending more.
   * `owned`: nothing else holds the chunk, so its memory may be handed over instead of copied.
   */
  send(chunk: Uint8Array, owned = false): Promise<void> | undefined {
    this.bytesSent += chunk.length;
    return this.session.input(chunk, owned);
  }

  /** End the write with a flush; `completed` settles when the worker has processed it. */
  end(flush: FlushName): Promise<SessionReport> {
    this.session.end(flush);
    return this.completed;
  }

  resolve(report: SessionReport): void {
    this.output.finish();
    this.completion?.resolve(report);
    this.completion = undefined;
  }

  reject(error: Error): void {
    this.output.fail(error);
    this.completion?.reject(error);
    this.completion = undefined;
  }
}

export type SessionState = 'open' | 'failed' | 'closed';

export class Session {
  engine: EngineName;
  state: SessionState = 'open';
  error: Error | undefined;
  report: SessionReport | undefined;
  private write: WriteCall | undefined;
  private inflight = 0;
  private pendingInput: Uint8Array[] = [];
  private pendingInputBytes = 0;
  private flushScheduled = false;
  private inputWaiter: { resolve: () => void; reject: (error: Error) => void } | undefined;
  private closing: Promise<SessionReport | null> | undefined;
  /** A rollback was asked for: what the worker says about the undone write, until it confirms, is dropped. */
  private discarding = false;
  private closeResolve: ((report: SessionReport | null) => void) | undefined;
  /** Settles when the worker made the core: rejects with the option or engine error if it could not. */
  readonly opened: Promise<void>;
  private openSettle: { resolve: () => void; reject: (error: Error) => void } | undefined;

  readonly mode: Mode;
  /** Checkpoints asked for and not yet answered, in order (the worker answers in order). */
  private checkpointWaiters: Array<{
    resolve: (checkpoint: StreamCheckpoint) => void;
    reject: (error: Error) => void;
  }> = [];

  constructor(
    readonly id: number,
    readonly handle: WorkerHandle,
    options: SessionOptions,
    restoring?: StreamCheckpoint,
  ) {
    this.mode = options.mode;
    this.engine = options.engine;
    this.opened = new Promise<void>((resolve, reject) => {
      this.openSettle = { resolve, reject };
    });
    this.opened.catch(() => {});
    const transfer = options.dictionary === undefined ? undefined : [options.dictionary.buffer as ArrayBuffer];
    if (restoring === undefined) handle.post({ t: 'open', sid: id, options }, transfer);
    else handle.post({ t: 'restore', sid: id, options, checkpoint: restoring });
  }

  /** The core's checkpoint (cluster mode), taken between writes. */
  checkpoint(): Promise<StreamCheckpoint> {
    if (this.state !== 'open') return Promise.reject(this.closedError());
    return new Promise((resolve, reject) => {
      this.checkpointWaiters.push({ resolve, reject });
      this.handle.post({ t: 'checkpoint', sid: this.id });
    });
  }

  checkpointTaken(checkpoint: StreamCheckpoint): void {
    this.checkpointWaiters.shift()?.resolve(checkpoint);
  }

  private rejectCheckpoints(error: Error): void {
    for (const waiter of this.checkpointWaiters.splice(0)) waiter.reject(error);
  }

  markOpened(engine: EngineName): void {
    this.engine = engine;
    this.openSettle?.resolve();
    this.openSettle = undefined;
  }

  /**
   * Start the next write. The caller runs one write at a time per session. A numbered write (`numbered`)
   * keeps the stream's state from before it in the worker; `retry` runs it again from that state,
   * without advancing the stream (see routes/streams.ts).
   */
  beginWrite(commitBytes: number, numbered?: { retry: boolean }): WriteCall {
    if (this.state !== 'open') {
      throw this.closedError();
    }
    if (numbered !== undefined) this.handle.post({ t: 'begin', sid: this.id, retry: numbered.retry });
    this.write = new WriteCall(this, commitBytes, numbered !== undefined);
    return this.write;
  }

  /**
   * Undo the numbered write in progress: its client went away before it completed. The write's answer
   * fails, the worker drops its input and returns the core to the state from before it, and the stream
   * stays open: the client sends the same number again.
   */
  rollback(error: Error, call: WriteCall): void {
    if (this.state !== 'open' || this.write !== call) return; // not this write's turn any more: nothing to undo
    this.discarding = true;
    this.pendingInput = [];
    this.pendingInputBytes = 0;
    this.inflight = 0;
    this.inputWaiter?.reject(error);
    this.inputWaiter = undefined;
    const write = this.write;
    this.write = undefined;
    write?.reject(error);
    this.handle.post({ t: 'rollback', sid: this.id });
  }

  /** The worker refused the write (a retry that does not repeat its write); the stream is as it was. */
  refused(error: Error): void {
    if (this.discarding) return;
    const write = this.write;
    this.write = undefined;
    write?.reject(error);
  }

  rolledBack(report: SessionReport | null): void {
    this.discarding = false;
    if (report !== null) this.noteReport(report);
  }

  /**
   * Send input to the worker. With `owned`, the chunk's memory is the caller's to give away and is
   * transferred (the chunk is detached); otherwise it is copied first.
   */
  input(chunk: Uint8Array, owned = false): Promise<void> | undefined {
    if (this.state !== 'open') return Promise.reject(this.closedError());
    const whole =
      owned &&
      chunk.byteOffset === 0 &&
      chunk.byteLength === chunk.buffer.byteLength &&
      chunk.buffer instanceof ArrayBuffer;
    const piece = whole ? chunk : new Uint8Array(chunk);
    this.inflight += piece.length;
    // Chunks that arrive together travel together: one message per I/O burst (or per INPUT_BATCH).
    this.pendingInput.push(piece);
    this.pendingInputBytes += piece.length;
    if (this.pendingInputBytes >= INPUT_BATCH) this.flushInput();
    else if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => {
        this.flushScheduled = false;
        this.flushInput();
      });
    }
    if (this.inflight < INPUT_WINDOW[this.mode]) return undefined;
    return new Promise<void>((resolve, reject) => {
      this.inputWaiter = { resolve, reject };
    });
  }

  end(flush: FlushName): void {
    this.flushInput();
    if (this.state === 'open') this.handle.post({ t: 'end', sid: this.id, flush });
  }

  private flushInput(): void {
    const chunks = this.pendingInput;
    if (chunks.length === 0) return;
    this.pendingInput = [];
    this.pendingInputBytes = 0;
    if (this.state !== 'open') return; // the session failed or closed: the input is dropped
    this.handle.post(
      { t: 'input', sid: this.id, chunks },
      chunks.map((chunk) => chunk.buffer as ArrayBuffer),
    );
  }

  ack(bytes: number): void {
    if (this.state === 'open' && bytes > 0) this.handle.post({ t: 'ack', sid: this.id, bytes });
  }

  /** Set the unacknowledged output at which the worker pauses this session. */
  setOutputWindow(bytes: number): void {
    if (this.state === 'open') this.handle.post({ t: 'window', sid: this.id, bytes });
  }

  output(chunk: Buffer): void {
    if (this.write !== undefined && !this.discarding) this.write.output.deliver(chunk);
    else this.ack(chunk.length);
  }

  consumed(bytes: number): void {
    if (this.discarding) return; // input of the undone write: rollback() stopped counting it
    this.inflight -= bytes;
    if (this.inflight < INPUT_WINDOW[this.mode] && this.inputWaiter !== undefined) {
      const { resolve } = this.inputWaiter;
      this.inputWaiter = undefined;
      resolve();
    }
  }

  done(report: SessionReport): void {
    if (this.discarding) return; // the undone write completed before the worker saw the rollback
    this.noteReport(report);
    const write = this.write;
    this.write = undefined;
    write?.resolve(report);
  }

  /** The worker reported a failure (its core is closed), or the worker died. */
  failed(error: Error, report: SessionReport | null): void {
    // The undone write failed before the worker saw the rollback: the rollback undoes the failure too.
    if (this.discarding && this.handle.alive) return;
    if (report !== null) this.noteReport(report);
    if (this.state === 'open') {
      this.state = 'failed';
      this.error = error;
    }
    this.openSettle?.reject(error);
    this.openSettle = undefined;
    this.inputWaiter?.reject(error);
    this.inputWaiter = undefined;
    this.rejectCheckpoints(error);
    const write = this.write;
    this.write = undefined;
    write?.reject(error);
    if (!this.handle.alive) this.closed(report);
  }

  /** Give up on the session from this side: the client went away or its body was refused. A numbered write is undone instead. */
  abort(error: Error): void {
    if (this.write?.numbered === true && this.state === 'open') {
      this.rollback(error, this.write);
      return;
    }
    this.failed(error, null);
    void this.close();
  }

  /** Free the session's core and machine memory in the worker. Idempotent. */
  close(): Promise<SessionReport | null> {
    if (this.closing !== undefined) return this.closing;
    this.closing = new Promise((resolve) => {
      this.closeResolve = resolve;
    });
    if (this.state === 'open') this.state = 'closed';
    // The error is made only when something waits to be told (an Error's stack costs): a one-shot closes with nothing
    // waiting, and whatever asks the closed session later makes its own (see `closedError`).
    if (
      this.openSettle !== undefined ||
      this.inputWaiter !== undefined ||
      this.write !== undefined ||
      this.checkpointWaiters.length > 0
    ) {
      const error = this.closedError();
      this.openSettle?.reject(error);
      this.openSettle = undefined;
      this.inputWaiter?.reject(error);
      this.inputWaiter = undefined;
      this.write?.reject(error);
      this.write = undefined;
      this.rejectCheckpoints(error);
    }
    if (this.handle.alive) this.handle.post({ t: 'close', sid: this.id });
    else this.closed(null);
    return this.closing;
  }

  /** Why the session cannot be used: its failure, or (made now, once) that it was closed. */
  private closedError(): Error {
    this.error ??= new ServiceError('ZACCEL_STREAM_CLOSED', 'the stream is closed');
    return this.error;
  }

  closed(report: SessionReport | null): void {
    if (report !== null) this.noteReport(report);
    this.handle.pool.sessionClosed(this);
    if (this.closeResolve !== undefined) this.closeResolve(this.report ?? null);
    else this.closing = Promise.resolve(this.report ?? null);
  }

  private noteReport(report: SessionReport): void {
    this.handle.pool.options.onReport?.(this.mode, report, this.report);
    this.report = report;
  }
}

export class WorkerPool {
  readonly machine: Machine;
  readonly handles: WorkerHandle[] = [];
  private sequence = 0;
  private stopping = false;
  private readyPromise: Promise<void>;
  private isReady = false;
  private startError: Error | undefined;
  private engineInfo: EngineInfo[] = [];
  openSessions = 0;
  /**
   * Messages posted to the workers and received from them since the start: each costs both threads a wake-up and a
   * (de)serialisation, so the HTTP bench reports them per request.
   */
  readonly messages = { toWorkers: 0, fromWorkers: 0 };

  constructor(readonly options: PoolOptions) {
    this.machine = Machine.create({ maximumBytes: options.machineBytes });
    for (let index = 0; index < options.workers; index++) this.handles.push(this.spawn(index));
    this.readyPromise = Promise.all(this.handles.map((handle) => handle.ready)).then(
      () => {
        this.isReady = true;
        options.logger.info(
          {
            workers: this.handles.length,
            engines: this.engines()
              .filter((e) => e.available)
              .map((e) => e.name),
          },
          'workers ready',
        );
      },
      (error: Error) => {
        this.startError = error;
        options.logger.error({ err: error }, 'workers failed to start');
        throw error;
      },
    );
    this.readyPromise.catch(() => {});
  }

  /** Every worker is alive and has instantiated its modules (a replacement for a dead one counts once it has). */
  get ready(): boolean {
    return this.isReady && !this.stopping && this.handles.every((handle) => handle.alive && handle.isReady);
  }

  /** Resolves once a worker can take sessions: at start, when all have started; later, when any is ready. */
  whenReady(): Promise<void> {
    if (this.startError !== undefined) return Promise.reject(this.startError);
    if (!this.isReady) return this.readyPromise;
    if (this.handles.some((handle) => handle.alive && handle.isReady)) return Promise.resolve();
    return Promise.any(this.handles.map((handle) => handle.ready)).catch(() => {
      throw new ServiceError('ZACCEL_INTERNAL', 'no worker could be started');
    });
  }

  nextId(): number {
    return ++this.sequence;
  }

  /** What the workers found: every engine with its version and access model. */
  engines(): EngineInfo[] {
    // Every worker runs the same build on the same Machine: the first report stands for all.
    if (this.engineInfo.length === 0)
      this.engineInfo = this.handles.find((handle) => handle.engines.length > 0)?.engines ?? [];
    return this.engineInfo;
  }

  /** Open a session on the least loaded worker. */
  open(options: SessionOptions, restoring?: StreamCheckpoint): Session {
    const engine = this.engines().find((info) => info.name === options.engine);
    if (engine === undefined || !engine.available) {
      throw new ServiceError('ZACCEL_ENGINE_UNAVAILABLE', `engine '${options.engine}' is not available on this server`);
    }
    if (this.stopping) throw new ServiceError('ZACCEL_SHUTTING_DOWN');
    const live = this.handles.filter((handle) => handle.alive && handle.isReady);
    if (live.length === 0)
      throw new ServiceError('ZACCEL_AT_CAPACITY', 'no worker is ready: a replacement is starting');
    const handle = live.reduce((best, next) => (next.sessions.size < best.sessions.size ? next : best));
    const session = new Session(this.nextId(), handle, options, restoring);
    handle.sessions.set(session.id, session);
    this.openSessions++;
    return session;
  }

  sessionClosed(session: Session): void {
    session.handle.sessions.delete(session.id);
    this.openSessions = this.countSessions();
  }

  private countSessions(): number {
    return this.handles.reduce((sum, handle) => sum + handle.sessions.size, 0);
  }

  /** Machine memory in use, summed over the workers (each handle counts its own regions). */
  async memoryStats(): Promise<{
    bytesInUse: number;
    liveRegions: number;
    bytesOwned: number;
    memoryBytes: number;
    sessions: number;
    heapBytes: number;
    externalBytes: number;
    workers: WorkerMemoryStats[];
  }> {
    const workers = await Promise.all(this.handles.filter((handle) => handle.alive).map((handle) => handle.stats()));
    const sum = (pick: (stats: WorkerMemoryStats) => number) =>
      workers.reduce((total, stats) => total + pick(stats), 0);
    return {
      bytesInUse: sum((stats) => stats.machine.bytesInUse),
      liveRegions: sum((stats) => stats.machine.liveRegions),
      bytesOwned: sum((stats) => stats.machine.bytesOwned),
      memoryBytes: this.machine.memory.buffer.byteLength,
      sessions: sum((stats) => stats.sessions),
      heapBytes: sum((stats) => stats.heap.physicalBytes),
      externalBytes: sum((stats) => stats.heap.externalBytes),
      workers,
    };
  }

  workerExited(handle: WorkerHandle, code: number): void {
    handle.failAll(new ServiceError('ZACCEL_INTERNAL', `worker ${handle.index} exited with code ${code}`));
    this.openSessions = this.countSessions();
    if (this.stopping) return;
    // The replacement attaches to the same Machine and adopts the dead worker's partitions (and any it had been
    // asked to adopt and did not live to), instead of carving new ones: a crash costs no Machine memory.
    this.options.logger.error({ worker: handle.index, code }, 'worker exited; starting a replacement');
    const replacement = this.spawn(handle.index, [handle.owner, ...handle.adopting]);
    this.handles[this.handles.indexOf(handle)] = replacement;
    replacement.ready.catch((error: Error) => this.options.logger.error({ err: error }, 'replacement worker failed'));
  }

  /** Terminate the workers; sessions still open fail with ZACCEL_SHUTTING_DOWN. */
  async close(): Promise<void> {
    this.stopping = true;
    await Promise.all(
      this.handles.map(async (handle) => {
        handle.failAll(new ServiceError('ZACCEL_SHUTTING_DOWN'));
        await handle.worker.terminate();
      }),
    );
    this.openSessions = 0;
  }

  private spawn(index: number, adopt: number[] = []): WorkerHandle {
    const owner = this.machine.reserveOwner();
    const init: WorkerInit = {
      descriptor: this.machine.descriptor,
      outputWindow: this.options.commitBytes + 1024 * 1024,
      index,
      owner,
      adopt,
    };
    const worker = new Worker(workerFile(), { workerData: init, name: `zaccel-worker-${index}` });
    return new WorkerHandle(this, index, worker, owner, adopt);
  }
}
