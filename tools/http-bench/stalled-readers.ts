/**
 * Peak server memory with clients that stop reading: N clients each post a
 * gzip bomb whose answer is ANSWER MiB of zeros, read the first bytes of
 * the answer, and then read nothing more. The server runs in a child process
 * (server-process.ts) so its resident set is its own. Loopback only; every
 * phase has a deadline, so the run is bounded in time.
 *
 *   node dist/tools/http-bench/stalled-readers.js [--clients 256] [--answer-mib 1024] [--workers 2] [--send-timeout-ms 15000]
 *
 * It prints JSON: the server's resident set before, its peak (VmHWM) while
 * every client is stalled, the Machine's size, and what is left once the send
 * timeout has closed them all.
 */
import net from 'node:net';
import { Readable } from 'node:stream';
import { pathToFileURL } from 'node:url';
import zlib from 'node:zlib';
import { startServerProcess } from './server-process.js';

const MiB = 1024 * 1024;

export interface StalledReadersOptions {
  clients?: number;
  answerMiB?: number;
  workers?: number;
  sendTimeoutMs?: number;
}

export interface StalledReadersResult {
  clients: number;
  answerMiB: number;
  stalled: number;
  baselineRssMiB: number;
  peakRssMiB: number;
  rssWhileStalledMiB: number;
  machineMiB: number;
  /** The main thread's ArrayBuffer memory and V8 heap while every client is stalled (the workers' are not in /metrics). */
  externalMiB: number;
  heapUsedMiB: number;
  sendTimeouts: number;
  rssAfterTimeoutsMiB: number;
  seconds: number;
}

/** gzip of `bytes` zeros, made a MiB at a time (about 1 MiB of gzip per GiB). */
async function bomb(bytes: number): Promise<Buffer> {
  const zeros = Buffer.alloc(MiB);
  let left = Math.ceil(bytes / MiB);
  const source = new Readable({ read: () => void source.push(left-- > 0 ? zeros : null) });
  const chunks: Buffer[] = [];
  for await (const chunk of source.pipe(zlib.createGzip({ level: 9 }))) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

async function until(check: () => Promise<boolean> | boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return false;
}

export async function measureStalledReaders(options: StalledReadersOptions = {}): Promise<StalledReadersResult> {
  const clients = options.clients ?? 256;
  const answerMiB = options.answerMiB ?? 1024;
  const sendTimeoutMs = options.sendTimeoutMs ?? 15_000;
  const started = Date.now();
  const body = await bomb(answerMiB * MiB);
  const server = await startServerProcess([
    '--workers',
    String(options.workers ?? 2),
    '--max-inflight',
    String(clients + 16),
    '--max-output-limit',
    `${answerMiB * 2}m`,
    '--send-timeout-ms',
    String(sendTimeoutMs),
  ]);
  const sockets: net.Socket[] = [];
  try {
    const baseline = server.memory().rssBytes;
    let stalled = 0;
    for (let index = 0; index < clients; index++) {
      const socket = net.connect(server.port, '127.0.0.1');
      sockets.push(socket);
      socket.on('error', () => {});
      socket.write(
        `POST /v1/inflate?format=gzip&maxOutput=${answerMiB * MiB} HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-length: ${body.length}\r\n\r\n`,
      );
      socket.write(body);
      // The first bytes of the answer, then nothing more: the client stops reading.
      socket.once('data', () => {
        socket.pause();
        stalled++;
      });
    }
    await until(() => stalled === clients, 120_000);
    // Let the server fill every window it has, then take the figures.
    let rssWhileStalled = 0;
    for (let sample = 0; sample < 12; sample++) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      rssWhileStalled = Math.max(rssWhileStalled, server.memory().rssBytes);
    }
    const peak = server.memory().peakRssBytes;
    const metrics = await server.scrape();
    const machine = metrics.sum('zaccel_machine_memory_bytes');
    const external = metrics.sum('nodejs_external_memory_bytes');
    const heapUsed = metrics.sum('nodejs_heap_size_used_bytes');
    await until(
      async () => (await server.metric('zaccel_timeouts_total{kind="send"}')) >= stalled,
      sendTimeoutMs * 3 + 30_000,
    );
    const sendTimeouts = await server.metric('zaccel_timeouts_total{kind="send"}');
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const after = server.memory().rssBytes;
    return {
      clients,
      answerMiB,
      stalled,
      baselineRssMiB: Math.round(baseline / MiB),
      peakRssMiB: Math.round(peak / MiB),
      rssWhileStalledMiB: Math.round(rssWhileStalled / MiB),
      machineMiB: Math.round(machine / MiB),
      externalMiB: Math.round(external / MiB),
      heapUsedMiB: Math.round(heapUsed / MiB),
      sendTimeouts,
      rssAfterTimeoutsMiB: Math.round(after / MiB),
      seconds: Math.round((Date.now() - started) / 100) / 10,
    };
  } finally {
    for (const socket of sockets) socket.destroy();
    await server.stop();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const args = process.argv.slice(2);
  const value = (flag: string) => {
    const index = args.indexOf(flag);
    return index >= 0 ? Number(args[index + 1]) : undefined;
  };
  measureStalledReaders({
    clients: value('--clients'),
    answerMiB: value('--answer-mib'),
    workers: value('--workers'),
    sendTimeoutMs: value('--send-timeout-ms'),
  }).then(
    (result) => console.log(JSON.stringify(result, null, 2)),
    (error: unknown) => {
      console.error(error);
      process.exitCode = 1;
    },
  );
}
