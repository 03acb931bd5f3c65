/**
 * The compressing thread of `zaccel hazard`: runs the scenario again and
 * again on the shared buffer while the writer thread writes the first half.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { createDeflateCore, Machine, type MachineDescriptor } from '../../src/index.js';
import { type DfltccDeflateCodec, type GuestLayout, GuestMemory } from '../../src/internal.js';
import { compressInPlace, runOnce, runSeries, scenarioOptions, type HazardOptions } from './scenario.js';
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
// Rendezvous: the writer thread writes inside the accelerator's window, while the first half is compressed.
let writing = false;
if (data.options.rendezvous && data.options.engine === 'dfltcc') {
  (core.codec as DfltccDeflateCodec).hazardHook = (_parameterBlock, address, length) => {
    if (writing) control.requestWrite(address, length);
  };
}
const tally = runSeries(
  core,
  data.options,
  () =>
    runOnce(core, guest, base, data.options.pattern, {
      startWriting: () => {
        control.transition(WriterState.RUNNING);
        writing = true;
      },
      stopWriting: () => {
        writing = false;
        control.transition(WriterState.PAUSED);
      },
      compressFirstHalf: (stream) => compressInPlace(stream, base),
    }),
  (runs, corruptRuns) => parentPort!.postMessage({ type: 'progress', runs, corruptRuns }),
);
core.close();
parentPort!.postMessage({ type: 'done', ...tally });
