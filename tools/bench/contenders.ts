/**
 * The benchmark's contenders, each able to deflate a corpus in chunks of a
 * given size and inflate it back with an output window of that size:
 *
 * - zaccel's zlib engine and dfltcc engine (both emulator models), through
 *   the stream core, `chunk` input bytes per push;
 * - native zlib built with gcc from the same source, timing itself in C;
 * - node:zlib (Chromium's zlib fork, native), the sync API with `chunkSize`;
 * - pako and fflate, the pure-JavaScript anchors, through their streaming
 *   classes, `chunk` bytes per push.
 */
import * as nodeZlib from 'node:zlib';
import * as fflate from 'fflate';
import pako from 'pako';
import {
  type AccessModel,
  constants,
  createDeflateCore,
  createInflateCore,
  type EngineName,
  type Level,
  type Machine,
} from '../../src/index.js';
import { nativeReferenceAvailable } from './native-reference.js';
import { ALL_CONTENDERS, type ContenderName } from './contender-names.js';

export { ALL_CONTENDERS, type ContenderName } from './contender-names.js';

export interface Contender {
  name: ContenderName;
  /** Runs as a native process (timed in C) rather than in this process. */
  native: boolean;
  /** Levels it runs at: the emulated accelerator only at the levels in its mask (default: 1). */
  levels: (level: Level) => boolean;
  /** Compress all of `data`, `chunk` bytes per call; returns the compressed stream. */
  deflate(data: Uint8Array, level: Level, chunk: number): Uint8Array;
  /** Inflate a zlib stream with a `chunk`-byte output window; returns the uncompressed length. */
  inflate(compressed: Uint8Array, chunk: number): number;
}

function zaccelContender(
  name: ContenderName,
  engine: EngineName,
  machine: Machine,
  model: AccessModel = 'multiple',
): Contender {
  const options = { machine, engine, dfltccModel: model };
  return {
    name,
    native: false,
    levels: (level) => engine === 'zlib' || level === 1,
    deflate(data, level, chunk) {
      const core = createDeflateCore('zlib', { ...options, level, chunkSize: Math.max(chunk, 64) });
      const pieces: Buffer[] = [];
      core.ondata = (piece) => pieces.push(piece);
      try {
        if (data.length === 0) core.push(data, constants.Z_FINISH);
        for (let offset = 0; offset < data.length; offset += chunk) {
          const end = Math.min(data.length, offset + chunk);
          core.push(data.subarray(offset, end), end === data.length ? constants.Z_FINISH : constants.Z_NO_FLUSH);
        }
      } finally {
        core.close();
      }
      return Buffer.concat(pieces);
    },
    inflate(compressed, chunk) {
      const core = createInflateCore('zlib', { ...options, chunkSize: Math.max(chunk, 64) });
      let produced = 0;
      core.ondata = (piece) => (produced += piece.length);
      try {
        core.push(compressed, true);
      } finally {
        core.close();
      }
      return produced;
    },
  };
}

const nodeContender: Contender = {
  name: 'node:zlib',
  native: false,
  levels: () => true,
  deflate: (data, level, chunk) => nodeZlib.deflateSync(data, { level, chunkSize: Math.max(chunk, 64) }),
  inflate: (compressed, chunk) => nodeZlib.inflateSync(compressed, { chunkSize: Math.max(chunk, 64) }).length,
};

const pakoContender: Contender = {
  name: 'pako',
  native: false,
  levels: () => true,
  deflate(data, level, chunk) {
    const deflater = new pako.Deflate({
      level: level as pako.DeflateFunctionOptions['level'],
      chunkSize: Math.max(chunk, 64),
    });
    if (data.length === 0) deflater.push(data, true);
    for (let offset = 0; offset < data.length; offset += chunk) {
      const end = Math.min(data.length, offset + chunk);
      deflater.push(data.subarray(offset, end), end === data.length);
    }
    if (deflater.err) throw new Error(`pako: ${deflater.msg}`);
    return deflater.result;
  },
  inflate(compressed, chunk) {
    const inflater = new pako.Inflate({ chunkSize: Math.max(chunk, 64) });
    let produced = 0;
    inflater.onData = (piece: Uint8Array) => (produced += piece.length);
    inflater.push(compressed, true);
    if (inflater.err) throw new Error(`pako: ${inflater.msg}`);
    return produced;
  },
};

const fflateContender: Contender = {
  name: 'fflate',
  native: false,
  levels: () => true,
  deflate(data, level, chunk) {
    const pieces: Uint8Array[] = [];
    const deflater = new fflate.Zlib({ level: level as fflate.DeflateOptions['level'] }, (piece) => pieces.push(piece));
    if (data.length === 0) deflater.push(data, true);
    for (let offset = 0; offset < data.length; offset += chunk) {
      const end = Math.min(data.length, offset + chunk);
      deflater.push(data.subarray(offset, end), end === data.length);
    }
    return Buffer.concat(pieces);
  },
  inflate(compressed, chunk) {
    // fflate sizes its own output; feed it in chunk-sized pieces instead.
    let produced = 0;
    const inflater = new fflate.Unzlib((piece) => (produced += piece.length));
    for (let offset = 0; offset < compressed.length; offset += chunk) {
      const end = Math.min(compressed.length, offset + chunk);
      inflater.push(compressed.subarray(offset, end), end === compressed.length);
    }
    return produced;
  },
};

/** The native reference runs in its own process; these methods are never called for it. */
const nativeContender: Contender = {
  name: 'native zlib (gcc)',
  native: true,
  levels: () => true,
  deflate: () => {
    throw new Error('the native reference is timed by zref');
  },
  inflate: () => {
    throw new Error('the native reference is timed by zref');
  },
};

export function contenders(machine: Machine, names: ContenderName[] = ALL_CONTENDERS): Contender[] {
  const all: Record<ContenderName, () => Contender> = {
    'zaccel zlib (wasm)': () => zaccelContender('zaccel zlib (wasm)', 'zlib', machine),
    'zaccel dfltcc single': () => zaccelContender('zaccel dfltcc single', 'dfltcc', machine, 'single'),
    'zaccel dfltcc multiple': () => zaccelContender('zaccel dfltcc multiple', 'dfltcc', machine, 'multiple'),
    'native zlib (gcc)': () => nativeContender,
    'node:zlib': () => nodeContender,
    pako: () => pakoContender,
    fflate: () => fflateContender,
  };
  return names.filter((name) => name !== 'native zlib (gcc)' || nativeReferenceAvailable()).map((name) => all[name]());
}
