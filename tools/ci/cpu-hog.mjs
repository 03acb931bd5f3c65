#!/usr/bin/env node
/**
 * A bounded CPU hog for the loaded CI check: N worker threads spin on arithmetic, and the whole process stops by
 * itself after --seconds, whatever happens to whoever started it (the workers also watch the clock, and the main
 * thread's timer is the backstop). Usage:
 *   node tools/ci/cpu-hog.mjs [--threads N] [--seconds S]     (defaults: one thread per core, 900 s)
 * It prints one line when it starts and one when it stops, with the busy time each thread got.
 */
import { availableParallelism } from 'node:os';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';

if (!isMainThread) {
  // Spin until the deadline; look at the clock every few million iterations only, so nearly all time is busy.
  const { deadline } = workerData;
  let x = 0;
  let rounds = 0;
  while (Date.now() < deadline) {
    for (let i = 0; i < 5_000_000; i++) x = (x * 1_103_515_245 + 12_345) | 0;
    rounds++;
  }
  parentPort.postMessage({ rounds, x });
} else {
  const options = { threads: availableParallelism(), seconds: 900 };
  const args = process.argv.slice(2);
  for (let index = 0; index < args.length; index += 2) {
    const [flag, value] = [args[index], Number(args[index + 1])];
    if ((flag !== '--threads' && flag !== '--seconds') || !(value > 0)) {
      console.error('usage: node tools/ci/cpu-hog.mjs [--threads N] [--seconds S]');
      process.exit(2);
    }
    options[flag.slice(2)] = value;
  }
  const threads = Math.round(options.threads);
  const started = Date.now();
  const deadline = started + options.seconds * 1000;
  console.log(`cpu-hog: ${threads} busy thread(s) for ${options.seconds} s (pid ${process.pid})`);
  let finished = 0;
  const rounds = [];
  for (let index = 0; index < threads; index++) {
    const worker = new Worker(new URL(import.meta.url), { workerData: { deadline } });
    worker.once('message', (message) => rounds.push(message.rounds));
    worker.once('exit', () => {
      if (++finished === threads) {
        console.log(
          `cpu-hog: stopped after ${((Date.now() - started) / 1000).toFixed(1)} s; rounds of 5M per thread: ${rounds.join(', ')}`,
        );
        process.exit(0);
      }
    });
  }
  // The backstop: stop even if a worker did not (a little after the deadline, so the workers stop first).
  setTimeout(
    () => {
      console.log('cpu-hog: deadline passed, stopping');
      process.exit(0);
    },
    options.seconds * 1000 + 5000,
  ).unref();
  for (const signal of ['SIGINT', 'SIGTERM'])
    process.on(signal, () => {
      console.log(`cpu-hog: stopped by ${signal} after ${((Date.now() - started) / 1000).toFixed(1)} s`);
      process.exit(0);
    });
}
