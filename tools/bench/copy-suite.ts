/**
 * The copy suite: what the copy decision costs. Input lives in machine
 * memory and is not known to be stable (guest RAM), so `auto` copies only
 * for an engine that may read its input twice. For each engine, chunk size
 * and policy, the suite times the whole deflate and reads the time spent
 * copying from the copy counters: the copy's share of deflate time.
 *
 * The modelled column answers the question for real hardware: if the engine
 * compressed at the accelerator's speed while the copy cost what it costs
 * here, what share of the time would the copy take?
 */
import {
  type AccessModel,
  constants,
  type CopyPolicy,
  createDeflateCore,
  type EngineName,
  type Machine,
} from '../../src/index.js';
import { timeInProcess } from './grid-suite.js';
import { spread, type Spread } from './statistics.js';

/**
 * The default accelerator model: IBM's figure of up to 280 GB/s of compression for a fully configured z15
 * (Abali et al., ISCA 2020; IBM z15 announcement), spread over its 20 PU chips (5 CPC drawers of 4), each with
 * one on-chip accelerator: 14 GB/s per accelerator.
 */
export const DEFAULT_ACCELERATOR_GBPS = 14;
export const ACCELERATOR_MODEL_SOURCE =
  'IBM: up to 280 GB/s compression for a fully configured z15 (Abali et al., "Data Compression Accelerator on IBM POWER9 and z15 Processors", ISCA 2020), divided by its 20 PU chips with one accelerator each: 14 GB/s per accelerator';

export interface CopyEngine {
  name: string;
  engine: EngineName;
  model: AccessModel;
}

export const COPY_ENGINES: CopyEngine[] = [
  { name: 'zaccel zlib (wasm)', engine: 'zlib', model: 'single' },
  { name: 'zaccel dfltcc single', engine: 'dfltcc', model: 'single' },
  { name: 'zaccel dfltcc multiple', engine: 'dfltcc', model: 'multiple' },
];

export interface CopyCell {
  engine: string;
  access: AccessModel;
  chunk: number;
  policy: CopyPolicy;
  /** Seconds for the whole deflate, over the repetitions. */
  seconds: Spread;
  /** Seconds spent copying in one deflate (from the copy counters), median. */
  copySeconds: number;
  copies: number;
  copyBytes: number;
  /** copySeconds / seconds. */
  copyShare: number;
  /** The copy's share if compression ran at the modelled accelerator's speed. */
  modelledShare: number;
}

export interface CopyResult {
  corpusBytes: number;
  chunks: number[];
  repetitions: number;
  acceleratorGBps: number;
  acceleratorSource: string;
  /** Bytes per second the copy moved, measured under `always` (median over engines and chunks). */
  copyBytesPerSecond: number;
  cells: CopyCell[];
}

export interface CopySuiteOptions {
  machine: Machine;
  data: Uint8Array;
  chunks: number[];
  repetitions: number;
  seconds: number;
  acceleratorGBps: number;
  engines?: CopyEngine[];
  progress?: (message: string) => void;
}

export async function runCopySuite(options: CopySuiteOptions): Promise<CopyResult> {
  const { machine, data } = options;
  const ram = machine.alloc(data.length, 4096);
  machine.write(ram.address, data);
  const samples = new Map<
    string,
    {
      seconds: number[];
      copySeconds: number[];
      copies: number;
      copyBytes: number;
      engine: CopyEngine;
      chunk: number;
      policy: CopyPolicy;
    }
  >();
  try {
    for (let repetition = 0; repetition < options.repetitions; repetition++) {
      for (const engine of options.engines ?? COPY_ENGINES) {
        for (const chunk of options.chunks) {
          const policies: CopyPolicy[] = ['never', 'always', 'auto'];
          for (const policy of policies.map((_, index) => policies[(index + repetition) % policies.length])) {
            options.progress?.(
              `copy suite: repetition ${repetition + 1}/${options.repetitions}, ${engine.name}, ${chunk} B, ${policy}`,
            );
            let copySeconds = 0;
            let copies = 0;
            let copyBytes = 0;
            const seconds = await timeInProcess(() => {
              const core = createDeflateCore('zlib', {
                machine,
                engine: engine.engine,
                dfltccModel: engine.model,
                level: 1,
                copy: policy,
                chunkSize: Math.max(chunk, 64 * 1024),
              });
              core.ondata = () => {};
              try {
                for (let offset = 0; offset < data.length; offset += chunk) {
                  const length = Math.min(chunk, data.length - offset);
                  core.pushRegion(
                    { address: ram.address + offset, length, stable: false },
                    offset + length === data.length ? constants.Z_FINISH : constants.Z_NO_FLUSH,
                  );
                }
              } finally {
                core.close();
              }
              ({ copies, copyBytes } = core.copies.counters);
              copySeconds = core.copies.counters.copyNanoseconds / 1e9;
            }, options.seconds);
            const key = `${engine.name}|${chunk}|${policy}`;
            const entry = samples.get(key) ?? {
              seconds: [],
              copySeconds: [],
              copies,
              copyBytes,
              engine,
              chunk,
              policy,
            };
            entry.seconds.push(seconds);
            entry.copySeconds.push(copySeconds);
            samples.set(key, entry);
          }
        }
      }
    }
  } finally {
    machine.free(ram);
  }

  const median = (values: number[]) => spread(values).median;
  const copyRates = [...samples.values()]
    .filter((s) => s.policy === 'always' && median(s.copySeconds) > 0)
    .map((s) => s.copyBytes / median(s.copySeconds));
  const copyBytesPerSecond = median(copyRates);
  const acceleratorSeconds = data.length / (options.acceleratorGBps * 1e9);
  const cells: CopyCell[] = [...samples.values()].map((entry) => {
    const seconds = spread(entry.seconds);
    const copySeconds = median(entry.copySeconds);
    // At hardware speed, the compression itself takes acceleratorSeconds; the copy costs what it costs here.
    const modelledCopy = entry.copyBytes / copyBytesPerSecond;
    return {
      engine: entry.engine.name,
      access: entry.engine.model,
      chunk: entry.chunk,
      policy: entry.policy,
      seconds,
      copySeconds,
      copies: entry.copies,
      copyBytes: entry.copyBytes,
      copyShare: copySeconds / seconds.median,
      modelledShare: entry.copyBytes === 0 ? 0 : modelledCopy / (modelledCopy + acceleratorSeconds),
    };
  });
  return {
    corpusBytes: data.length,
    chunks: options.chunks,
    repetitions: options.repetitions,
    acceleratorGBps: options.acceleratorGBps,
    acceleratorSource:
      options.acceleratorGBps === DEFAULT_ACCELERATOR_GBPS ? ACCELERATOR_MODEL_SOURCE : 'given with --accelerator-gbps',
    copyBytesPerSecond,
    cells,
  };
}
