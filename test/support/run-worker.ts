/**
 * Run a worker that reports progress, and fail if it goes quiet: a decoder
 * that hangs fails the test instead of hanging the suite.
 */
import { Worker } from 'node:worker_threads';

export interface WorkerDone {
  type: 'done';
  [key: string]: unknown;
}

export function runWorker(url: URL, workerData: unknown, quietLimitMs: number): Promise<WorkerDone> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(url, { workerData });
    let timer: NodeJS.Timeout;
    const arm = () => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        void worker.terminate();
        reject(new Error(`worker made no progress for ${quietLimitMs} ms: a decoder hangs`));
      }, quietLimitMs);
    };
    arm();
    worker.on('message', (message: { type: string }) => {
      if (message.type === 'done') {
        clearTimeout(timer);
        resolve(message as WorkerDone);
        void worker.terminate();
      } else arm();
    });
    worker.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    worker.on('exit', (code) => {
      clearTimeout(timer);
      if (code !== 0) reject(new Error(`worker exited with ${code}`));
    });
  });
}
