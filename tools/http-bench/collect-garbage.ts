/**
 * Preloaded into the soak's server process (`node --expose-gc --require`), where it runs in the main thread and,
 * because preloads are inherited, in every worker thread. SIGUSR2 to the process makes each thread collect its
 * garbage (settle(), below); each one that has is announced on stdout as a JSON line `{"msg":"collected","round":R,"thread":T}`,
 * so the soak can wait for all of them and then sample memory that is retained, not garbage that V8 has not yet
 * had a reason to free (a worker frees dead ArrayBuffers only past its external-memory trigger, about 64 MiB).
 *
 * A measurement aid only: the service never loads it.
 */
import { BroadcastChannel, isMainThread, threadId } from 'node:worker_threads';

const collect = exposedGc();

function exposedGc(): () => void {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) throw new Error('collect-garbage needs node --expose-gc');
  return gc;
}

/** What the threads say to each other: the main thread asks, each worker answers. */
type Message = { t: 'collect'; round: number } | { t: 'collected'; round: number; thread: number };

/**
 * A full collection, and then another once the event loop has turned. The ArrayBuffers the first one finds dead
 * are freed, and leave process.memoryUsage().external, only after it returns (V8 sweeps them on a background
 * thread, and finalizers run as tasks): sampled right after one collection, the main thread's figure flipped
 * between 2.9 and 5.2 MiB from window to window of the soak, and after two it stays put.
 */
async function settle(): Promise<void> {
  collect();
  await new Promise((resolve) => setTimeout(resolve, 20));
  collect();
}

const channel = new BroadcastChannel('zaccel-soak-collect');
channel.unref();
const post = (message: Message) => channel.postMessage(message);

function announce(round: number, thread: number): void {
  process.stdout.write(`${JSON.stringify({ msg: 'collected', round, thread })}\n`);
}

if (isMainThread) {
  let round = 0;
  channel.onmessage = (event) => {
    const message = (event as { data: Message }).data;
    if (message.t === 'collected') announce(message.round, message.thread);
  };
  process.on('SIGUSR2', () => {
    const current = ++round;
    void settle().then(() => {
      announce(current, threadId);
      post({ t: 'collect', round: current });
    });
  });
} else {
  channel.onmessage = (event) => {
    const message = (event as { data: Message }).data;
    if (message.t !== 'collect') return;
    void settle().then(() => post({ t: 'collected', round: message.round, thread: threadId }));
  };
}
