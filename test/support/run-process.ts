/**
 * spawnSync's result, without blocking: a child process run to its end while the test worker's event loop keeps
 * turning. spawnSync holds the worker for as long as the child runs (a minute for a benchmark on a busy machine),
 * which makes vitest's worker RPC give up even though every test passes.
 */
import { type ChildProcess, spawn } from 'node:child_process';

export interface ProcessResult {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: Buffer;
  stderr: Buffer;
}

export interface ProcessOptions {
  /** Written to the child's stdin, which is then closed. */
  input?: Uint8Array;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
}

/** Collect a started child's output and wait for its end. */
export function collected(child: ChildProcess): Promise<ProcessResult> {
  const stdout: Buffer[] = [];
  const stderr: Buffer[] = [];
  child.stdout?.on('data', (chunk: Buffer) => stdout.push(chunk));
  child.stderr?.on('data', (chunk: Buffer) => stderr.push(chunk));
  // A child that exits without reading all of its input is not an error here, as with spawnSync.
  child.stdin?.on('error', () => {});
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (status, signal) =>
      resolve({ status, signal, stdout: Buffer.concat(stdout), stderr: Buffer.concat(stderr) }),
    );
  });
}

export function runProcess(
  command: string,
  args: readonly string[],
  options: ProcessOptions = {},
): Promise<ProcessResult> {
  const child = spawn(command, args, { cwd: options.cwd, env: options.env, stdio: ['pipe', 'pipe', 'pipe'] });
  const result = collected(child);
  child.stdin.end(options.input);
  return result;
}
