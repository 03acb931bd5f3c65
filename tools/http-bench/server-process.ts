/**
 * The service in a child process of its own, for measurements of its memory:
 * the resident set of a process is only the server's when nothing else (test
 * runner, load client) shares it. Started with `zaccel serve --port 0`; the
 * port comes from its "listening" log line. Resident sizes are read from
 * /proc/PID/status (Linux): VmRSS now, VmHWM the peak since start.
 *
 * With `collectable`, the process runs with collect-garbage.ts preloaded in every thread, and `collect()` makes
 * each thread run a full garbage collection, so that a sample that follows it shows retained memory.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { packageRoot } from '../../src/internal.js';

export interface ServerProcess {
  port: number;
  pid: number;
  /** Resident set now and at its peak, in bytes. */
  memory(): { rssBytes: number; peakRssBytes: number };
  /** One sample of the server's /metrics, by metric line prefix (`name{labels}`), summed over matching lines. */
  metric(prefix: string): Promise<number>;
  /** One sample of the server's /metrics, to read several figures taken at the same moment. */
  scrape(): Promise<Scrape>;
  /**
   * A full garbage collection in the main thread and in `workers` worker threads; resolves once each has
   * collected. Only for a process started `collectable`.
   */
  collect(workers: number): Promise<void>;
  /** SIGTERM, and wait for the exit (SIGKILL after `graceMs`). */
  stop(graceMs?: number): Promise<void>;
}

export interface ServerProcessOptions {
  /** Milliseconds to wait for the server to be ready. */
  startMs?: number;
  /** Preload collect-garbage.ts so that `collect()` works. */
  collectable?: boolean;
}

/** Start `zaccel serve` with these flags (e.g. `['--workers', '2']`) and wait until it is ready. */
export async function startServerProcess(flags: string[], options: ServerProcessOptions = {}): Promise<ServerProcess> {
  const startMs = options.startMs ?? 30_000;
  const dist = join(packageRoot(), 'dist', 'tools');
  const preload = options.collectable
    ? ['--expose-gc', '--require', join(dist, 'http-bench', 'collect-garbage.js')]
    : [];
  const child = spawn(
    process.execPath,
    [
      ...preload,
      join(dist, 'cli', 'main.js'),
      'serve',
      '--host',
      '127.0.0.1',
      '--port',
      '0',
      '--log-level',
      'info',
      ...flags,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const collections = new CollectionRounds();
  const port = await new Promise<number>((resolve, reject) => {
    let listening = 0;
    const timer = setTimeout(() => fail(new Error(`the server did not get ready within ${startMs} ms`)), startMs);
    const lines = createInterface({ input: child.stdout! });
    const fail = (error: Error) => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(error);
    };
    child.once('exit', (code) => fail(new Error(`the server exited with ${code} before it was ready`)));
    lines.on('line', (line) => {
      let entry: { msg?: string; port?: number; round?: number };
      try {
        entry = JSON.parse(line);
      } catch {
        return;
      }
      if (entry.msg === 'collected' && typeof entry.round === 'number') collections.answered(entry.round);
      if (entry.msg === 'listening' && typeof entry.port === 'number') listening = entry.port;
      if (entry.msg === 'ready' && listening > 0) {
        clearTimeout(timer);
        child.removeAllListeners('exit');
        resolve(listening);
      }
    });
  });
  child.once('exit', (code, signal) =>
    collections.fail(new Error(`the server exited (${code ?? signal}) during a garbage collection`)),
  );
  // Keep draining its log so the pipe never fills.
  child.stdout!.resume();
  return {
    port,
    pid: child.pid!,
    memory: () => residentMemory(child.pid!),
    metric: async (prefix) => (await scrape(port)).sum(prefix),
    scrape: () => scrape(port),
    collect: (workers) => {
      if (!options.collectable) return Promise.reject(new Error('this server process was not started collectable'));
      const done = collections.next(workers + 1);
      child.kill('SIGUSR2');
      return done;
    },
    stop: (graceMs = 10_000) => stopChild(child, graceMs),
  };
}

/** Rounds of collection, numbered as the preload numbers them, each waiting for its threads' answers. */
class CollectionRounds {
  private round = 0;
  private readonly waiting = new Map<
    number,
    { threads: number; resolve: () => void; reject: (error: Error) => void }
  >();

  /** The next round: resolves once `threads` threads have answered it. */
  next(threads: number): Promise<void> {
    const round = ++this.round;
    return new Promise((resolve, reject) => this.waiting.set(round, { threads, resolve, reject }));
  }

  /** The process is gone: no round still waiting will be answered. */
  fail(error: Error): void {
    for (const entry of this.waiting.values()) entry.reject(error);
    this.waiting.clear();
  }

  answered(round: number): void {
    const entry = this.waiting.get(round);
    if (entry === undefined) return;
    if (--entry.threads > 0) return;
    this.waiting.delete(round);
    entry.resolve();
  }
}

function residentMemory(pid: number): { rssBytes: number; peakRssBytes: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (field: string) =>
    Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? Number.NaN) * 1024;
  return { rssBytes: kib('VmRSS'), peakRssBytes: kib('VmHWM') };
}

/** A /metrics answer in Prometheus' text format. */
export interface Scrape {
  /** The values of the lines whose name (and labels, if given) start with `prefix`, summed. */
  sum(prefix: string): number;
}

async function scrape(port: number): Promise<Scrape> {
  const response = await fetch(`http://127.0.0.1:${port}/metrics`);
  const lines = (await response.text()).split('\n');
  return {
    sum(prefix) {
      let total = 0;
      for (const line of lines) {
        if (line.startsWith(prefix) && (line[prefix.length] === ' ' || line[prefix.length] === '{')) {
          total += Number(line.slice(line.lastIndexOf(' ') + 1));
        }
      }
      return total;
    },
  };
}

function stopChild(child: ChildProcess, graceMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}
