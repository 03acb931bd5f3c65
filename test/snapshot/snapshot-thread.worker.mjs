// Restores a stream snapshot in a thread of its own, on a Machine of its own, and continues it
// (started by snapshot.test.ts): the snapshot travels as bytes, as it would between processes.
import { parentPort, workerData } from 'node:worker_threads';
import { Machine, restoreStream } from '../../dist/src/index.js';

const { snapshot, rest, flush } = workerData;
const core = restoreStream(new Uint8Array(snapshot), { machine: Machine.create() });
const output = [];
core.ondata = (chunk) => output.push(chunk);
if (core.constructor.name === 'DeflateCore') core.push(new Uint8Array(rest), flush);
else core.push(new Uint8Array(rest), true);
const ended = core.ended;
core.close();
parentPort.postMessage({ type: 'done', output: Buffer.concat(output), ended });
