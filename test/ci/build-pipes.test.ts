/**
 * build.sh and .ci/run run under `set -o pipefail`, so a pipe into a reader that stops early (head, grep -q)
 * fails the build whenever the writer is still writing when the reader exits: emcc, a Python program, then dies
 * of BrokenPipeError. Whether that happens depends on timing, which is what made CI fail on a busy machine.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { packageRoot } from '../../src/machine/modules.js';
import { runProcess } from '../support/run-process.js';

const scripts = ['build.sh', '.ci/run'];
const read = (script: string) => readFileSync(join(packageRoot(), script), 'utf8');

/** A writer like `emcc --version` on a slow machine: many lines, each flushed, in Python. */
const VERBOSE_WRITER = `python3 -c 'import sys
sys.stdout.write("emcc (Emscripten gcc/clang-like replacement + linker emulating GNU ld) 3.1.6 ()\\n")
for i in range(100000):
    sys.stdout.write("line %d\\n" % i); sys.stdout.flush()'`;

describe('no pipe that a reader may close early, under pipefail', () => {
  for (const script of scripts) {
    test(`${script} pipes nothing into head, grep -q or grep -m`, () => {
      const lines = read(script)
        .split('\n')
        .map((line, index) => ({ line, number: index + 1 }))
        .filter(({ line }) => !line.trimStart().startsWith('#'))
        .filter(({ line }) => /\|\s*(head\b|grep\s+(-\w*[qm]|--quiet|--max-count))/.test(line));
      expect(lines).toEqual([]);
    });
  }

  test('the pattern is a real failure: a verbose writer piped into head -n1 fails under pipefail', async () => {
    const run = await runProcess('bash', ['-c', `set -o pipefail; ${VERBOSE_WRITER} | head -n1`]);
    expect(run.status).not.toBe(0);
    expect(run.stderr.toString()).toMatch(/BrokenPipeError/);
  });

  test("build.sh's first_line takes the first line of the same writer, and succeeds", async () => {
    const definition = /^first_line\(\) \{\n[\s\S]*?\n\}\n/m.exec(read('build.sh'));
    expect(definition).not.toBeNull();
    const run = await runProcess('bash', [
      '-c',
      `set -euo pipefail\n${definition![0]}\nbanner=$(first_line ${VERBOSE_WRITER})\nprintf '%s' "$banner"`,
    ]);
    expect(run.status, run.stderr.toString()).toBe(0);
    expect(run.stdout.toString()).toBe(
      'emcc (Emscripten gcc/clang-like replacement + linker emulating GNU ld) 3.1.6 ()',
    );
    // And a failing command still fails the build.
    const failing = await runProcess('bash', [
      '-c',
      `set -euo pipefail\n${definition![0]}\nbanner=$(first_line false)\necho reached`,
    ]);
    expect(failing.status).not.toBe(0);
    expect(failing.stdout.toString()).not.toContain('reached');
  });
});
