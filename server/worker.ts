/**
 * A compression worker: attaches to the service's shared Machine and runs
 * stream cores for the main thread, one per session, a piece of input at a
 * time. It runs as compiled JavaScript (dist/server/worker.js).
 *
 * Scheduling: every turn of the worker's event loop, each runnable session
 * gets a turn of a few pieces of input (at most 256 KiB or 2 ms) or its
 * pending flush; then the loop turns again, so messages (acks, new input,
 * closes) are handled between turns and no session starves another. A session is runnable while it has queued input
 * and less than its output window (`outputWindow`, or what the main thread set) unacknowledged.
 */
import { createHash, type Hash } from 'node:crypto';
import { getHeapStatistics } from 'node:v8';
import { parentPort, workerData } from 'node:worker_threads';
import {
  copyStats,
  createDeflateCore,
  createInflateCore,
  type DeflateCore,
  type EngineName,
  engineNames,
  type ErrorCode,
  type FlushMode,
  type InflateCore,
  isZaccelError,
  Machine,
  restoreStream,
  setDefaultMachine,
  ZaccelError,
} from '../src/index.js';
import { emptyCounters, resolveDeflateOptions, resolveEngine } from '../src/internal.js';
import {
  defaultLevel,
  deflateFormats,
  INPUT_WINDOW,
  inflateFormats,
  levels,
  type EngineInfo,
  type FlushName,
  type FromWorker,
  type Mode,
  type SessionOptions,
  type SessionReport,
  type StreamCheckpoint,
  type ToWorker,
  type WorkerInit,
  type WorkerMemoryStats,
} from './protocol.js';

const init: WorkerInit = workerData;
const port = parentPort!;

/** The cores' output window: 64 KiB keeps calls into wasm few. */
const CHUNK_SIZE = 64 * 1024;
/** Deflate input per scheduling step: one socket read's worth, so a step is one message each way. */
const DEFLATE_PIECE = 64 * 1024;
/**
 * Inflate input per step. A push emits all its output before it returns, and
 * inflate can expand about 1032 times, so the piece shrinks as the session's
 * expansion ratio grows: normal data gets 16 KiB pieces, a bomb 256-byte ones, whose
 * output (about 260 KiB) stays within a streaming answer's 512 KiB window.
 */
const INFLATE_PIECE_MAX = 16 * 1024;
const INFLATE_PIECE_MIN = 256;
const INFLATE_PIECE_FIRST = 4 * 1024;
/** Output is posted in messages of about this size. */
const OUTPUT_BATCH = 256 * 1024;
/** A session's turn ends after this much input, or this much time, whichever comes first. */
const TURN_BYTES = 256 * 1024;
const TURN_MILLISECONDS = 2;
/**
 * Consumed input is reported after a turn once this much has gathered, or whenever the session stops (no whole
 * piece queued, or its output window full): the main thread then has a use for the count. A slow level's turn
 * ends on time after one 64 KiB piece; reporting each turn cost a message each way per piece. A quarter of the
 * main thread's input window keeps three quarters of it queued here while a report is on its way.
 */
const REPORT_BYTES: Record<Mode, number> = { deflate: INPUT_WINDOW.deflate / 4, inflate: INPUT_WINDOW.inflate / 4 };

const flushModes: Record<FlushName, FlushMode> = { none: 0, sync: 2, full: 3, finish: 4 };

interface Input {
  chunk: Uint8Array;
  offset: number;
}

/** A session's core, told apart by its mode rather than by its class. */
type Stream = { mode: 'deflate'; core: DeflateCore } | { mode: 'inflate'; core: InflateCore };

interface Session {
  sid: number;
  stream: Stream | undefined;
  engine: EngineName;
  queue: Array<Input | FlushName>;
  /** Input bytes and write ends in the queue: a deflate step waits for a whole piece unless the write ends. */
  queuedBytes: number;
  queuedEnds: number;
  unacked: number;
  /** Unacknowledged output at which the session stops: init.outputWindow, or what a `window` message set. */
  window: number;
  failed: boolean;
  pending: Buffer[];
  pendingBytes: number;
  /** Input consumed by turns since the last message that reported consumption (see REPORT_BYTES). */
  unreported: number;
  /** Deflate: the cap on the compressed output (maxOutput), checked as output comes. */
  cap: number | undefined;
  /** Numbered writes: the core's snapshot from before the write begun last. */
  checkpoint: Uint8Array | undefined;
  /** While a retry runs on a core restored from the checkpoint: the stream's own core, set aside. */
  parked: Stream | undefined;
  /** SHA-256 of the numbered write in progress (its bytes, then its flush), and of the first run of the last one. */
  writeHash: Hash | undefined;
  checkpointWrite: string | undefined;
}

const sessions = new Map<number, Session>();
let machine: Machine;

function post(message: FromWorker, transfer?: ArrayBuffer[]): void {
  port.postMessage(message, transfer);
}

function report(session: Session): SessionReport | null {
  const stream = session.stream;
  if (stream === undefined) return null;
  const core = stream.core;
  return {
    engine: core.engine.name,
    bytesIn: core.bytesIn,
    bytesOut: core.bytesOut,
    ended: core.ended,
    fallbacks: core.codec.fallbacks,
    copies: stream.mode === 'deflate' ? { ...stream.core.copies.counters } : emptyCounters(),
  };
}

function errorOf(error: unknown): { code: ErrorCode; message: string } {
  if (isZaccelError(error)) return { code: error.zaccelCode, message: error.message };
  return { code: 'ZACCEL_INTERNAL', message: `internal error: ${(error as Error)?.message ?? String(error)}` };
}

/** What a step produced, as one buffer that can be transferred rather than copied; null when nothing. */
function takeOutput(session: Session): Uint8Array | null {
  if (session.pendingBytes === 0) return null;
  const pieces = session.pending;
  let bytes: Uint8Array;
  const only = pieces.length === 1 ? pieces[0] : undefined;
  // A Buffer with an ArrayBuffer of its own can be transferred; small ones share Node's pool and are copied.
  if (only !== undefined && only.byteOffset === 0 && only.byteLength === only.buffer.byteLength) bytes = only;
  else bytes = new Uint8Array(Buffer.concat(pieces, session.pendingBytes));
  session.unacked += bytes.byteLength;
  session.pending = [];
  session.pendingBytes = 0;
  return bytes;
}

/** Post a step's result: input consumed (with what earlier turns left unreported) and output produced, in one message. */
function postStep(session: Session, consumed: number): void {
  const chunk = takeOutput(session);
  const reported = session.unreported + consumed;
  if (chunk === null && reported === 0) return;
  session.unreported = 0;
  post(
    { t: 'step', sid: session.sid, consumed: reported, chunk },
    chunk === null ? undefined : [chunk.buffer as ArrayBuffer],
  );
}

/** Make the session's core from options the routes validated; each field already has the library's type. */
function createStream(options: SessionOptions): Stream {
  const common = {
    engine: options.engine,
    chunkSize: CHUNK_SIZE,
    machine,
    dictionary: options.dictionary,
    windowBits: options.windowBits,
  };
  if (options.mode === 'deflate') {
    const core = createDeflateCore(options.format, {
      ...common,
      level: options.level,
      strategy: options.strategy,
      memLevel: options.memLevel,
      copy: options.copy,
    });
    return { mode: 'deflate', core };
  }
  return {
    mode: 'inflate',
    core: createInflateCore(options.format, { ...common, maxOutputLength: options.maxOutput }),
  };
}

/** A core restored from a snapshot, told apart by the kind the snapshot recorded. */
function restoredStream(snapshot: Uint8Array): Stream {
  const core = restoreStream(snapshot, { machine });
  return core.kind === 'deflate' ? { mode: 'deflate', core } : { mode: 'inflate', core };
}

/** Make `stream` the session's: its output goes to the session's pending output. */
function attach(session: Session, stream: Stream): void {
  const cap = session.cap;
  const core = stream.core;
  core.ondata = (chunk) => {
    // Inflate enforces its cap in the core; a deflate cap is ours. Throwing here fails the push, which closes the core.
    if (cap !== undefined && core.bytesOut > cap) {
      throw new ZaccelError('ZACCEL_OUTPUT_LIMIT', `compressed output exceeds maxOutput of ${cap} bytes`);
    }
    session.pending.push(chunk);
    session.pendingBytes += chunk.length;
    if (session.pendingBytes >= OUTPUT_BATCH) postStep(session, 0);
  };
  session.stream = stream;
}

function open(sid: number, options: SessionOptions, restoring?: StreamCheckpoint): void {
  const session: Session = {
    sid,
    stream: undefined,
    engine: options.engine,
    queue: [],
    queuedBytes: 0,
    queuedEnds: 0,
    unacked: 0,
    window: init.outputWindow,
    failed: false,
    pending: [],
    pendingBytes: 0,
    unreported: 0,
    cap: options.mode === 'deflate' ? options.maxOutput : undefined,
    checkpoint: restoring?.previous ?? undefined,
    parked: undefined,
    writeHash: undefined,
    checkpointWrite: restoring?.previousWrite ?? undefined,
  };
  sessions.set(sid, session);
  try {
    const stream = restoring === undefined ? createStream(options) : restoredStream(restoring.snapshot);
    if (stream.mode !== options.mode)
      throw new ZaccelError('ZACCEL_BAD_SNAPSHOT', `the checkpoint holds a ${stream.mode} stream, not ${options.mode}`);
    const core = stream.core;
    attach(session, stream);
    session.engine = core.engine.name;
    post({ t: 'opened', sid, engine: core.engine.name });
  } catch (error) {
    fail(session, error);
  }
}

function fail(session: Session, error: unknown): void {
  postStep(session, 0);
  session.failed = true;
  session.queue = [];
  session.queuedBytes = session.queuedEnds = 0;
  session.stream?.core.close();
  post({ t: 'error', sid: session.sid, ...errorOf(error), report: report(session) });
}

function inflatePiece(core: InflateCore, window: number): number {
  if (core.bytesIn === 0) return INFLATE_PIECE_FIRST;
  const ratio = Math.max(1, core.bytesOut / core.bytesIn);
  const piece = Math.floor(window / 4 / ratio);
  return Math.min(INFLATE_PIECE_MAX, Math.max(INFLATE_PIECE_MIN, piece));
}

/**
 * A session's turn: pieces of input until the turn's time or size budget is spent (or the write ends),
 * then one message with what they consumed and produced. Messages, not bytes, are the cost of the
 * channel: batching keeps them few while the budget keeps the other sessions' turns coming.
 */
function runTurn(session: Session): void {
  const stream = session.stream!;
  const started = performance.now();
  let consumed = 0;
  try {
    while (runnable(session)) {
      const head = session.queue[0];
      if (typeof head === 'string') {
        session.queue.shift();
        session.queuedEnds--;
        if (stream.mode === 'deflate') {
          if (head !== 'none') stream.core.push(Buffer.alloc(0), flushModes[head]);
        } else if (head === 'finish') {
          stream.core.push(Buffer.alloc(0), true);
        }
        const chunk = takeOutput(session);
        const written = session.writeHash?.update(head).digest('hex');
        session.writeHash = undefined;
        if (session.parked !== undefined && written !== session.checkpointWrite) {
          if (chunk !== null) session.unacked -= chunk.byteLength; // never posted
          post({ t: 'step', sid: session.sid, consumed: session.unreported + consumed, chunk: null });
          session.unreported = 0;
          post({
            t: 'refused',
            sid: session.sid,
            code: 'ZACCEL_SEQUENCE',
            message: 'a retry must repeat its write: its body or flush differs from the first time',
          });
        } else {
          if (session.parked === undefined && written !== undefined) session.checkpointWrite = written;
          const reported = session.unreported + consumed;
          session.unreported = 0;
          post(
            { t: 'done', sid: session.sid, report: report(session)!, consumed: reported, chunk },
            chunk === null ? undefined : [chunk.buffer as ArrayBuffer],
          );
        }
        if (session.parked !== undefined) {
          // A retry is over: back to the stream's own core, which is already past this write.
          stream.core.close();
          session.stream = session.parked;
          session.parked = undefined;
        }
        return;
      }
      const bytes =
        stream.mode === 'deflate'
          ? deflatePiece(session)
          : inflateInput(session, inflatePiece(stream.core, session.window));
      session.writeHash?.update(bytes);
      if (stream.mode === 'deflate') stream.core.push(bytes, 0);
      else stream.core.push(bytes, false);
      consumed += bytes.length;
      if (consumed >= TURN_BYTES || performance.now() - started >= TURN_MILLISECONDS) break;
    }
    // A session that goes on at its next turn reports later, with more; one that stops reports now.
    if (runnable(session) && session.unreported + consumed < REPORT_BYTES[stream.mode]) session.unreported += consumed;
    else postStep(session, consumed);
  } catch (error) {
    fail(session, error);
  }
}

/**
 * The next deflate input: exactly DEFLATE_PIECE bytes (gathered across body chunks), or what is left of
 * the write before its end. So the calls a write makes depend on its bytes, not on how the network cut
 * them: a retried write, restored from its snapshot, makes the same calls and answers the same bytes
 * (the dfltcc engine's block decisions look at each call's input length).
 */
function deflatePiece(session: Session): Uint8Array {
  const parts: Uint8Array[] = [];
  let length = 0;
  while (length < DEFLATE_PIECE) {
    const head = session.queue[0];
    if (head === undefined || typeof head === 'string') break;
    const take = Math.min(DEFLATE_PIECE - length, head.chunk.length - head.offset);
    parts.push(head.chunk.subarray(head.offset, head.offset + take));
    head.offset += take;
    length += take;
    if (head.offset === head.chunk.length) session.queue.shift();
  }
  session.queuedBytes -= length;
  return parts.length === 1 ? parts[0] : Buffer.concat(parts, length);
}

/** The next inflate input: up to `piece` bytes of the head chunk (inflate's output does not depend on the cut). */
function inflateInput(session: Session, piece: number): Uint8Array {
  const head = session.queue[0] as Input;
  const length = Math.min(piece, head.chunk.length - head.offset);
  const bytes = head.chunk.subarray(head.offset, head.offset + length);
  head.offset += length;
  if (head.offset === head.chunk.length) session.queue.shift();
  session.queuedBytes -= length;
  return bytes;
}

/**
 * Runnable: the output window (posted and pending) not full, and something to do: a write end queued,
 * or input (deflate: a whole piece of it, unless the write's end is queued too).
 */
const runnable = (session: Session) =>
  !session.failed &&
  session.stream !== undefined &&
  session.queue.length > 0 &&
  (session.queuedEnds > 0 || session.queuedBytes >= (session.stream.mode === 'deflate' ? DEFLATE_PIECE : 1)) &&
  session.unacked + session.pendingBytes < session.window;

/**
 * A numbered write begins. The first time: remember the core's state from before it. A retry: run it on
 * a core restored from that state, and leave the stream's own core (already past the write) aside.
 */
function begin(session: Session, retry: boolean): void {
  session.writeHash = createHash('sha256');
  try {
    if (!retry) {
      session.checkpoint = session.stream!.core.snapshot();
      return;
    }
    if (session.checkpoint === undefined) throw new ZaccelError('ZACCEL_INTERNAL', 'a retry without a checkpoint');
    const restored = restoredStream(session.checkpoint);
    session.parked = session.stream;
    attach(session, restored);
  } catch (error) {
    fail(session, error);
  }
}

/** Undo the numbered write begun last: its input is dropped and the core goes back to the checkpoint. */
function rollback(session: Session): void {
  session.writeHash = undefined;
  session.queue = [];
  session.queuedBytes = session.queuedEnds = 0;
  session.pending = [];
  session.pendingBytes = 0;
  session.unreported = 0;
  try {
    if (session.parked !== undefined) {
      session.stream?.core.close();
      session.stream = session.parked;
      session.parked = undefined;
    } else if (session.checkpoint !== undefined) {
      session.stream?.core.close();
      session.stream = undefined;
      attach(session, restoredStream(session.checkpoint));
    }
    // A failure the write met before it was undone is undone with it.
    session.failed = false;
  } catch (error) {
    fail(session, error);
    return;
  }
  post({ t: 'rolledBack', sid: session.sid, report: report(session) });
}

let scheduled = false;

function schedule(): void {
  if (scheduled) return;
  scheduled = true;
  setImmediate(turn);
}

function turn(): void {
  scheduled = false;
  let more = false;
  for (const session of sessions.values()) {
    if (!runnable(session)) continue;
    runTurn(session);
    more ||= runnable(session);
  }
  if (more) schedule();
}

function stats(): WorkerMemoryStats {
  const heap = getHeapStatistics();
  return {
    machine: machine.stats(),
    heap: { physicalBytes: heap.total_physical_size, externalBytes: heap.external_memory },
    copies: copyStats(),
    sessions: sessions.size,
  };
}

port.on('message', (message: ToWorker) => {
  switch (message.t) {
    case 'open':
      open(message.sid, message.options);
      return;
    case 'restore':
      open(message.sid, message.options, message.checkpoint);
      return;
    case 'checkpoint': {
      const session = sessions.get(message.sid);
      if (session === undefined || session.stream === undefined || session.failed) return; // the main thread knows
      try {
        const checkpoint: StreamCheckpoint = {
          snapshot: session.stream.core.snapshot(),
          previous: session.checkpoint ?? null,
          previousWrite: session.checkpointWrite ?? null,
        };
        post({ t: 'checkpoint', sid: session.sid, checkpoint });
      } catch (error) {
        fail(session, error);
      }
      return;
    }
    case 'input':
    case 'end': {
      const session = sessions.get(message.sid);
      if (session === undefined || session.failed) return; // the main thread already knows it failed
      if (message.t === 'input') {
        for (const chunk of message.chunks) {
          session.queue.push({ chunk, offset: 0 });
          session.queuedBytes += chunk.length;
        }
      } else {
        session.queue.push(message.flush);
        session.queuedEnds++;
      }
      schedule();
      return;
    }
    case 'begin': {
      const session = sessions.get(message.sid);
      if (session !== undefined && !session.failed) begin(session, message.retry);
      return;
    }
    case 'rollback': {
      const session = sessions.get(message.sid);
      if (session !== undefined) rollback(session);
      return;
    }
    case 'ack': {
      const session = sessions.get(message.sid);
      if (session === undefined) return;
      session.unacked -= message.bytes;
      if (runnable(session)) schedule();
      return;
    }
    case 'window': {
      const session = sessions.get(message.sid);
      if (session === undefined) return;
      session.window = message.bytes;
      if (runnable(session)) schedule();
      return;
    }
    case 'close': {
      const session = sessions.get(message.sid);
      sessions.delete(message.sid);
      const last = session === undefined ? null : report(session);
      session?.stream?.core.close();
      session?.parked?.core.close();
      post({ t: 'closed', sid: message.sid, report: last });
      return;
    }
    case 'stats':
      post({ t: 'stats', rid: message.rid, stats: stats() });
      return;
  }
});

/** What /v1/engines shows: every engine in the registry, found by asking each on this Machine. */
function describeEngines(): EngineInfo[] {
  return engineNames().map((name) => {
    const info: EngineInfo = {
      name,
      available: false,
      version: null,
      access: null,
      accessByLevel: null,
      levels,
      defaultLevel,
      formats: { deflate: deflateFormats, inflate: inflateFormats },
    };
    try {
      const engine = resolveEngine(name, machine);
      info.version = engine.version(machine);
      info.access = engine.deflateAccess(resolveDeflateOptions('zlib', {}));
      info.accessByLevel = Object.fromEntries(
        levels.map((level) => [String(level), engine.deflateAccess(resolveDeflateOptions('zlib', { level }))]),
      );
      // Instantiate the engine's modules in this thread now: readiness means they are.
      createDeflateCore('zlib', { engine: engine.name, machine }).close();
      createInflateCore('zlib', { engine: engine.name, machine }).close();
      info.available = true;
    } catch {
      // Not built here: listed as unavailable.
    }
    return info;
  });
}

try {
  machine = Machine.attach(init.descriptor, { owner: init.owner });
  // A replacement takes the dead worker's partitions before it carves anything.
  const adoptedBytes = init.adopt.reduce((total, owner) => total + machine.adoptPartitions(owner), 0);
  setDefaultMachine(machine);
  const engines = describeEngines();
  post({ t: 'ready', engines, stats: stats(), adoptedBytes });
} catch (error) {
  post({ t: 'fatal', ...errorOf(error) });
}
