/**
 * Access control in the real process (`zaccel serve`): a bad tokens file, by
 * flag or by environment variable, stops the server before it listens, with
 * ZACCEL_BAD_OPTION and exit status 2; a good one, with repeated
 * `--allow-origin` flags, is enforced.
 */
import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, describe, expect, test } from 'vitest';
import { packageRoot } from '../../src/machine/modules.js';
import { request } from './helpers.js';

const directory = mkdtempSync(join(tmpdir(), 'zaccel-serve-'));
afterAll(() => rmSync(directory, { recursive: true, force: true }));

const token = 'process-token-0123456789';
const main = join(packageRoot(), 'dist/tools/cli/main.js');

function file(name: string, content: string, mode = 0o600): string {
  const path = join(directory, name);
  writeFileSync(path, content);
  chmodSync(path, mode);
  return path;
}

/** Run `zaccel serve`; resolves with its exit, or with its port once it is ready. */
function serve(args: string[], env: NodeJS.ProcessEnv = {}) {
  const child = spawn(process.execPath, [main, 'serve', '--port', '0', '--workers', '1', ...args], {
    env: { ...process.env, ZACCEL_AUTH_TOKENS: '', ZACCEL_ALLOW_ORIGINS: '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const logs: Array<Record<string, unknown>> = [];
  // 'close', not 'exit': the exit can be seen before the last of its output is read.
  const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
  const outcome = new Promise<{ port?: number; code?: number | null }>((resolve) => {
    let port = 0;
    createInterface({ input: child.stdout }).on('line', (line) => {
      try {
        const entry = JSON.parse(line) as Record<string, unknown>;
        logs.push(entry);
        if (entry.msg === 'listening') port = entry.port as number;
        if (entry.msg === 'ready') resolve({ port });
      } catch {
        // not a log line
      }
    });
    void exited.then((code) => resolve({ code }));
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
  void exited.then(() => clearTimeout(timer));
  return { child, outcome, exited, logs, stderr: () => stderr };
}

describe('zaccel serve', () => {
  test.each([
    ['--auth-tokens', 'not JSON', 'flag'],
    ['ZACCEL_AUTH_TOKENS', JSON.stringify([{ name: 'short', token: 'abc' }]), 'env'],
  ])('a bad tokens file (%s) stops it before it listens: exit 2, ZACCEL_BAD_OPTION', async (_how, content, how) => {
    const path = file(`bad-${how}.json`, content);
    const served = how === 'flag' ? serve(['--auth-tokens', path]) : serve([], { ZACCEL_AUTH_TOKENS: path });
    const outcome = await served.outcome;
    expect(outcome.code).toBe(2);
    expect(served.stderr()).toMatch(
      new RegExp(`^zaccel: ZACCEL_BAD_OPTION: invalid tokens file ${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`, 'm'),
    );
    expect(served.logs.some((entry) => entry.msg === 'listening')).toBe(false);
  });

  test('a good tokens file and repeated --allow-origin are enforced', async () => {
    const path = file('good.json', JSON.stringify([{ name: 'ops', token, maxStreams: 1 }]), 0o644);
    const served = serve([
      '--auth-tokens',
      path,
      '--allow-origin',
      'http://a.example',
      '--allow-origin',
      'http://b.example:8080',
    ]);
    try {
      const { port } = await served.outcome;
      expect(port).toBeGreaterThan(0);
      const authorization = `Bearer ${token}`;
      for (const origin of ['http://a.example', 'http://b.example:8080']) {
        const answer = await request({
          port: port!,
          path: '/v1/deflate',
          headers: { origin, authorization },
          body: Buffer.from('hello'),
        });
        expect(answer.status, origin).toBe(200);
        expect(answer.headers['access-control-allow-origin']).toBe(origin);
      }
      expect(
        (
          await request({
            port: port!,
            path: '/v1/deflate',
            headers: { origin: 'http://c.example', authorization },
            body: Buffer.from('x'),
          })
        ).status,
      ).toBe(403);
      expect((await request({ port: port!, path: '/v1/deflate', body: Buffer.from('x') })).status).toBe(401);
      expect((await request({ port: port!, method: 'GET', path: '/healthz' })).status).toBe(200);
      expect(
        (await request({ port: port!, method: 'GET', path: '/healthz', headers: { host: 'evil.example' } })).status,
      ).toBe(421);
      expect(
        served.logs.find((entry) => entry.msg === 'bearer tokens required on every route but /healthz and /readyz'),
      ).toMatchObject({ tokens: 1 });
      // The file is readable by others (0644): the server says so.
      expect(served.logs.some((entry) => entry.level === 40 && String(entry.msg).includes('chmod 600'))).toBe(true);
      expect(JSON.stringify(served.logs)).not.toContain(token);
    } finally {
      served.child.kill('SIGTERM');
      expect(await served.exited).toBe(0);
    }
  });
});
