// Runs mutated streams through zaccel's inflate in a worker thread, so that
// the test can time it out if a decoder ever hangs. Uses the built library.
import { parentPort, workerData } from 'node:worker_threads';
import { Machine, createInflateCore } from '../../dist/src/index.js';
import { Random } from '../../dist/tools/corpus/corpus.js';

const { streams, iterations, seed } = workerData;
const random = new Random(seed);
const machine = Machine.create({ guardBytes: 64, maximumBytes: 256 * 1024 * 1024 });
// The first stream instantiates zlib in this thread (its stack stays): measure after it.
createInflateCore('zlib', { machine }).close();
const baseline = machine.stats().bytesInUse;
const codes = {};
const unexpected = [];
let outputBytes = 0;

function mutate(input) {
  const bytes = Buffer.from(input);
  switch (random.below(6)) {
    case 0: // flip 1..4 bits
      for (let count = 1 + random.below(4); count > 0; count--)
        bytes[random.below(bytes.length)] ^= 1 << random.below(8);
      return bytes;
    case 1: // truncate
      return bytes.subarray(0, random.below(bytes.length));
    case 2: // overwrite a run with random bytes
      for (
        let start = random.below(bytes.length), end = Math.min(bytes.length, start + 1 + random.below(8));
        start < end;
        start++
      )
        bytes[start] = random.below(256);
      return bytes;
    case 3: {
      // insert random bytes
      const at = random.below(bytes.length + 1);
      const extra = Buffer.alloc(1 + random.below(4)).map(() => random.below(256));
      return Buffer.concat([bytes.subarray(0, at), extra, bytes.subarray(at)]);
    }
    case 4: {
      // delete a run
      const at = random.below(bytes.length);
      return Buffer.concat([bytes.subarray(0, at), bytes.subarray(at + 1 + random.below(4))]);
    }
    default: {
      // duplicate a slice onto another place
      const from = random.below(bytes.length),
        to = random.below(bytes.length),
        length = random.below(16);
      bytes.copy(bytes, to, from, from + length);
      return bytes;
    }
  }
}

for (let run = 0; run < iterations; run++) {
  const base = streams[random.below(streams.length)];
  const input = mutate(base.bytes);
  const core = createInflateCore(base.format, { machine, chunkSize: 1024, maxOutputLength: 4 * 1024 * 1024 });
  core.ondata = (chunk) => (outputBytes += chunk.length);
  try {
    core.push(input, true);
    codes.ok = (codes.ok ?? 0) + 1;
  } catch (error) {
    codes[error.zaccelCode] = (codes[error.zaccelCode] ?? 0) + 1;
    if (error.zaccelCode === undefined || error.zaccelCode === 'ZACCEL_INTERNAL') {
      unexpected.push({ error: String(error), format: base.format, input: input.toString('hex').slice(0, 400) });
    }
  }
  core.close();
  if (run % 1000 === 0) parentPort.postMessage({ type: 'progress', run });
}
const stats = machine.stats();
parentPort.postMessage({
  type: 'done',
  runs: iterations,
  codes,
  unexpected: unexpected.slice(0, 10),
  guardViolations: stats.guardViolations,
  leakedBytes: stats.bytesInUse - baseline,
  outputBytes,
});
