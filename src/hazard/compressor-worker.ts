/**
 * The compressing thread of `zaccel hazard`: runs the scenario again and
 * again on the shared buffer while the writer thread writes the first half.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { createDeflateCore } from '../core/factories.js';
import { GuestMemory, type GuestLayout } from '../machine/guest-memory.js';
import { Machine, type MachineDescriptor } from '../machine/machine.js';
import { compressInPlace, runOnce, scenarioOptions, type HazardOptions } from './scenario.js';
import { WriterControl, WriterState } from './writer-control.js';

interface CompressorData {
  descriptor: MachineDescriptor;
  layout: GuestLayout;
  control: SharedArrayBuffer;
  options: HazardOptions;
}

const data = workerData as CompressorData;
const machine = Machine.attach(data.descriptor);
const guest = new GuestMemory(machine, data.layout);
const control = new WriterControl(data.control);
const base = data.layout.ramAddress;
const core = createDeflateCore('raw', { machine, ...scenarioOptions(data.options) });
const deadline = data.options.seconds === undefined ? Infinity : Date.now() + data.options.seconds * 1000;
const limit = data.options.iterations ?? Infinity;
const started = process.hrtime.bigint();
let runs = 0;
let corruptRuns = 0;
let firstCorruptRun: number | null = null;
while (runs < limit && Date.now() < deadline && !(data.options.stopAtFirstCorruption && corruptRuns > 0)) {
  const right = runOnce(core, guest, base, data.options.pattern, {
    startWriting: () => control.transition(WriterState.RUNNING),
    stopWriting: () => control.transition(WriterState.PAUSED),
    compressFirstHalf: (stream) => compressInPlace(stream, base),
  });
  runs++;
  if (!right) {
    corruptRuns++;
    firstCorruptRun ??= runs;
  }
  if (runs % 50 === 0) parentPort!.postMessage({ type: 'progress', runs, corruptRuns });
}
const counters = core.copies.counters;
core.close();
parentPort!.postMessage({
  type: 'done',
  runs,
  corruptRuns,
  firstCorruptRun,
  copies: counters.copies,
  copyBytes: counters.copyBytes,
  copyNanoseconds: counters.copyNanoseconds,
  seconds: Number(process.hrtime.bigint() - started) / 1e9,
});
