/**
 * The CLI when it is interrupted or its reader leaves: a signal during
 * `compress -o` removes the partial file and ends the process as that
 * signal would, and a closed stdout ends it quietly, as it ends gzip.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, statSync } from 'node:fs';
import { constants, tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { corpus } from '../tools/corpus/corpus.js';
import { finished, startCli } from './support/cli-process.js';

/** Wait until the condition holds: a condition, not a duration, decides; the bound only stops a hung test. */
async function until(condition: () => boolean, what: string): Promise<void> {
  for (let waited = 0; !condition(); waited += 20) {
    if (waited > 90_000) throw new Error(`gave up waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Killed by the signal, or exited with the shell's 128 + n for it. */
function endedBy(result: { status: number | null; signal: NodeJS.Signals | null }, signal: NodeJS.Signals): boolean {
  return result.signal === signal || result.status === 128 + constants.signals[signal];
}

describe('signals', () => {
  for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) {
    test(`${signal} during compress -o, stdin still open: no partial file, no output, ended by the signal`, async () => {
      const folder = mkdtempSync(join(tmpdir(), 'zaccel-signal-'));
      const out = join(folder, 'out.gz');
      const child = startCli(['compress', '-o', out, '--level', '1']);
      const done = finished(child);
      // More than one output chunk (256 KiB) of poorly compressible data, and stdin is left open: the run is mid-way.
      child.stdin!.write(Buffer.from(corpus('binary', 4 << 20, 11)));
      const partial = () => readdirSync(folder).filter((name) => name.includes('.partial-'));
      await until(
        () => partial().length === 1 && statSync(join(folder, partial()[0])).size > 0,
        'compressed bytes in the partial file',
      );
      child.kill(signal);
      const result = await done;
      expect(endedBy(result, signal), `status ${result.status}, signal ${result.signal}, stderr ${result.stderr}`).toBe(
        true,
      );
      expect(readdirSync(folder)).toEqual([]);
    });
  }
});

describe('a closed stdout', () => {
  test('zaccel compress big | head -c1: exits quietly, as SIGPIPE ends gzip', async () => {
    const child = startCli(['compress', '--level', '1']);
    const done = finished(child);
    child.stdout!.once('data', () => child.stdout!.destroy());
    // Incompressible, so the output is far larger than a pipe's buffer.
    child.stdin!.end(randomBytes(8 << 20));
    const result = await done;
    expect(result.stderr).toBe('');
    expect(endedBy(result, 'SIGPIPE'), `status ${result.status}, signal ${result.signal}`).toBe(true);
  });
});
