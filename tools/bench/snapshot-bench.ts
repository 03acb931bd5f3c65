/**
 * How big a stream snapshot is, and how long taking and restoring one takes,
 * per engine and level: the cost of a checkpoint per write in durable
 * streams. Run: node dist/tools/bench/snapshot-bench.js [--megabytes N] [--rounds N]
 *
 * Each configuration compresses N MiB of the mixed corpus with a sync flush,
 * then takes `rounds` snapshots between further 64 KiB writes, and restores
 * each into a second Machine. It prints one JSON object per configuration:
 * the snapshot's size, and the median and p90 time of snapshot() and of
 * restoreStream() + close().
 */
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import {
  constants,
  createDeflateCore,
  createInflateCore,
  deflateSync,
  Machine,
  restoreStream,
  type Level,
} from '../../src/index.js';
import { corpus } from '../corpus/corpus.js';

interface Row {
  mode: 'deflate' | 'inflate';
  engine: 'zlib' | 'dfltcc';
  level: Level | null;
  accelerated: boolean;
  snapshotBytes: number;
  snapshotMs: { median: number; p90: number };
  restoreMs: { median: number; p90: number };
}

const percentile = (values: number[], share: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return Number(sorted[Math.min(sorted.length - 1, Math.floor(share * sorted.length))].toFixed(3));
};

const WRITE = 64 * 1024;

/** A stream core as far as this bench needs it. */
interface Snapshottable {
  snapshot(): Uint8Array;
}

/**
 * `rounds` times: feed the core its next piece, then time snapshot() and restoreStream() + close() into `target`.
 * Returns the size of the last snapshot and the two timings' median and p90.
 */
function timeSnapshots(
  core: Snapshottable,
  target: Machine,
  rounds: number,
  feed: (round: number) => void,
): Pick<Row, 'snapshotBytes' | 'snapshotMs' | 'restoreMs'> {
  const taking: number[] = [];
  const restoring: number[] = [];
  let bytes = 0;
  for (let round = 0; round < rounds; round++) {
    feed(round);
    let started = performance.now();
    const snapshot = core.snapshot();
    taking.push(performance.now() - started);
    bytes = snapshot.length;
    started = performance.now();
    restoreStream(snapshot, { machine: target }).close();
    restoring.push(performance.now() - started);
  }
  return {
    snapshotBytes: bytes,
    snapshotMs: { median: percentile(taking, 0.5), p90: percentile(taking, 0.9) },
    restoreMs: { median: percentile(restoring, 0.5), p90: percentile(restoring, 0.9) },
  };
}

export function runSnapshotBench(megabytes = 1, rounds = 30): Row[] {
  const source = Machine.create();
  const target = Machine.create();
  const data = corpus('mixed', megabytes * 1024 * 1024 + rounds * WRITE, 7);
  const rows: Row[] = [];
  const configurations: Array<{ engine: 'zlib' | 'dfltcc'; level: Level; levelMask?: number }> = [
    { engine: 'zlib', level: 1 },
    { engine: 'zlib', level: 6 },
    { engine: 'zlib', level: 9 },
    { engine: 'dfltcc', level: 1 },
    { engine: 'dfltcc', level: 6 },
    { engine: 'dfltcc', level: 9, levelMask: 0x3fe },
  ];
  const head = megabytes * 1024 * 1024;
  for (const { engine, level, levelMask } of configurations) {
    const core = createDeflateCore('zlib', {
      engine,
      level,
      machine: source,
      dfltcc: levelMask === undefined ? undefined : { levelMask },
    });
    core.push(data.subarray(0, head), constants.Z_SYNC_FLUSH);
    const timings = timeSnapshots(core, target, rounds, (round) =>
      core.push(data.subarray(head + round * WRITE, head + (round + 1) * WRITE), constants.Z_SYNC_FLUSH),
    );
    rows.push({
      mode: 'deflate',
      engine,
      level,
      accelerated: (core.codec as { accelerated?: boolean }).accelerated === true,
      ...timings,
    });
    core.close();
  }
  const compressed = deflateSync(data, { level: 6 });
  for (const engine of ['zlib', 'dfltcc'] as const) {
    const core = createInflateCore('zlib', { engine, machine: source });
    core.ondata = () => {};
    const piece = Math.floor(compressed.length / (rounds + 2));
    const timings = timeSnapshots(core, target, rounds, (round) =>
      core.push(compressed.subarray(round * piece, (round + 1) * piece), false),
    );
    rows.push({ mode: 'inflate', engine, level: null, accelerated: engine === 'dfltcc', ...timings });
    core.close();
  }
  return rows;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { values } = parseArgs({
    options: { megabytes: { type: 'string', default: '1' }, rounds: { type: 'string', default: '30' } },
  });
  for (const row of runSnapshotBench(Number(values.megabytes), Number(values.rounds))) console.log(JSON.stringify(row));
}
