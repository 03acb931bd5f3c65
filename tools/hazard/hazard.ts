/**
 * `zaccel hazard`: zlib-ng's concurrency test, with real threads or
 * deterministically, on either engine and any copy policy.
 */
import { Worker } from 'node:worker_threads';
import { constants, createDeflateCore, Machine } from '../../src/index.js';
import { corpus } from '../corpus/corpus.js';
import { badOption, type DfltccDeflateCodec, GuestMemory } from '../../src/internal.js';
import { workerUrl } from '../worker-url.js';
import {
  HALF,
  HAZARD_BUFFER_BYTES,
  runOnce,
  runSeries,
  scenarioOptions,
  type HazardOptions,
  type HazardResult,
  type RunTally,
} from './scenario.js';
import { WriterControl } from './writer-control.js';

/** Bytes per call while the zlib engine's first half is written between calls (deterministic mode). */
const DETERMINISTIC_ZLIB_PIECE = 256;

function prepare(options: HazardOptions) {
  if (options.iterations === undefined && options.seconds === undefined)
    throw badOption('iterations', undefined, 'iterations or seconds');
  const machine = Machine.create({ initialBytes: 8 << 20, maximumBytes: 64 << 20 });
  const { guest } = GuestMemory.create(machine, HAZARD_BUFFER_BYTES, HAZARD_BUFFER_BYTES);
  const base = guest.pageAddress(0);
  // zlib-ng's buffer starts zeroed; the snapshot pattern starts from text, whose matches reach far back.
  if (options.pattern === 'snapshot') guest.writePage(0, corpus('text', HAZARD_BUFFER_BYTES, 7));
  return { machine, guest, base };
}

function result(
  options: HazardOptions,
  mode: HazardResult['mode'],
  fields: Omit<HazardResult, 'engine' | 'model' | 'copy' | 'mode' | 'pattern' | 'detectionRate'>,
): HazardResult {
  return {
    engine: options.engine,
    model: options.engine === 'dfltcc' ? options.model : null,
    copy: options.copy,
    mode,
    pattern: options.pattern,
    ...fields,
    detectionRate: fields.runs === 0 ? 0 : fields.corruptRuns / fields.runs,
  };
}

/**
 * Deterministic: the write happens at a chosen point instead of in a race.
 * dfltcc: inside the emulator's hazard hook, between its encode read and its
 * history read. zlib: between the calls that consume the first half, which
 * is fed in small pieces into a small output window.
 */
export function runDeterministic(options: HazardOptions): HazardResult {
  const { machine, guest, base } = prepare(options);
  const sweepLength = options.pattern === 'sweep' ? HAZARD_BUFFER_BYTES : HALF;
  const core = createDeflateCore('raw', { machine, ...scenarioOptions(options), chunkSize: 64 });
  let writing = false;
  let mutations = 0;
  const write = () => {
    if (!writing) return;
    guest.increment(base, sweepLength);
    mutations++;
  };
  if (options.engine === 'dfltcc') (core.codec as DfltccDeflateCodec).hazardHook = write;
  try {
    const tally = runSeries(core, options, () =>
      runOnce(core, guest, base, options.pattern, {
        startWriting: () => (writing = true),
        stopWriting: () => (writing = false),
        compressFirstHalf: (stream) => {
          if (options.engine === 'dfltcc') {
            stream.pushRegion({ address: base, length: HALF, stable: false }, constants.Z_NO_FLUSH);
            return;
          }
          for (let offset = 0; offset < HALF; offset += DETERMINISTIC_ZLIB_PIECE) {
            stream.pushRegion(
              { address: base + offset, length: DETERMINISTIC_ZLIB_PIECE, stable: false },
              constants.Z_NO_FLUSH,
            );
            write();
          }
        },
      }),
    );
    return result(options, 'deterministic', { ...tally, mutations });
  } finally {
    core.close();
  }
}

/**
 * Real threads: a writer worker races a compressor worker on the same shared memory; with `rendezvous`, the
 * writer writes inside the accelerator's window each time the compressor's hazard hook asks.
 */
export async function runThreaded(
  options: HazardOptions,
  progress?: (runs: number, corruptRuns: number) => void,
): Promise<HazardResult> {
  const { machine, guest, base } = prepare(options);
  const control = new WriterControl();
  const shared = { descriptor: machine.descriptor, layout: guest.layout, control: control.buffer };
  const mutator = new Worker(workerUrl('hazard/mutator-worker'), {
    workerData: {
      ...shared,
      address: base,
      length: options.pattern === 'sweep' ? HAZARD_BUFFER_BYTES : HALF,
      rendezvous: options.rendezvous === true,
    },
  });
  const compressor = new Worker(workerUrl('hazard/compressor-worker'), { workerData: { ...shared, options } });
  try {
    const done = await new Promise<RunTally>((resolve, reject) => {
      compressor.on('message', (message: { type: string; runs: number; corruptRuns: number }) => {
        if (message.type === 'progress') progress?.(message.runs, message.corruptRuns);
        else resolve(message as never);
      });
      compressor.once('error', reject);
      mutator.once('error', reject);
      compressor.once('exit', (code) => code !== 0 && reject(new Error(`compressor worker exited with ${code}`)));
    });
    return result(options, 'threads', { ...done, mutations: control.sweeps });
  } finally {
    control.stop();
    await Promise.all([mutator.terminate(), compressor.terminate()]);
  }
}

export function runHazard(
  options: HazardOptions,
  progress?: (runs: number, corruptRuns: number) => void,
): Promise<HazardResult> {
  return options.deterministic ? Promise.resolve(runDeterministic(options)) : runThreaded(options, progress);
}
