/**
 * Output files that never look complete unless they are: data goes to a
 * temporary file beside the target, renamed into place only on success.
 */
import { randomBytes } from 'node:crypto';
import { createWriteStream, type WriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

export interface AtomicOutput {
  stream: WriteStream;
  /** Move the finished file into place. */
  commit(): Promise<void>;
  /** Remove the partial file. Safe to call more than once. */
  discard(): Promise<void>;
}

export function atomicOutput(target: string): AtomicOutput {
  const temporary = join(dirname(target), `.${basename(target)}.partial-${randomBytes(4).toString('hex')}`);
  const stream = createWriteStream(temporary, { flags: 'wx', mode: 0o644 });
  return {
    stream,
    commit: () => rename(temporary, target),
    discard: async () => {
      stream.destroy();
      await rm(temporary, { force: true });
    },
  };
}
