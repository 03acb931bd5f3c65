/**
 * A compression worker: attaches to the service's shared Machine and runs
 * stream cores for the main thread, one per session, a piece of input at a
 * time. It runs as compiled JavaScript (dist/server/worker.js).
 *
 * Scheduling: every turn of the worker's event loop, each runnable session
 * gets a turn of a few pieces of input (at most 256 KiB or 2 ms) or its
 * pending flush; then the loop turns again, so messages (acks, new input,
 * closes) are handled between turns and no session starves another. A session is runnable while it has queued input
 * and less than `outputWindow` bytes of output unacknowledged.
 */
import { createHash, type Hash } from 'node:crypto';
import { parentPort, workerData } from 'node:worker_threads';
import type { FlushMode } from '../src/constants.js';
import { emptyCounters } from '../src/core/copy-policy.js';
import { resolveEngine } from '../src/engines/registry.js';
import {
  copyStats,
  createDeflateCore,
  createInflateCore,
  DeflateCore,
  engineNames,
  isZaccelError,
  Machine,
  restoreStream,
  setDefaultMachine,
  ZaccelError,
  type InflateCore,
  type MachineDescriptor,
} from '../src/index.js';
import { resolveDeflateOptions } from '../src/options.js';
import type {
  EngineInfo,
  FlushName,
  FromWorker,
  SessionOptions,
  SessionReport,
  ToWorker,
  WorkerInit,
  WorkerMemoryStats,
} from './protocol.js';

const init = workerData as WorkerInit;
const port = parentPort!;

/** The cores' output window: 64 KiB keeps calls into wasm few. */
const CHUNK_SIZE = 64 * 1024;
/** Deflate input per scheduling step: one socket read's worth, so a step is one message each way. */
const DEFLATE_PIECE = 64 * 1024;
/**
 * Inflate input per step. A push emits all its output before it returns, and
 * inflate can expand about 1032 times, so the piece shrinks as the session's
 * expansion ratio grows: normal data gets 16 KiB pieces, a bomb 1 KiB ones.
 */
const INFLATE_PIECE_MAX = 16 * 1024;
const INFLATE_PIECE_MIN = 1024;
const INFLATE_PIECE_FIRST = 4 * 1024;
/** Output is posted in messages of about this size. */
const OUTPUT_BATCH = 256 * 1024;
/** A session's turn ends after this much input, or this much time, whichever comes first. */
const TURN_BYTES = 256 * 1024;
const TURN_MILLISECONDS = 2;

const flushModes: Record<FlushName, FlushMode> = { none: 0, sync: 2, full: 3, finish: 4 };

interface Input {
  chunk: Uint8Array;
  offset: number;
}

interface Session {
  sid: number;
  core: DeflateCore | InflateCore | undefined;
  engine: string;
  queue: Array<Input | FlushName>;
  /** Input bytes and write ends in the queue: a deflate step waits for a whole piece unless the write ends. */
  queuedBytes: number;
  queuedEnds: number;
  unacked: number;
  failed: boolean;
  pending: Buffer[];
  pendingBytes: number;
  /** Deflate: the cap on the compressed output (maxOutput), checked as output comes. */
  cap: number | undefined;
  /** Numbered writes: the core's snapshot from before the write begun last. */
  checkpoint: Buffer | undefined;
  /** While a retry runs on a core restored from the checkpoint: the stream's own core, set aside. */
  parked: DeflateCore | InflateCore | undefined;
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
  const core = session.core;
  if (core === undefined) return null;
  return {
    engine: core.engine.name,
    bytesIn: core.bytesIn,
    bytesOut: core.bytesOut,
    ended: core.ended,
    fallbacks: core.codec.fallbacks,
    copies: core instanceof DeflateCore ? { ...core.copies.counters } : emptyCounters(),
  };
}

function errorOf(error: unknown): { code: string; message: string } {
  if (isZaccelError(error)) return { code: error.code, message: error.message };
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

/** Post a step's result: input consumed and output produced, in one message. */
function postStep(session: Session, consumed: number): void {
  const chunk = takeOutput(session);
  if (chunk === null && consumed === 0) return;
  post({ t: 'step', sid: session.sid, consumed, chunk }, chunk === null ? undefined : [chunk.buffer as ArrayBuffer]);
}

/** Make `core` the session's: its output goes to the session's pending output. */
function attach(session: Session, core: DeflateCore | InflateCore): void {
  const cap = session.cap;
  core.ondata = (chunk) => {
    // Inflate enforces its cap in the core; a deflate cap is ours. Throwing here fails the push, which closes the core.
    if (cap !== undefined && core.bytesOut > cap) {
      throw new ZaccelError('ZACCEL_OUTPUT_LIMIT', `compressed output exceeds maxOutput of ${cap} bytes`);
    }
    session.pending.push(chunk);
    session.pendingBytes += chunk.length;
    if (session.pendingBytes >= OUTPUT_BATCH) postStep(session, 0);
  };
  session.core = core;
}

function open(sid: number, mode: 'deflate' | 'inflate', options: SessionOptions): void {
  const session: Session = {
    sid,
    core: undefined,
    engine: options.engine,
    queue: [],
    queuedBytes: 0,
    queuedEnds: 0,
    unacked: 0,
    failed: false,
    pending: [],
    pendingBytes: 0,
    cap: mode === 'deflate' ? options.maxOutput : undefined,
    checkpoint: undefined,
    parked: undefined,
    writeHash: undefined,
    checkpointWrite: undefined,
  };
  sessions.set(sid, session);
  try {
    const common = { engine: options.engine as 'zlib', chunkSize: CHUNK_SIZE, machine, dictionary: options.dictionary };
    const core =
      mode === 'deflate'
        ? createDeflateCore(options.format as 'zlib', {
            ...common,
            level: options.level as 6 | undefined,
            strategy: options.strategy as 0 | undefined,
            windowBits: options.windowBits,
            memLevel: options.memLevel,
            copy: options.copy as 'auto' | undefined,
          })
        : createInflateCore(options.format as 'auto', {
            ...common,
            windowBits: options.windowBits,
            maxOutputLength: options.maxOutput,
          });
    attach(session, core);
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
  session.core?.close();
  post({ t: 'error', sid: session.sid, ...errorOf(error), report: report(session) });
}

function inflatePiece(core: InflateCore): number {
  if (core.bytesIn === 0) return INFLATE_PIECE_FIRST;
  const ratio = Math.max(1, core.bytesOut / core.bytesIn);
  const piece = Math.floor(init.outputWindow / 4 / ratio);
  return Math.min(INFLATE_PIECE_MAX, Math.max(INFLATE_PIECE_MIN, piece));
}

/**
 * A session's turn: pieces of input until the turn's time or size budget is spent (or the write ends),
 * then one message with what they consumed and produced. Messages, not bytes, are the cost of the
 * channel: batching keeps them few while the budget keeps the other sessions' turns coming.
 */
function runTurn(session: Session): void {
  const core = session.core!;
  const started = performance.now();
  let consumed = 0;
  try {
    while (runnable(session)) {
      const head = session.queue[0];
      if (typeof head === 'string') {
        session.queue.shift();
        session.queuedEnds--;
        if (core instanceof DeflateCore) {
          if (head !== 'none') core.push(Buffer.alloc(0), flushModes[head]);
        } else if (head === 'finish') {
          core.push(Buffer.alloc(0), true);
        }
        const chunk = takeOutput(session);
        const written = session.writeHash?.update(head).digest('hex');
        session.writeHash = undefined;
        if (session.parked !== undefined && written !== session.checkpointWrite) {
          if (chunk !== null) session.unacked -= chunk.byteLength; // never posted
          post({ t: 'step', sid: session.sid, consumed, chunk: null });
          post({ t: 'refused', sid: session.sid, code: 'ZACCEL_SEQUENCE', message: 'a retry must repeat its write: its body or flush differs from the first time' });
        } else {
          if (session.parked === undefined && written !== undefined) session.checkpointWrite = written;
          post({ t: 'done', sid: session.sid, report: report(session)!, consumed, chunk }, chunk === null ? undefined : [chunk.buffer as ArrayBuffer]);
        }
        if (session.parked !== undefined) {
          // A retry is over: back to the stream's own core, which is already past this write.
          core.close();
          session.core = session.parked;
          session.parked = undefined;
        }
        return;
      }
      const bytes = core instanceof DeflateCore ? deflatePiece(session) : inflateInput(session, inflatePiece(core));
      session.writeHash?.update(bytes);
      if (core instanceof DeflateCore) core.push(bytes, 0);
      else core.push(bytes, false);
      consumed += bytes.length;
      if (consumed >= TURN_BYTES || performance.now() - started >= TURN_MILLISECONDS) break;
    }
    postStep(session, consumed);
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
  session.core !== undefined &&
  session.queue.length > 0 &&
  (session.queuedEnds > 0 || session.queuedBytes >= (session.core instanceof DeflateCore ? DEFLATE_PIECE : 1)) &&
  session.unacked + session.pendingBytes < init.outputWindow;

/**
 * A numbered write begins. The first time: remember the core's state from before it. A retry: run it on
 * a core restored from that state, and leave the stream's own core (already past the write) aside.
 */
function begin(session: Session, retry: boolean): void {
  session.writeHash = createHash('sha256');
  try {
    if (!retry) {
      session.checkpoint = session.core!.snapshot();
      return;
    }
    if (session.checkpoint === undefined) throw new ZaccelError('ZACCEL_INTERNAL', 'a retry without a checkpoint');
    const restored = restoreStream(session.checkpoint, { machine });
    session.parked = session.core;
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
  try {
    if (session.parked !== undefined) {
      session.core?.close();
      session.core = session.parked;
      session.parked = undefined;
    } else if (session.checkpoint !== undefined) {
      session.core?.close();
      session.core = undefined;
      attach(session, restoreStream(session.checkpoint, { machine }));
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
  return { machine: machine.stats(), copies: copyStats(), sessions: sessions.size };
}

port.on('message', (message: ToWorker) => {
  switch (message.t) {
    case 'open':
      open(message.sid, message.mode, message.options);
      return;
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
    case 'close': {
      const session = sessions.get(message.sid);
      sessions.delete(message.sid);
      const last = session === undefined ? null : report(session);
      session?.core?.close();
      session?.parked?.close();
      post({ t: 'closed', sid: message.sid, report: last });
      return;
    }
    case 'stats':
      post({ t: 'stats', rid: message.rid, stats: stats() });
      return;
  }
});

/** What /v1/engines shows, found by asking each engine on this Machine. */
function describeEngines(): EngineInfo[] {
  const names = [...new Set<string>([...engineNames(), 'zlib', 'dfltcc'])];
  return names.map((name) => {
    const info: EngineInfo = {
      name,
      available: false,
      version: null,
      access: null,
      accessByLevel: null,
      levels: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
      defaultLevel: 6,
      formats: { deflate: ['raw', 'zlib', 'gzip'], inflate: ['raw', 'zlib', 'gzip', 'auto'] },
    };
    try {
      const engine = resolveEngine(name, machine);
      info.version = engine.version(machine);
      info.access = engine.deflateAccess(resolveDeflateOptions('zlib', {}));
      info.accessByLevel = Object.fromEntries(
        info.levels.map((level) => [String(level), engine.deflateAccess(resolveDeflateOptions('zlib', { level: level as 6 }))]),
      );
      // Instantiate the engine's modules in this thread now: readiness means they are.
      createDeflateCore('zlib', { engine: engine.name, machine }).close();
      createInflateCore('zlib', { engine: engine.name, machine }).close();
      info.available = true;
    } catch {
      // Not registered, or not built: listed as unavailable.
    }
    return info;
  });
}

try {
  machine = Machine.attach(init.descriptor as MachineDescriptor);
  setDefaultMachine(machine);
  const engines = describeEngines();
  post({ t: 'ready', engines, stats: stats() });
} catch (error) {
  post({ t: 'fatal', ...errorOf(error) });
}
