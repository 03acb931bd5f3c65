/**
 * Messages between the main thread and the compression workers: the one
 * definition of the protocol, typed with the library's own names (engine,
 * format, level, strategy, copy policy) so neither side casts.
 *
 * A session is one stream core in one worker. Its input arrives in `input`
 * messages and is split by `end` messages into writes; the worker answers
 * each write with `step` messages and one `done`. Flow control runs both
 * ways in bytes: the worker acknowledges input in each `step`, so the main
 * thread keeps a bounded amount of input in flight, and the main thread
 * acknowledges output with `ack` as the HTTP response takes it, so the
 * worker stops between input pieces while too much output is unacknowledged.
 */
import type {
  AccessModel,
  CopyCounters,
  CopyPolicy,
  EngineName,
  ErrorCode,
  Format,
  InflateFormat,
  Level,
  MachineDescriptor,
  MachineStats,
  Strategy,
} from '../src/index.js';

export type Mode = 'deflate' | 'inflate';

/**
 * Input bytes in flight to a worker per session before the request body is paused. Inflate input expands (a bomb
 * a thousandfold), so its worker needs far less of it queued to stay busy; what is not queued stays in the
 * client's socket, not in this process. The worker reports consumption in steps of a quarter of it.
 */
export const INPUT_WINDOW: Record<Mode, number> = { deflate: 1024 * 1024, inflate: 256 * 1024 };
export type FlushName = 'none' | 'sync' | 'full' | 'finish';

/** The formats each mode takes, in the order the documentation lists them. */
export const deflateFormats = ['raw', 'zlib', 'gzip'] as const satisfies readonly Format[];
export const inflateFormats = ['raw', 'zlib', 'gzip', 'auto'] as const satisfies readonly InflateFormat[];
/** Every deflate level, in order. */
export const levels = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9] as const satisfies readonly Level[];
export const defaultLevel = 6 satisfies Level;

interface CommonSessionOptions {
  engine: EngineName;
  windowBits?: number;
  dictionary?: Uint8Array;
}

/** A deflate session, as validated by the routes (engine availability is checked by the pool). */
export interface DeflateSessionOptions extends CommonSessionOptions {
  mode: 'deflate';
  format: Format;
  level?: Level;
  strategy?: Strategy;
  memLevel?: number;
  copy?: CopyPolicy;
  /** A cap on the compressed output in bytes, enforced by the worker. */
  maxOutput?: number;
}

export interface InflateSessionOptions extends CommonSessionOptions {
  mode: 'inflate';
  format: InflateFormat;
  /** The output cap in bytes: inflate always has one. */
  maxOutput: number;
}

export type SessionOptions = DeflateSessionOptions | InflateSessionOptions;

/** A session's totals so far; the main thread turns successive reports into metric increments. */
export interface SessionReport {
  engine: EngineName;
  bytesIn: number;
  bytesOut: number;
  /** The stream ended (deflate: finished; inflate: the compressed stream is complete). */
  ended: boolean;
  fallbacks: number;
  copies: CopyCounters;
}

export interface EngineInfo {
  name: EngineName;
  available: boolean;
  version: string | null;
  /** Deflate's access model at the default parameters: 'single' or 'multiple' (reads input more than once). */
  access: AccessModel | null;
  /** The access model at each level 0..9. */
  accessByLevel: Record<string, AccessModel> | null;
  levels: readonly Level[];
  defaultLevel: Level;
  formats: { deflate: readonly Format[]; inflate: readonly InflateFormat[] };
}

export interface WorkerMemoryStats {
  machine: MachineStats;
  /** This worker's V8 heap: physical size, and the external (ArrayBuffer) memory it holds. */
  heap: { physicalBytes: number; externalBytes: number };
  copies: Record<string, CopyCounters>;
  sessions: number;
}

export interface WorkerInit {
  descriptor: MachineDescriptor;
  /** Unacknowledged output bytes at which a session stops taking input, until a `window` message changes it. */
  outputWindow: number;
  index: number;
  /** This worker's owner id on the Machine (reserved by the pool, so it is known even if the worker dies early). */
  owner: number;
  /** Owners whose threads ended: the worker adopts their partitions before it carves any. */
  adopt: number[];
}

/**
 * What another instance needs to go on with a stream (cluster mode): the core's snapshot after the last
 * acknowledged write, and the snapshot from before that write with the SHA-256 of its body and flush, so a
 * retry of the last `seq` is answered again, and checked, wherever it lands.
 */
export interface StreamCheckpoint {
  snapshot: Uint8Array;
  previous: Uint8Array | null;
  previousWrite: string | null;
}

export type ToWorker =
  | { t: 'open'; sid: number; options: SessionOptions }
  /** Open a session whose core is restored from a checkpoint (options: the stream's, for the output cap). */
  | { t: 'restore'; sid: number; options: SessionOptions; checkpoint: StreamCheckpoint }
  /** Take the session's checkpoint, between writes. */
  | { t: 'checkpoint'; sid: number }
  /**
   * A numbered (exactly-once) write starts: the worker keeps a snapshot of the core from before it
   * (`retry: false`), or runs it on a core restored from that snapshot, leaving the stream where it is
   * (`retry: true`: the client lost the answer to the last write and sends it again).
   */
  | { t: 'begin'; sid: number; retry: boolean }
  /** Undo the numbered write begun last (its client went away before it completed): back to its snapshot. */
  | { t: 'rollback'; sid: number }
  /** Body chunks, several per message when they arrive together (their buffers are transferred). */
  | { t: 'input'; sid: number; chunks: Uint8Array[] }
  | { t: 'end'; sid: number; flush: FlushName }
  | { t: 'ack'; sid: number; bytes: number }
  /** The session's output window from now on (smaller once its answer streams: nothing is held back any more). */
  | { t: 'window'; sid: number; bytes: number }
  | { t: 'close'; sid: number }
  | { t: 'stats'; rid: number };

export type FromWorker =
  | { t: 'ready'; engines: EngineInfo[]; stats: WorkerMemoryStats; adoptedBytes: number }
  | { t: 'fatal'; code: ErrorCode; message: string }
  | { t: 'opened'; sid: number; engine: EngineName }
  /** One step's result: the input it consumed and the output it produced, in one message (messages are the cost). */
  | { t: 'step'; sid: number; consumed: number; chunk: Uint8Array | null }
  /** The write is complete; `chunk` is the last of its output, `consumed` the last of its input. */
  | { t: 'done'; sid: number; report: SessionReport; consumed: number; chunk: Uint8Array | null }
  | { t: 'error'; sid: number; code: ErrorCode; message: string; report: SessionReport | null }
  | { t: 'closed'; sid: number; report: SessionReport | null }
  /**
   * A retry's body or flush differs from the first run's (their SHA-256 differ): the retry is refused and
   * the stream stays where it was. Its output so far was for the wrong bytes.
   */
  | { t: 'refused'; sid: number; code: 'ZACCEL_SEQUENCE'; message: string }
  /** The rollback is done: every message about the undone write came before this one. */
  | { t: 'rolledBack'; sid: number; report: SessionReport | null }
  | { t: 'checkpoint'; sid: number; checkpoint: StreamCheckpoint }
  | { t: 'stats'; rid: number; stats: WorkerMemoryStats };
