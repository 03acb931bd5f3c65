/**
 * The async API against node:zlib's, in one run: four 8 MiB level-6 deflates
 * started together versus the same four one after another (the speed-up the
 * thread pool gives), and the event loop's worst gap while the four run
 * together (how much of the work stays on the main thread).
 *
 *   node dist/tools/bench/async-offload.js [--mib 8] [--jobs 4] [--rounds 3] [--json]
 *
 * A benchmark, not a test: figures depend on the machine and its load. The
 * speed-up cannot pass the number of free cores.
 */
import { availableParallelism, loadavg } from 'node:os';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { Worker } from 'node:worker_threads';
import * as nodeZlib from 'node:zlib';
import * as zaccel from '../../src/index.js';
import { corpus } from '../corpus/corpus.js';

type Deflate = (input: Buffer) => Promise<Buffer>;

interface Contender {
  name: string;
  deflate: Deflate;
}

export interface OffloadFigures {
  name: string;
  /** Seconds for the jobs one after another, and all together (medians over the rounds). */
  sequentialSeconds: number;
  concurrentSeconds: number;
  /** sequential / concurrent. */
  speedup: number;
  /** The longest the event loop went without running a 1 ms timer, during the concurrent runs (worst round). */
  worstGapMs: number;
  /** The 99th percentile of the event loop's delay during the concurrent runs (worst round). */
  p99DelayMs: number;
}

const contenders: Contender[] = [
  {
    name: 'node:zlib',
    deflate: (input) =>
      new Promise((resolve, reject) =>
        nodeZlib.deflate(input, { level: 6 }, (error, result) => (error ? reject(error) : resolve(result))),
      ),
  },
  { name: 'zaccel (zlib engine)', deflate: (input) => zaccel.deflate(input, { level: 6 }) },
];

/** Watch the event loop: the longest time between two runs of a 1 ms timer, and node's delay histogram. */
function watchLoop(): () => { gap: number; p99: number } {
  let last = performance.now();
  let worst = 0;
  const histogram = monitorEventLoopDelay({ resolution: 1 });
  histogram.enable();
  const timer = setInterval(() => {
    const now = performance.now();
    worst = Math.max(worst, now - last);
    last = now;
  }, 1);
  return () => {
    clearInterval(timer);
    histogram.disable();
    return { gap: Math.max(worst, performance.now() - last), p99: histogram.percentile(99) / 1e6 };
  };
}

async function sequential(deflate: Deflate, inputs: Buffer[]): Promise<number> {
  const started = performance.now();
  for (const input of inputs) await deflate(input);
  return (performance.now() - started) / 1000;
}

async function concurrent(deflate: Deflate, inputs: Buffer[]): Promise<{ seconds: number; gap: number; p99: number }> {
  const stop = watchLoop();
  const started = performance.now();
  await Promise.all(inputs.map((input) => deflate(input)));
  const seconds = (performance.now() - started) / 1000;
  return { seconds, ...stop() };
}

/**
 * The event loop's gaps while `jobs` threads only spin for `seconds`: what the machine's scheduler alone
 * costs the loop (on a loaded machine this is far from zero), to read the contenders' gaps against.
 */
async function spinningBaseline(jobs: number, seconds: number): Promise<{ gap: number; p99: number }> {
  const stop = watchLoop();
  const source = `const end = Date.now() + ${Math.round(seconds * 1000)}; while (Date.now() < end); require('node:worker_threads').parentPort.postMessage(0);`;
  await Promise.all(
    Array.from(
      { length: jobs },
      () =>
        new Promise<void>((resolve, reject) => {
          const worker = new Worker(source, { eval: true });
          worker.once('message', () => void worker.terminate().then(() => resolve()));
          worker.once('error', reject);
        }),
    ),
  );
  return stop();
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

export async function measureOffload(
  mib = 8,
  jobs = 4,
  rounds = 3,
): Promise<{ figures: OffloadFigures[]; baseline: { gap: number; p99: number } }> {
  // Different inputs per job, so no job's cache state helps another's.
  const inputs = Array.from({ length: jobs }, (_, index) =>
    Buffer.from(corpus('mixed', mib * 1024 * 1024, 100 + index)),
  );
  // Warm up: starts the pool's workers and compiles what needs compiling.
  for (const contender of contenders) await concurrent(contender.deflate, inputs);
  const runs = contenders.map(() => ({ sequential: [] as number[], concurrent: [] as number[], gap: 0, p99: 0 }));
  // The contenders take turns within each round, so a change in the machine's load falls on both.
  for (let round = 0; round < rounds; round++) {
    for (const [index, contender] of contenders.entries()) {
      runs[index].sequential.push(await sequential(contender.deflate, inputs));
      const run = await concurrent(contender.deflate, inputs);
      runs[index].concurrent.push(run.seconds);
      runs[index].gap = Math.max(runs[index].gap, run.gap);
      runs[index].p99 = Math.max(runs[index].p99, run.p99);
    }
  }
  const figures = contenders.map((contender, index) => {
    const sequentialSeconds = median(runs[index].sequential);
    const concurrentSeconds = median(runs[index].concurrent);
    return {
      name: contender.name,
      sequentialSeconds,
      concurrentSeconds,
      speedup: sequentialSeconds / concurrentSeconds,
      worstGapMs: runs[index].gap,
      p99DelayMs: runs[index].p99,
    };
  });
  const baseline = await spinningBaseline(jobs, Math.max(...figures.map((f) => f.concurrentSeconds)));
  return { figures, baseline };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      mib: { type: 'string', default: '8' },
      jobs: { type: 'string', default: '4' },
      rounds: { type: 'string', default: '3' },
      json: { type: 'boolean', default: false },
    },
  });
  const mib = Number(values.mib);
  const jobs = Number(values.jobs);
  const rounds = Number(values.rounds);
  const { figures, baseline } = await measureOffload(mib, jobs, rounds);
  if (values.json) {
    const context = {
      mib,
      jobs,
      rounds,
      cores: availableParallelism(),
      loadAverage: loadavg(),
      poolSize: zaccel.threadPoolSize(),
    };
    process.stdout.write(`${JSON.stringify({ ...context, figures, baseline }, null, 2)}\n`);
  } else {
    process.stdout.write(
      `${jobs} x ${mib} MiB level-6 deflate, ${rounds} rounds, ${availableParallelism()} cores, zaccel pool size ${zaccel.threadPoolSize()}\n`,
    );
    process.stdout.write(
      `load average before: ${loadavg()
        .map((value) => value.toFixed(1))
        .join(' ')}\n`,
    );
    process.stdout.write(
      '| contender | in a row (s) | together (s) | speed-up | worst event-loop gap (ms) | p99 loop delay (ms) |\n',
    );
    process.stdout.write('|---|---|---|---|---|---|\n');
    for (const f of figures) {
      process.stdout.write(
        `| ${f.name} | ${f.sequentialSeconds.toFixed(3)} | ${f.concurrentSeconds.toFixed(3)} | ${f.speedup.toFixed(2)}x | ${f.worstGapMs.toFixed(1)} | ${f.p99DelayMs.toFixed(1)} |\n`,
      );
    }
    process.stdout.write(
      `| ${jobs} threads spinning, no compression (the scheduler alone) | | | | ${baseline.gap.toFixed(1)} | ${baseline.p99.toFixed(1)} |\n`,
    );
  }
  await zaccel.closeThreadPool();
}

if (process.argv[1] !== undefined && import.meta.url.endsWith(process.argv[1].replace(/\\/g, '/'))) await main();
