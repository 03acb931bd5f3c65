// Property worker for stream snapshots (started by snapshot.test.ts through test/support/run-worker.ts).
// Plain JavaScript over dist/, so it runs in a worker thread without a TypeScript loader, and its heavy
// synchronous loop never blocks vitest's own worker. It posts a progress message after every case (the
// watchdog fails the test when they stop) and one 'done' message with the counts, or the first
// counterexample.
//
// Deflate property: a random call sequence (writes of random sizes with random flushes, params() changes,
// a dictionary, every format, levels 1/6/9, both engines, the dfltcc engine's model, CPU amount, level
// mask and DFLTCC=0) runs uninterrupted on machine A; the same sequence runs again on machine A up to a random point,
// is snapshot, closed, restored on machine B and continued there. The output must be byte-identical, and
// decode (node:zlib) to the input. Inflate property: the same for an inflate stream fed random splits.
// After every case both machines must hold exactly the regions they held before it (no leak).
import { parentPort, workerData } from 'node:worker_threads';
import * as nodeZlib from 'node:zlib';
import fc from 'fast-check';
import { Machine, constants, createDeflateCore, createInflateCore, restoreStream } from '../../dist/src/index.js';

const { timeLimitMs, seed } = workerData;
const machineA = Machine.create();
const machineB = Machine.create({ partitionBytes: 8 * 1024 * 1024 }); // other addresses for the same stream

/** Deterministic test data: runs of text, repeats at random distances, and noise. */
function makeData(dataSeed, length) {
  let state = dataSeed >>> 0 || 1;
  const next = () => {
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    return state;
  };
  const words = ['page ', 'dirty ', 'migration ', 'accelerator ', 'history ', '\n', 'zlib ', '0123456789'];
  const out = Buffer.alloc(length);
  let at = 0;
  while (at < length) {
    const kind = next() % 3;
    if (kind === 0) {
      const word = words[next() % words.length];
      at += out.write(word, at, Math.min(word.length, length - at), 'latin1');
    } else if (kind === 1 && at > 16) {
      const distance = 1 + (next() % Math.min(at, 40000));
      const count = Math.min(3 + (next() % 200), length - at);
      for (let i = 0; i < count; i++, at++) out[at] = out[at - distance];
    } else {
      const count = Math.min(1 + (next() % 64), length - at);
      for (let i = 0; i < count; i++, at++) out[at] = next() & 0xff;
    }
  }
  return out;
}

const regionsOf = (machine) => machine.stats().liveRegions;

// The engines' per-thread instances (zlib's stack, each DFLTCC configuration's scratch) are made on first use
// and kept: make them all now, so a case that holds more regions afterwards has leaked them.
for (const machine of [machineA, machineB]) {
  for (const dfltccModel of ['single', 'multiple']) {
    for (const cpuAmount of [0, 1, 700, 4096]) {
      createDeflateCore('zlib', { engine: 'dfltcc', dfltccModel, cpuAmount, machine }).close();
      createInflateCore('zlib', { engine: 'dfltcc', dfltccModel, cpuAmount, machine }).close();
    }
  }
}

function decodeWith(format, bytes, dictionary) {
  const options = dictionary === undefined ? {} : { dictionary };
  if (format === 'gzip') return nodeZlib.gunzipSync(bytes);
  if (format === 'raw') return nodeZlib.inflateRawSync(bytes, options);
  return nodeZlib.inflateSync(bytes, options);
}

const streamOptions = fc.record({
  engine: fc.constantFrom('zlib', 'dfltcc'),
  format: fc.constantFrom('raw', 'zlib', 'gzip'),
  level: fc.constantFrom(1, 6, 9),
  strategy: fc.constantFrom(0, 0, 0, 0, 0, 1, 3, 4),
  windowBits: fc.constantFrom(15, 15, 15, 15, 15, 9, 12),
  memLevel: fc.constantFrom(8, 8, 1, 9),
  chunkSize: fc.constantFrom(64, 1000, 16384, 65536),
  dictionary: fc.option(fc.integer({ min: 1, max: 40000 }), { nil: undefined }),
  dfltccModel: fc.constantFrom('single', 'multiple'),
  cpuAmount: fc.constantFrom(0, 0, 1, 700, 4096),
  levelMask: fc.constantFrom(0x2, 0x2, 0x3fe),
  // DFLTCC=0: the dfltcc engine has no parameter block and runs software zlib only.
  accelerator: fc.constantFrom(true, true, true, false),
});

const operation = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constant('write'),
      size: fc.integer({ min: 0, max: 40000 }),
      flush: fc.constantFrom(0, 0, 0, 1, 2, 3, 5),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('params'),
      level: fc.constantFrom(1, 6, 9),
      strategy: fc.constantFrom(0, 0, 1, 4),
    }),
  },
);

function coreOptions(options, machine, dictionary) {
  return {
    engine: options.engine,
    level: options.level,
    strategy: options.strategy,
    windowBits: options.windowBits,
    memLevel: options.memLevel,
    chunkSize: options.chunkSize,
    dictionary: options.format === 'gzip' ? undefined : dictionary,
    dfltccModel: options.dfltccModel,
    cpuAmount: options.cpuAmount,
    dfltcc: { levelMask: options.levelMask, enabled: options.accelerator ?? true },
    machine,
  };
}

/** Run operations [from, to) on a core; returns the input it took. */
function runOperations(core, operations, data, from, to, cursor) {
  for (let index = from; index < to; index++) {
    const step = operations[index];
    if (step.kind === 'params') {
      core.params(step.level, step.strategy);
    } else if (step.kind === 'finish') {
      core.push(Buffer.alloc(0), constants.Z_FINISH);
    } else {
      core.push(data.subarray(cursor.at, cursor.at + step.size), step.flush);
      cursor.at += step.size;
    }
  }
}

const counts = { deflate: 0, inflate: 0, snapshotBytes: 0, accelerated: 0, software: 0 };
let lastProgress = 0;
function progress() {
  const now = Date.now();
  if (now - lastProgress > 200) {
    lastProgress = now;
    parentPort.postMessage({ type: 'progress', counts });
  }
}

function deflateCase(options, middle, cut, dataSeed) {
  const operations = [...middle, { kind: 'finish' }];
  const total = operations.reduce((sum, step) => sum + (step.kind === 'write' ? step.size : 0), 0);
  const data = makeData(dataSeed, total);
  const dictionary = options.dictionary === undefined ? undefined : makeData(dataSeed ^ 0x5555, options.dictionary);
  const snapshotAt = cut % (operations.length + 1); // after the finish too
  const before = [regionsOf(machineA), regionsOf(machineB)];

  const reference = createDeflateCore(options.format, coreOptions(options, machineA, dictionary));
  const expected = [];
  reference.ondata = (chunk) => expected.push(chunk);
  runOperations(reference, operations, data, 0, operations.length, { at: 0 });
  reference.close();

  const first = createDeflateCore(options.format, coreOptions(options, machineA, dictionary));
  const actual = [];
  first.ondata = (chunk) => actual.push(chunk);
  const cursor = { at: 0 };
  runOperations(first, operations, data, 0, snapshotAt, cursor);
  if (first.codec.accelerated === true) counts.accelerated++;
  else counts.software++;
  const snapshot = first.snapshot();
  counts.snapshotBytes += snapshot.length;
  first.close();
  const restored = restoreStream(snapshot, { machine: machineB });
  restored.ondata = (chunk) => actual.push(chunk);
  runOperations(restored, operations, data, snapshotAt, operations.length, cursor);
  const ended = restored.ended;
  restored.close();

  const expectedBytes = Buffer.concat(expected);
  const actualBytes = Buffer.concat(actual);
  if (!actualBytes.equals(expectedBytes)) {
    throw new Error(
      `restored output differs (${actualBytes.length} vs ${expectedBytes.length} bytes, snapshot after ${snapshotAt} operations)`,
    );
  }
  if (!ended) throw new Error('the restored stream did not end');
  if (!decodeWith(options.format, expectedBytes, options.format === 'gzip' ? undefined : dictionary).equals(data)) {
    throw new Error('the output does not decode to the input');
  }
  const after = [regionsOf(machineA), regionsOf(machineB)];
  if (after[0] !== before[0] || after[1] !== before[1])
    throw new Error(`machine regions leaked: ${before} -> ${after}`);
  counts.deflate++;
  progress();
}

const deflateProperty = fc.property(
  streamOptions,
  fc.array(operation, { minLength: 1, maxLength: 10 }),
  fc.nat(),
  fc.integer({ min: 1, max: 2 ** 31 - 1 }),
  deflateCase,
);

function inflateCase(
  engine,
  format,
  detect,
  splits,
  cut,
  dataSeed,
  withDictionary,
  cpuAmount,
  chunkSize,
  accelerator = true,
) {
  const data = makeData(
    dataSeed,
    splits.reduce((sum, size) => sum + size, 0),
  );
  const dictionary = withDictionary && format !== 'gzip' ? makeData(dataSeed ^ 0x3333, 3000) : undefined;
  const level = 1 + (dataSeed % 9);
  const options = dictionary === undefined ? { level } : { level, dictionary };
  // Two gzip members, to carry the between-members state through a snapshot too.
  const compressed =
    format === 'gzip'
      ? Buffer.concat([
          nodeZlib.gzipSync(data.subarray(0, data.length >> 1), options),
          nodeZlib.gzipSync(data.subarray(data.length >> 1), options),
        ])
      : format === 'raw'
        ? nodeZlib.deflateRawSync(data, options)
        : nodeZlib.deflateSync(data, options);
  const inflateFormat = detect === 'auto' && format !== 'raw' ? 'auto' : format;
  const pieces = [];
  let at = 0;
  for (let index = 0; at < compressed.length; index++) {
    const size = Math.max(
      1,
      Math.floor((splits[index % splits.length] * compressed.length) / Math.max(1, data.length)),
    );
    pieces.push(compressed.subarray(at, at + size));
    at += size;
  }
  const snapshotAt = cut % (pieces.length + 1);
  const before = [regionsOf(machineA), regionsOf(machineB)];
  const make = () =>
    createInflateCore(inflateFormat, {
      engine,
      dictionary,
      cpuAmount,
      chunkSize,
      dfltcc: { enabled: accelerator },
      machine: machineA,
    });

  const output = [];
  let core = make();
  core.ondata = (chunk) => output.push(chunk);
  for (let index = 0; index < pieces.length; index++) {
    if (index === snapshotAt) {
      const snapshot = core.snapshot();
      counts.snapshotBytes += snapshot.length;
      core.close();
      core = restoreStream(snapshot, { machine: machineB });
      core.ondata = (chunk) => output.push(chunk);
    }
    core.push(pieces[index], index === pieces.length - 1);
  }
  if (snapshotAt === pieces.length) {
    const snapshot = core.snapshot();
    core.close();
    core = restoreStream(snapshot, { machine: machineB });
    if (!core.ended) throw new Error('the restored stream forgot it had ended');
  }
  core.close();
  const result = Buffer.concat(output);
  if (!result.equals(data))
    throw new Error(`restored inflate output differs (${result.length} vs ${data.length} bytes)`);
  const after = [regionsOf(machineA), regionsOf(machineB)];
  if (after[0] !== before[0] || after[1] !== before[1])
    throw new Error(`machine regions leaked: ${before} -> ${after}`);
  counts.inflate++;
  progress();
}

const inflateProperty = fc.property(
  fc.constantFrom('zlib', 'dfltcc'),
  fc.constantFrom('raw', 'zlib', 'gzip'),
  fc.constantFrom('direct', 'auto'),
  fc.array(fc.integer({ min: 1, max: 30000 }), { minLength: 1, maxLength: 12 }),
  fc.nat(),
  fc.integer({ min: 1, max: 2 ** 31 - 1 }),
  fc.boolean(),
  fc.constantFrom(0, 1, 700, 4096),
  fc.constantFrom(64, 1000, 16384),
  fc.constantFrom(true, true, true, false),
  inflateCase,
);

// Cases that run first, whatever the time: the accelerator snapshot mid-block, with a CPU amount, across a
// params() switch to software and back, and the software fallback with a dictionary.
const accelerated = {
  engine: 'dfltcc',
  level: 1,
  strategy: 0,
  windowBits: 15,
  memLevel: 8,
  dictionary: undefined,
  levelMask: 0x2,
};
const deflateExamples = [
  [
    { ...accelerated, format: 'gzip', chunkSize: 1000, dfltccModel: 'multiple', cpuAmount: 700 },
    [
      { kind: 'write', size: 30000, flush: 0 },
      { kind: 'write', size: 9000, flush: 2 },
    ],
    1,
    11,
  ],
  [
    { ...accelerated, format: 'zlib', chunkSize: 64, dfltccModel: 'single', cpuAmount: 0 },
    [
      { kind: 'write', size: 20000, flush: 0 },
      { kind: 'params', level: 6, strategy: 0 },
      { kind: 'write', size: 5000, flush: 3 },
      { kind: 'params', level: 1, strategy: 0 },
      { kind: 'write', size: 7000, flush: 1 },
    ],
    3,
    12,
  ],
  [
    { ...accelerated, format: 'raw', chunkSize: 16384, dfltccModel: 'multiple', cpuAmount: 1, dictionary: 5000 },
    [
      { kind: 'write', size: 3000, flush: 5 },
      { kind: 'write', size: 3000, flush: 0 },
    ],
    1,
    13,
  ],
  [
    {
      ...accelerated,
      level: 9,
      format: 'zlib',
      chunkSize: 65536,
      dfltccModel: 'multiple',
      cpuAmount: 4096,
      dictionary: 300,
    },
    [{ kind: 'write', size: 40000, flush: 2 }],
    1,
    14,
  ],
  [
    { ...accelerated, format: 'gzip', chunkSize: 1000, dfltccModel: 'multiple', cpuAmount: 0, accelerator: false },
    [{ kind: 'write', size: 9000, flush: 2 }],
    1,
    15,
  ],
];
const inflateExamples = [
  ['dfltcc', 'gzip', 'auto', [3000, 5000], 1, 21, false, 700, 64],
  ['dfltcc', 'zlib', 'direct', [100, 9000], 2, 22, true, 0, 1000],
  ['zlib', 'raw', 'direct', [20000], 1, 23, true, 0, 16384],
  ['zlib', 'gzip', 'auto', [10, 20, 30000], 3, 24, false, 0, 64],
  ['dfltcc', 'gzip', 'direct', [4000, 4000], 1, 25, false, 0, 1000, false],
  ['dfltcc', 'raw', 'direct', [3000, 100], 1, 26, true, 0, 1000, false],
];

let example = '';
try {
  for (const [index, values] of deflateExamples.entries()) {
    example = `deflate example ${index}`;
    deflateCase(...values);
  }
  for (const [index, values] of inflateExamples.entries()) {
    example = `inflate example ${index}`;
    inflateCase(...values);
  }
  example = '';
  const half = Math.floor(timeLimitMs / 2);
  const settings = (offset) => ({
    seed: seed + offset,
    numRuns: 1_000_000,
    interruptAfterTimeLimit: half,
    markInterruptAsFailure: false,
  });
  fc.assert(deflateProperty, settings(0));
  fc.assert(inflateProperty, settings(1));
  parentPort.postMessage({ type: 'done', counts });
} catch (error) {
  parentPort.postMessage({
    type: 'done',
    counts,
    failure: `${example} ${String(error?.message ?? error).slice(0, 3000)}\ncause: ${String(error?.cause?.stack ?? error?.cause ?? '').slice(0, 2000)}`,
  });
}
