/**
 * Output files that never look complete unless they are, and never replace
 * anything by surprise:
 *
 * - data goes to a temporary file beside the target, created with O_EXCL and
 *   O_NOFOLLOW (a symlink planted at the temporary name is refused, never
 *   followed), and moved into place only on success;
 * - without force, the move is a hard link, which fails if the target exists
 *   by then (no window between a check and the move), and a target that
 *   exists is refused before any work starts; with force, rename() replaces
 *   the target, and a symlink at the target is replaced, not followed;
 * - a temporary file is removed on failure and, through
 *   {@link removeTemporaryFilesOnSignals}, when SIGINT, SIGTERM or SIGHUP ends
 *   the process.
 */
import { randomBytes } from 'node:crypto';
import { constants, createWriteStream, lstatSync, openSync, unlinkSync, type Stats, type WriteStream } from 'node:fs';
import { chmod, link, rename, rm, unlink, utimes } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { ZaccelError } from '../../src/index.js';

export interface AtomicOutput {
  stream: WriteStream;
  /** Move the finished file into place; `like` gives it an input's mode and times, as gzip does. */
  commit(like?: Stats): Promise<void>;
  /** Remove the partial file. Safe to call more than once. */
  discard(): Promise<void>;
}

/** Temporary files not yet moved into place or removed: what a signal must clean up. */
const pending = new Set<string>();

/** Link errors that mean "this file system has no hard links", not "the target exists". */
const NO_HARD_LINKS = new Set(['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS', 'EMLINK', 'EXDEV']);

export function outputExists(target: string): ZaccelError {
  return new ZaccelError(
    'ZACCEL_BAD_OPTION',
    `${target} already exists; not overwritten (-f or --force overwrites it)`,
  );
}

/** lstat, or undefined when nothing (not even a dangling symlink) is there. */
export function lstatOrNothing(path: string): Stats | undefined {
  try {
    return lstatSync(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

export function atomicOutput(target: string, force: boolean): AtomicOutput {
  if (!force && lstatOrNothing(target) !== undefined) throw outputExists(target);
  const temporary = join(dirname(target), `.${basename(target)}.partial-${randomBytes(4).toString('hex')}`);
  pending.add(temporary);
  let fd: number;
  try {
    // O_NOFOLLOW on top of O_EXCL: both refuse a symlink at the temporary name; say so twice.
    fd = openSync(temporary, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o666);
  } catch (error) {
    pending.delete(temporary);
    throw error;
  }
  const stream = createWriteStream('', { fd });
  const discard = async () => {
    stream.destroy();
    await rm(temporary, { force: true });
    pending.delete(temporary);
  };
  return {
    stream,
    async commit(like) {
      if (like !== undefined) {
        await chmod(temporary, like.mode & 0o7777);
        await utimes(temporary, like.atime, like.mtime);
      }
      if (force) {
        await rename(temporary, target);
      } else {
        try {
          await link(temporary, target);
          await unlink(temporary);
        } catch (error) {
          const code = (error as NodeJS.ErrnoException).code ?? '';
          if (code === 'EEXIST') throw outputExists(target);
          if (!NO_HARD_LINKS.has(code)) throw error;
          // No hard links here (some network and FAT file systems): check, then rename.
          if (lstatOrNothing(target) !== undefined) throw outputExists(target);
          await rename(temporary, target);
        }
      }
      pending.delete(temporary);
    },
    discard,
  };
}

const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/**
 * On SIGINT, SIGTERM or SIGHUP, remove every temporary file, then die of the
 * same signal, so the parent sees what gzip would give it (a shell prints 130
 * for SIGINT, 143 for SIGTERM). Node would otherwise exit without running any
 * cleanup, leaving `.NAME.partial-*` behind.
 */
export function removeTemporaryFilesOnSignals(): void {
  const onSignal = (signal: NodeJS.Signals) => {
    for (const path of pending) {
      try {
        unlinkSync(path);
      } catch {
        // Already gone, or never created: nothing left to remove.
      }
    }
    pending.clear();
    dieOfSignal(signal);
  };
  for (const signal of SIGNALS) process.once(signal, onSignal);
}

const SIGNAL_NUMBERS: Partial<Record<NodeJS.Signals, number>> = { SIGHUP: 1, SIGINT: 2, SIGPIPE: 13, SIGTERM: 15 };

/**
 * End the process as if `signal` had killed it. Removing the last listener
 * gives a signal back its default action, so raising it ends the process the
 * ordinary way. Node ignores SIGPIPE from start-up (it reports EPIPE instead),
 * so for that one, and for any signal that does not end us, exit with the
 * status a shell shows for it: 128 + n (141 for SIGPIPE, as for gzip).
 */
export function dieOfSignal(signal: NodeJS.Signals): void {
  process.removeAllListeners(signal);
  process.kill(process.pid, signal);
  setImmediate(() => process.exit(128 + (SIGNAL_NUMBERS[signal] ?? 0)));
}
