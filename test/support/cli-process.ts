/**
 * The real CLI (dist/tools/cli/main.js) as a child process, awaited without
 * blocking the test worker's event loop (spawnSync would, for as long as the
 * child runs).
 */
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { join } from 'node:path';
import { packageRoot } from '../../src/internal.js';
import { collected } from './run-process.js';

export const cliPath = join(packageRoot(), 'dist/tools/cli/main.js');

export interface CliResult {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: Buffer;
  stderr: string;
}

export interface CliOptions extends SpawnOptions {
  /** Written to stdin, which is then closed; stdin is empty when absent. */
  input?: Buffer | string;
  /** Extra node flags, before the script: `--import ...`. */
  nodeArgs?: string[];
  /** The script to run instead of this checkout's CLI (a copy of the package elsewhere). */
  script?: string;
}

/** Start the CLI; the caller drives stdin and waits with {@link finished}. */
export function startCli(args: string[], options: CliOptions = {}): ChildProcess {
  const { input: _input, nodeArgs = [], script = cliPath, ...spawnOptions } = options;
  return spawn(process.execPath, [...nodeArgs, script, ...args], { stdio: ['pipe', 'pipe', 'pipe'], ...spawnOptions });
}

/** Collect a started CLI's output and wait for it to end. */
export async function finished(child: ChildProcess): Promise<CliResult> {
  const result = await collected(child);
  return { ...result, stderr: result.stderr.toString() };
}

/** Run the CLI to completion. */
export function zaccel(args: string[], options: CliOptions = {}): Promise<CliResult> {
  const child = startCli(args, options);
  const done = finished(child);
  child.stdin?.end(options.input);
  return done;
}
