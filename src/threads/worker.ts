/**
 * A thread-pool worker: attaches to the pool's Machine and runs one-shots and
 * stream sessions for the main thread, one message at a time, so a request
 * runs to its end (or to its output budget) without interruption, as a job
 * runs on one of libuv's threads. It runs as compiled JavaScript
 * (dist/src/threads/worker.js).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { constants, type FlushMode } from '../constants.js';
import { DeflateCore } from '../core/deflate-core.js';
import { InflateCore } from '../core/inflate-core.js';
import { runOneShot } from '../core/one-shot-runner.js';
import { isZaccelError } from '../errors.js';
import { setDefaultMachine } from '../machine/default-machine.js';
import { Machine } from '../machine/machine.js';
import type { CoreSpec, FromWorker, ToWorker, WireError, WorkerInit } from './protocol.js';

const port = parentPort!;
const init = workerData as WorkerInit;

/** Deflate input per step of a write: output never outgrows its input by much, so this bounds a step's output. */
const DEFLATE_PIECE = 256 * 1024;
/** Inflate input per step: shrinks as the stream's expansion grows, so a bomb pauses after a budget's worth. */
const INFLATE_PIECE_MAX = 64 * 1024;
const INFLATE_PIECE_MIN = 256;

interface Session {
  core: DeflateCore | InflateCore;
  budget: number;
  /** The write in progress: its input, how far it got, and its flush. */
  input: Uint8Array;
  offset: number;
  flush: FlushMode;
  chunks: Buffer[];
  bytes: number;
}

/** A one-shot whose input is still arriving. */
interface OneShotJob {
  spec: CoreSpec;
  input: Uint8Array;
  received: number;
}

const sessions = new Map<number, Session>();
const jobs = new Map<number, OneShotJob>();
let machine: Machine;

function post(message: FromWorker, transfer?: ArrayBuffer[]): void {
  port.postMessage(message, transfer);
}

function wireError(error: unknown): WireError {
  if (isZaccelError(error)) {
    const kind = error instanceof RangeError ? 'RangeError' : error instanceof TypeError ? 'TypeError' : 'Error';
    return {
      kind,
      zaccelCode: error.zaccelCode,
      code: error.code,
      message: error.message,
      errno: error.errno,
      zlibMessage: error.zlibMessage,
    };
  }
  const message = `internal error: ${(error as Error)?.message ?? String(error)}`;
  return {
    kind: 'Error',
    zaccelCode: 'ZACCEL_INTERNAL',
    code: 'ZACCEL_INTERNAL',
    message,
    errno: undefined,
    zlibMessage: undefined,
  };
}

function makeCore(spec: CoreSpec): DeflateCore | InflateCore {
  return spec.kind === 'deflate' ? new DeflateCore(spec.options, machine) : new InflateCore(spec.options, machine);
}

/** Post output as one fresh buffer, transferred, with the chunk boundaries to cut it at. */
function postOutput(
  id: number,
  chunks: Buffer[],
  bytes: number,
  consumed: number,
  more: boolean,
  fallbacks: number,
): void {
  const data = new Uint8Array(bytes);
  const lengths: number[] = [];
  let offset = 0;
  for (const chunk of chunks) {
    data.set(chunk, offset);
    offset += chunk.length;
    lengths.push(chunk.length);
  }
  post({ t: 'output', id, data, lengths, consumed, more, fallbacks }, [data.buffer]);
}

function inflatePiece(core: InflateCore, budget: number): number {
  if (core.bytesIn === 0) return INFLATE_PIECE_MIN * 16;
  const ratio = Math.max(1, core.bytesOut / core.bytesIn);
  return Math.min(INFLATE_PIECE_MAX, Math.max(INFLATE_PIECE_MIN, Math.floor(budget / 2 / ratio)));
}

/**
 * Feed the write in pieces until its input is used up or its output reaches
 * the budget; then reply with what it made. The flush applies to the last piece.
 */
function step(id: number, session: Session): void {
  const { core } = session;
  const start = session.offset;
  while (session.offset < session.input.length || session.offset === 0) {
    const piece = core instanceof DeflateCore ? DEFLATE_PIECE : inflatePiece(core, session.budget);
    const end = Math.min(session.input.length, session.offset + piece);
    const last = end === session.input.length;
    const bytes = session.input.subarray(session.offset, end);
    if (core instanceof DeflateCore) core.push(bytes, last ? session.flush : constants.Z_NO_FLUSH);
    else core.push(bytes, last && session.flush === constants.Z_FINISH);
    session.offset = end;
    if (last) break;
    if (session.bytes >= session.budget) break;
  }
  const more = session.offset < session.input.length;
  const chunks = session.chunks;
  const bytes = session.bytes;
  session.chunks = [];
  session.bytes = 0;
  if (!more) session.input = new Uint8Array(0);
  postOutput(id, chunks, bytes, session.offset - start, more, core.codec.fallbacks);
}

function runJob(id: number, job: OneShotJob): void {
  const core = makeCore(job.spec);
  const output = runOneShot(core, job.input);
  postOutput(id, [output], output.length, job.input.length, false, core.codec.fallbacks);
}

function handle(message: ToWorker): void {
  if (message.t === 'close') {
    sessions.get(message.sid)?.core.close();
    sessions.delete(message.sid);
    return;
  }
  try {
    switch (message.t) {
      case 'oneShot': {
        const job: OneShotJob = { spec: message.spec, input: new Uint8Array(message.length), received: 0 };
        if (message.length === 0) runJob(message.id, job);
        else jobs.set(message.id, job);
        return;
      }
      case 'piece': {
        const job = jobs.get(message.id);
        if (job === undefined) return; // the job failed already
        job.input.set(message.data, job.received);
        job.received += message.data.length;
        if (job.received < job.input.length) return;
        jobs.delete(message.id);
        runJob(message.id, job);
        return;
      }
      case 'open': {
        const core = makeCore(message.spec);
        const session: Session = {
          core,
          budget: message.budget,
          input: new Uint8Array(0),
          offset: 0,
          flush: 0,
          chunks: [],
          bytes: 0,
        };
        core.ondata = (chunk) => {
          session.chunks.push(chunk);
          session.bytes += chunk.length;
        };
        sessions.set(message.sid, session);
        post({ t: 'done', id: message.id, engine: core.engine.name });
        return;
      }
      case 'write': {
        const session = sessionOf(message.sid);
        session.input = message.input;
        session.offset = 0;
        session.flush = message.flush;
        step(message.id, session);
        return;
      }
      case 'more':
        step(message.id, sessionOf(message.sid));
        return;
      case 'params': {
        const session = sessionOf(message.sid);
        // Inflate has no parameters to change: node:zlib's params() is a no-op there, after its flush.
        if (session.core instanceof DeflateCore) session.core.params(message.level, message.strategy);
        const chunks = session.chunks;
        const bytes = session.bytes;
        session.chunks = [];
        session.bytes = 0;
        postOutput(message.id, chunks, bytes, 0, false, session.core.codec.fallbacks);
        return;
      }
      case 'reset': {
        const session = sessionOf(message.sid);
        session.core.reset();
        post({ t: 'done', id: message.id, engine: session.core.engine.name });
        return;
      }
    }
  } catch (error) {
    if (message.t === 'piece' || message.t === 'oneShot') jobs.delete(message.id);
    if ('sid' in message) {
      // A failed core has closed itself; the session is gone.
      sessions.get(message.sid)?.core.close();
      sessions.delete(message.sid);
    }
    post({ t: 'error', id: message.id, error: wireError(error) });
  }
}

function sessionOf(sid: number): Session {
  const session = sessions.get(sid);
  if (session === undefined) throw new Error(`no session ${sid} in this worker`);
  return session;
}

try {
  machine = Machine.attach(init.descriptor);
  setDefaultMachine(machine);
  port.on('message', handle);
} catch (error) {
  post({ t: 'fatal', error: wireError(error) });
}
