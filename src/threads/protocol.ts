/**
 * The messages between the thread pool (main thread) and its workers. Every
 * request carries an id and gets exactly one reply with that id.
 */
import type { FlushMode, Level, Strategy } from '../constants.js';
import type { ErrorCode } from '../errors.js';
import type { MachineDescriptor } from '../machine/machine.js';
import type { ResolvedDeflateOptions, ResolvedInflateOptions } from '../options.js';

export type CoreSpec =
  | { kind: 'deflate'; options: ResolvedDeflateOptions }
  | { kind: 'inflate'; options: ResolvedInflateOptions };

export interface WorkerInit {
  descriptor: MachineDescriptor;
}

export type ToWorker =
  /**
   * A one-shot of `length` input bytes: they follow in 'piece' messages, and the last one starts the work.
   * Reply 'output' with everything, or 'error'.
   */
  | { t: 'oneShot'; id: number; spec: CoreSpec; length: number }
  /** The next bytes of a one-shot's input (no reply of its own). */
  | { t: 'piece'; id: number; data: Uint8Array }
  /** Open a stream session; replies 'done'. `budget`: output bytes after which a write pauses. */
  | { t: 'open'; id: number; sid: number; spec: CoreSpec; budget: number }
  /** Run a chunk through the session with `flush` on its last byte; replies 'output'. */
  | { t: 'write'; id: number; sid: number; input: Uint8Array; flush: FlushMode }
  /** Go on with a write that paused ('output' with more: true). */
  | { t: 'more'; id: number; sid: number }
  | { t: 'params'; id: number; sid: number; level: Level; strategy: Strategy }
  | { t: 'reset'; id: number; sid: number }
  /** Free the session; no reply. */
  | { t: 'close'; sid: number };

export interface WireError {
  kind: 'Error' | 'RangeError' | 'TypeError';
  zaccelCode: ErrorCode;
  code: string;
  message: string;
  errno: number | undefined;
  zlibMessage: string | undefined;
}

export type FromWorker =
  /**
   * Output as one buffer (transferred) cut at `lengths`, the core's own chunk
   * boundaries; `consumed` input bytes since the last reply; `more`: the write
   * paused with input left, waiting for 'more'.
   */
  | { t: 'output'; id: number; data: Uint8Array; lengths: number[]; consumed: number; more: boolean; fallbacks: number }
  | { t: 'done'; id: number; engine: string }
  | { t: 'error'; id: number; error: WireError }
  /** The worker could not attach to the Machine. */
  | { t: 'fatal'; error: WireError };
