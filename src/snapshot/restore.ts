/**
 * restoreStream: a working stream core from a snapshot, in any Machine.
 */
import { DeflateCore } from '../core/deflate-core.js';
import { InflateCore } from '../core/inflate-core.js';
import { defaultMachine } from '../machine/default-machine.js';
import type { Machine } from '../machine/machine.js';
import { parseDocument } from './document.js';
import { decodeSnapshot } from './format.js';

export interface RestoreOptions {
  /** The Machine the restored stream lives in. Default: this thread's default Machine. */
  machine?: Machine;
}

/**
 * Continue the stream a `core.snapshot()` recorded: a DeflateCore or an
 * InflateCore (see `kind`) whose next calls produce exactly the bytes the
 * original's would have. The snapshot may come from another Machine, thread
 * or process; it is refused with ZACCEL_BAD_SNAPSHOT when it is truncated,
 * corrupted, of another format version, or made by different wasm modules.
 * The restored core's `ondata` is a new one: set it before pushing.
 */
export function restoreStream(snapshot: Uint8Array, options: RestoreOptions = {}): DeflateCore | InflateCore {
  const parsed = parseDocument(decodeSnapshot(snapshot));
  const machine = options.machine ?? defaultMachine();
  return parsed.kind === 'deflate'
    ? new DeflateCore(parsed.options, machine, parsed.core)
    : new InflateCore(parsed.options, machine, parsed.core);
}

/** The kind of stream a snapshot holds, after the same checks restoreStream makes. */
export function snapshotKind(snapshot: Uint8Array): 'deflate' | 'inflate' {
  return parseDocument(decodeSnapshot(snapshot)).kind;
}
