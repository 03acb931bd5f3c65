/**
 * spawnSync's result, without blocking: a child process run to its end while the test worker's event loop keeps
 * turning. spawnSync holds the worker for as long as the child runs (a minute for a benchmark on a busy machine),
 * which makes vitest's worker RPC give up even though every test passes.
 */
import { spawn } from 'node:child_process';

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

export function runProcess(
  command: string,
  args: readonly string[],
  options: ProcessOptions = {},
): Promise<ProcessResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: options.cwd, env: options.env, stdio: ['pipe', 'pipe', 'pipe'] });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    child.once('error', reject);
    // A child that exits without reading all of its input is not an error here, as with spawnSync.
    child.stdin.on('error', () => {});
    child.stdin.end(options.input);
    child.once('close', (status, signal) =>
      resolve({ status, signal, stdout: Buffer.concat(stdout), stderr: Buffer.concat(stderr) }),
    );
  });
}
