/**
 * A soak of the service in a child process (server-process.ts): REQUESTS
 * one-shots (deflate at every level, and inflate of gzip), CONCURRENCY at a
 * time, in WINDOWS equal windows. After each window it samples the server's
 * resident set, V8 heap, external (ArrayBuffer) memory and the Machine's
 * size, so that growth can be told apart by cause:
 *
 * - Machine growth: the shared WebAssembly.Memory grows to the partitions
 *   the busiest moment needed and never shrinks (wasm memory cannot).
 * - Allocator retention: ArrayBuffers of bodies and outputs are malloc'd
 *   per message; freed ones stay in glibc's per-thread arenas, so RSS keeps
 *   the high-water mark of the load that was.
 * - V8 heap: young-generation garbage between collections.
 *
 * With `collect` (`--collect`), every thread of the server runs a full garbage collection before each sample
 * (collect-garbage.ts), so the heap and ArrayBuffer figures are what is retained: a leak shows there as growth
 * from window to window, where without it the garbage V8 has not yet freed (up to its ~64 MiB external-memory
 * trigger per thread) hides anything smaller.
 *
 *   node dist/tools/http-bench/soak.js [--requests 2000] [--windows 10] [--concurrency 16] [--body-kib 256] [--workers 2] [--collect]
 */
import http from 'node:http';
import { pathToFileURL } from 'node:url';
import zlib from 'node:zlib';
import { corpus } from '../corpus/corpus.js';
import { startServerProcess } from './server-process.js';

const MiB = 1024 * 1024;

export interface SoakOptions {
  requests?: number;
  windows?: number;
  concurrency?: number;
  bodyBytes?: number;
  workers?: number;
  /** A full garbage collection in every thread of the server before each sample. */
  collect?: boolean;
}

export interface SoakWindow {
  /** Requests answered so far. */
  requests: number;
  rssMiB: number;
  heapUsedMiB: number;
  externalMiB: number;
  /** The workers' V8 heaps (physical) and the ArrayBuffer memory they hold. */
  workerHeapMiB: number;
  workerExternalMiB: number;
  machineMiB: number;
}

export interface SoakResult {
  answered: number;
  failed: number;
  startRssMiB: number;
  windows: SoakWindow[];
  seconds: number;
}

const round = (bytes: number) => Math.round((bytes / MiB) * 10) / 10;

export async function runSoak(options: SoakOptions = {}): Promise<SoakResult> {
  const requests = options.requests ?? 2000;
  const windows = options.windows ?? 10;
  const concurrency = options.concurrency ?? 16;
  const bodyBytes = options.bodyBytes ?? 256 * 1024;
  const started = Date.now();
  const text = corpus('text', bodyBytes, 7);
  const gzip = zlib.gzipSync(text);
  const workerCount = options.workers ?? 2;
  const server = await startServerProcess(['--workers', String(workerCount)], { collectable: options.collect });
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  let answered = 0;
  let failed = 0;
  const post = (path: string, body: Uint8Array) =>
    new Promise<number>((resolve, reject) => {
      const request = http.request(
        { host: '127.0.0.1', port: server.port, method: 'POST', path, agent },
        (response) => {
          response.resume();
          response.on('end', () => resolve(response.statusCode ?? 0));
          response.on('error', reject);
        },
      );
      request.on('error', reject);
      request.end(body);
    });
  const one = async (index: number) => {
    const inflate = index % 3 === 2;
    const status = await post(
      inflate ? '/v1/inflate?format=gzip' : `/v1/deflate?level=${index % 10}`,
      inflate ? gzip : text,
    );
    if (status === 200) answered++;
    else failed++;
  };
  try {
    const startRss = server.memory().rssBytes;
    const samples: SoakWindow[] = [];
    const perWindow = Math.ceil(requests / windows);
    let next = 0;
    for (let window = 0; window < windows; window++) {
      const end = Math.min(requests, next + perWindow);
      const workers = Array.from({ length: concurrency }, async () => {
        while (next < end) await one(next++);
      });
      await Promise.all(workers);
      if (options.collect) await server.collect(workerCount);
      const rssBytes = server.memory().rssBytes;
      const metrics = await server.scrape();
      samples.push({
        requests: answered + failed,
        rssMiB: round(rssBytes),
        heapUsedMiB: round(metrics.sum('nodejs_heap_size_used_bytes')),
        externalMiB: round(metrics.sum('nodejs_external_memory_bytes')),
        workerHeapMiB: round(metrics.sum('zaccel_worker_heap_bytes')),
        workerExternalMiB: round(metrics.sum('zaccel_worker_external_bytes')),
        machineMiB: round(metrics.sum('zaccel_machine_memory_bytes')),
      });
    }
    return {
      answered,
      failed,
      startRssMiB: round(startRss),
      windows: samples,
      seconds: Math.round((Date.now() - started) / 100) / 10,
    };
  } finally {
    agent.destroy();
    await server.stop();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const args = process.argv.slice(2);
  const value = (flag: string) => {
    const index = args.indexOf(flag);
    return index >= 0 ? Number(args[index + 1]) : undefined;
  };
  const kib = value('--body-kib');
  runSoak({
    requests: value('--requests'),
    windows: value('--windows'),
    concurrency: value('--concurrency'),
    bodyBytes: kib === undefined ? undefined : kib * 1024,
    workers: value('--workers'),
    collect: args.includes('--collect'),
  }).then(
    (result) => console.log(JSON.stringify(result, null, 2)),
    (error: unknown) => {
      console.error(error);
      process.exitCode = 1;
    },
  );
}
