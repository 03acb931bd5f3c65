/**
 * `npm start` passes signals to the server. npm forwards SIGTERM to the script's shell; the shell must not stand in
 * between (a plain `sh -c "node ..."` dies and orphans the server, which keeps answering), so the script `exec`s
 * node. This is what `docker stop` and process managers do to a service started with npm start.
 */
import { spawn } from 'node:child_process';
import { get } from 'node:http';
import { createInterface } from 'node:readline';
import { expect, test } from 'vitest';
import { packageRoot } from '../../src/machine/modules.js';

function readyz(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    get({ host: '127.0.0.1', port, path: '/readyz' }, (response) => {
      response.resume();
      resolve(response.statusCode ?? 0);
    }).on('error', reject);
  });
}

/** Whether a process with this id still exists. */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

test('SIGTERM to the npm process ends the server gracefully', async () => {
  const npm = spawn('npm', ['start', '--silent'], {
    cwd: packageRoot(),
    env: { ...process.env, ZACCEL_PORT: '0', ZACCEL_WORKERS: '1', ZACCEL_LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<number | null>((resolve) => npm.once('exit', (code) => resolve(code)));
  const logs: Array<Record<string, unknown>> = [];
  let stderr = '';
  npm.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const ready = new Promise<{ port: number; pid: number }>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the server did not start: ${stderr}`)), 60_000);
    let port = 0;
    createInterface({ input: npm.stdout }).on('line', (line) => {
      let entry: Record<string, unknown>;
      try {
        entry = JSON.parse(line) as Record<string, unknown>;
      } catch {
        return; // not a log line
      }
      logs.push(entry);
      if (entry.msg === 'listening') port = entry.port as number;
      if (entry.msg === 'ready') {
        clearTimeout(timer);
        resolve({ port, pid: entry.pid as number });
      }
    });
    void exited.then((code) => reject(new Error(`npm start exited with ${code}: ${stderr}`)));
  });
  const { port, pid } = await ready;
  try {
    // The server is a separate process from npm (npm runs the script), and it answers.
    expect(pid).not.toBe(npm.pid);
    expect(await readyz(port)).toBe(200);

    npm.kill('SIGTERM');
    expect(await exited).toBe(0);
    const signalled = logs.find((entry) => entry.msg === 'signal received: finishing requests in flight');
    expect(signalled?.signal).toBe('SIGTERM');
    // No orphan: the server process is gone and its port refuses connections.
    await expect.poll(() => alive(pid), { timeout: 10_000 }).toBe(false);
    await expect(readyz(port)).rejects.toThrow();
  } finally {
    // When the test fails, the server may be an orphan: end it, so it does not outlive the run.
    if (alive(pid)) process.kill(pid, 'SIGKILL');
    npm.kill('SIGKILL');
  }
});
