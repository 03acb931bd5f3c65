/**
 * What the cluster tests (test/cluster/run.mjs, test/server/cluster*.test.ts) and the cluster benchmark
 * (bench.ts) need to run real processes on loopback: free ports, a group of child processes that is killed as
 * one, Debian's redis-server, a poll with a deadline, and one HTTP request that fails when its answer is cut off.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { openSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

/** A port nothing listens on now (the kernel's choice), on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export interface StartOptions {
  cwd?: string;
  /** Added to this process's environment. */
  env?: Record<string, string>;
  /** Append the child's stdout and stderr to this file; without it they are dropped. */
  logFile?: string;
}

/** Child processes started for one run, so that every one of them is stopped when the run ends, failed or not. */
export class ProcessGroup {
  private readonly children = new Set<ChildProcess>();

  start(command: string, args: string[], options: StartOptions = {}): ChildProcess {
    const output = options.logFile === undefined ? 'ignore' : openSync(options.logFile, 'a');
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: { ...process.env, ...options.env },
      stdio: ['ignore', output, output],
    });
    this.children.add(child);
    child.once('exit', () => this.children.delete(child));
    return child;
  }

  /** SIGKILL every child still running. */
  killAll(): void {
    for (const child of this.children) child.kill('SIGKILL');
  }
}

/** Where Debian's redis-server package puts the server. */
export const REDIS_SERVER = '/usr/bin/redis-server';

export interface RedisOptions {
  /** Its working directory (where it would write a dump, though it is started without persistence). */
  dir?: string;
  logFile?: string;
}

/**
 * Start redis-server in `group` on a free port of 127.0.0.1, without persistence (no RDB snapshots, no AOF: the
 * tests want a clean store each run), and resolve with its URL once it accepts connections.
 */
export async function startRedis(group: ProcessGroup, options: RedisOptions = {}): Promise<string> {
  const port = await freePort();
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'];
  if (options.dir !== undefined) args.push('--dir', options.dir);
  const child = group.start(REDIS_SERVER, args, { cwd: options.dir, logFile: options.logFile });
  const exited = new Promise<never>((_, reject) =>
    child.once('exit', (code, signal) => reject(new Error(`redis-server exited (${code ?? signal}) at start`))),
  );
  exited.catch(() => {}); // it also exits later, when the group is stopped: that is no failure
  await Promise.race([waitFor(`redis-server on port ${port}`, () => accepts(port)), exited]);
  return `redis://127.0.0.1:${port}`;
}

/** Whether something accepts TCP connections on `port` of 127.0.0.1. */
export function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** Poll `test` every 100 ms until it returns true (a throw counts as "not yet"); fail after `ms`. */
export async function waitFor(what: string, test: () => Promise<boolean>, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      if (await test()) return;
    } catch {
      // not yet
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

export interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

/**
 * One request on a connection of its own. Rejects when the connection fails, when the answer is cut off
 * before its end (a streamed answer that failed must not pass for a complete one), or after `timeoutMs`.
 */
export function request(
  port: number,
  method: string,
  path: string,
  body?: Buffer,
  headers: Record<string, string> = {},
  timeoutMs = 30_000,
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request({
      host: '127.0.0.1',
      port,
      method,
      path,
      agent: false,
      headers: { ...headers, ...(body ? { 'content-length': String(body.length) } : {}) },
    });
    req.setTimeout(timeoutMs, () => req.destroy(new Error('request timed out')));
    req.on('error', reject);
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('aborted', () => reject(new Error('answer cut off')));
      res.on('error', reject);
      res.on('end', () => {
        if (!res.complete) return reject(new Error('answer incomplete'));
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) });
      });
    });
    req.end(body);
  });
}
