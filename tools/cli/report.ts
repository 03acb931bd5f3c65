/**
 * How the CLI tells the user that something failed: one line on stderr and
 * an exit status, the same for every command.
 *
 * - 0: success;
 * - 1: an error (bad data, a missing file, a failed write);
 * - 2: a usage error (ZACCEL_BAD_OPTION: an unknown flag, a bad value, an
 *   output that exists without -f), as gzip uses 2 for its warnings;
 * - 128 + n: killed by signal n, after removing partial files.
 */
import { isZaccelError } from '../../src/index.js';

export const EXIT_ERROR = 1;
export const EXIT_USAGE = 2;

export function exitStatusFor(error: unknown): number {
  return isZaccelError(error) && error.zaccelCode === 'ZACCEL_BAD_OPTION' ? EXIT_USAGE : EXIT_ERROR;
}

/**
 * `zaccel: [where: ]CODE: message`. Node's file errors already begin with
 * their code ("ENOENT: no such file or directory, open 'x'"), so the code is
 * added only when the message does not start with it.
 */
export function errorLine(error: unknown, where?: string): string {
  const prefix = where === undefined ? 'zaccel: ' : `zaccel: ${where}: `;
  if (isZaccelError(error)) return `${prefix}${error.zaccelCode}: ${error.message}`;
  const message = error instanceof Error ? error.message : String(error);
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return `${prefix}${typeof code === 'string' && !message.startsWith(`${code}:`) ? `${code}: ` : ''}${message}`;
}

/** Print the error and return its exit status. */
export function reportError(error: unknown, where?: string): number {
  process.stderr.write(`${errorLine(error, where)}\n`);
  return exitStatusFor(error);
}

/** The reader of our stdout went away (`zaccel compress big | head -c1`). */
export function isClosedStdout(error: unknown): boolean {
  return (error as NodeJS.ErrnoException | undefined)?.code === 'EPIPE';
}
