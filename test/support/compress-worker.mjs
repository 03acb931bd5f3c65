// Attaches to a Machine made in the main thread and compresses its own data
// there, many times, while another worker does the same on the same memory.
import { parentPort, workerData } from 'node:worker_threads';
import { Machine, deflateSync, inflateSync } from '../../dist/src/index.js';

const { descriptor, data, rounds, start } = workerData;
const machine = Machine.attach(descriptor);
const gate = new Int32Array(start);
Atomics.add(gate, 0, 1);
while (Atomics.load(gate, 0) < 2) Atomics.wait(gate, 0, Atomics.load(gate, 0), 10);

let output;
let mismatches = 0;
for (let round = 0; round < rounds; round++) {
  const compressed = deflateSync(data, { machine, level: 6 });
  if (output !== undefined && !compressed.equals(output)) mismatches++;
  output = compressed;
  if (!inflateSync(compressed, { machine }).equals(Buffer.from(data))) mismatches++;
}
parentPort.postMessage({ output, mismatches, stats: machine.stats() });
