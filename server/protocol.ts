/**
 * Messages between the main thread and the compression workers.
 *
 * A session is one stream core in one worker. Its input arrives in `input`
 * messages and is split by `end` messages into writes; the worker answers
 * each write with `step` messages and one `done`. Flow control runs both
 * ways in bytes: the worker acknowledges input in each `step`, so the main
 * thread keeps a bounded amount of input in flight, and the main thread
 * acknowledges output with `ack` as the HTTP response takes it, so the
 * worker stops between input pieces while too much output is unacknowledged.
 */
import type { CopyCounters } from '../src/core/copy-policy.js';
import type { MachineStats } from '../src/machine/machine.js';

export type Mode = 'deflate' | 'inflate';
export type FlushName = 'none' | 'sync' | 'full' | 'finish';

/** Options of a session, as validated by the routes (engine availability is checked by the worker). */
export interface SessionOptions {
  engine: string;
  format: string;
  level?: number;
  strategy?: number;
  windowBits?: number;
  memLevel?: number;
  copy?: string;
  /** Inflate: the output cap in bytes. */
  maxOutput?: number;
  dictionary?: Uint8Array;
}

/** A session's totals so far; the main thread turns successive reports into metric increments. */
export interface SessionReport {
  engine: string;
  bytesIn: number;
  bytesOut: number;
  /** The stream ended (deflate: finished; inflate: the compressed stream is complete). */
  ended: boolean;
  fallbacks: number;
  copies: CopyCounters;
}

export interface EngineInfo {
  name: string;
  available: boolean;
  version: string | null;
  /** Deflate's access model at the default parameters: 'single' or 'multiple' (reads input more than once). */
  access: string | null;
  /** The access model at each level 0..9. */
  accessByLevel: Record<string, string> | null;
  levels: number[];
  defaultLevel: number;
  formats: { deflate: string[]; inflate: string[] };
}

export interface WorkerMemoryStats {
  machine: MachineStats;
  copies: Record<string, CopyCounters>;
  sessions: number;
}

export interface WorkerInit {
  descriptor: unknown;
  /** Unacknowledged output bytes at which a session stops taking input. */
  outputWindow: number;
  index: number;
}

export type ToWorker =
  | { t: 'open'; sid: number; mode: Mode; options: SessionOptions }
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
  | { t: 'close'; sid: number }
  | { t: 'stats'; rid: number };

export type FromWorker =
  | { t: 'ready'; engines: EngineInfo[]; stats: WorkerMemoryStats }
  | { t: 'fatal'; code: string; message: string }
  | { t: 'opened'; sid: number; engine: string }
  /** One step's result: the input it consumed and the output it produced, in one message (messages are the cost). */
  | { t: 'step'; sid: number; consumed: number; chunk: Uint8Array | null }
  /** The write is complete; `chunk` is the last of its output, `consumed` the last of its input. */
  | { t: 'done'; sid: number; report: SessionReport; consumed: number; chunk: Uint8Array | null }
  | { t: 'error'; sid: number; code: string; message: string; report: SessionReport | null }
  | { t: 'closed'; sid: number; report: SessionReport | null }
  /**
   * A retry's body or flush differs from the first run's (their SHA-256 differ): the retry is refused and
   * the stream stays where it was. Its output so far was for the wrong bytes.
   */
  | { t: 'refused'; sid: number; code: string; message: string }
  /** The rollback is done: every message about the undone write came before this one. */
  | { t: 'rolledBack'; sid: number; report: SessionReport | null }
  | { t: 'stats'; rid: number; stats: WorkerMemoryStats };
