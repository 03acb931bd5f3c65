/**
 * IBM-style C-call traces: sequences of deflate calls (writes, flushes, deflateParams, output sizes,
 * cpuAmount) as a C program would issue them against zlib with IBM's DFLTCC patch (madler/zlib#410,
 * contrib/s390/dfltcc.c; zlib-ng arch/s390/dfltcc_deflate.c), each with the output IBM's driver makes of
 * it on the same instruction. The expected block structure is derived step by step from IBM's code in
 * the comment of each case; asm/README.md ("The engine and IBM's driver") lists what still differs.
 */
import * as nodeZlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { corpus } from '../../tools/corpus/corpus.js';
import {
  constants,
  createDeflateCore,
  deflateSync,
  type DeflateOptions,
  type FlushMode,
  type Level,
  type Strategy,
} from '../../src/index.js';
import { inspectDeflate } from '../asm/inflate-inspect.js';

type Call = { write: Uint8Array; flush?: FlushMode } | { params: [Level, Strategy] };

/** Run a trace through the dfltcc engine's stream core; returns the zlib stream. */
function trace(options: DeflateOptions, calls: Call[]): Buffer {
  const core = createDeflateCore('zlib', { engine: 'dfltcc', level: 1, ...options });
  const chunks: Buffer[] = [];
  core.ondata = (chunk) => chunks.push(chunk);
  try {
    for (const call of calls) {
      if ('params' in call) core.params(...call.params);
      else core.push(call.write, call.flush ?? constants.Z_NO_FLUSH);
    }
  } finally {
    core.close();
  }
  return Buffer.concat(chunks);
}

/** Blocks of a zlib stream as [final, type, bytes it holds]. */
function blocksOf(stream: Uint8Array): Array<[boolean, number, number]> {
  const inspection = inspectDeflate(stream.subarray(2, stream.length - 4));
  expect(Buffer.from(inspection.output).equals(nodeZlib.inflateSync(stream))).toBe(true);
  return inspection.blocks.map((block) => [block.final, block.type, block.literals + block.matchBytes]);
}

const FIXED = 1;
const DYNAMIC = 2;
const STORED = 0;
const text = (length: number, seed = 3) => Buffer.from(corpus('text', length, seed));
const finish: Call = { write: new Uint8Array(0), flush: constants.Z_FINISH };

describe('deflateParams, as zlib with the DFLTCC hook runs it', () => {
  it("params to a software level before any input: no flush at all, the stream is software zlib's", () => {
    // last_flush == -2 (deflate() never called): deflateParams flushes nothing; DFLTCC was never used.
    const data = text(5000);
    const stream = trace({}, [
      { params: [6, constants.Z_DEFAULT_STRATEGY] },
      { write: data, flush: constants.Z_FINISH },
    ]);
    expect(stream.equals(deflateSync(data, { engine: 'zlib', level: 6 }))).toBe(true);
  });

  it('params to software after a write that reached DFLTCC: Z_FULL_FLUSH (EOB, then an empty stored block)', () => {
    // dfltcc_was_deflate_used (total_in > 0): hook_flush = Z_FULL_FLUSH; deflate(Z_FULL_FLUSH) with no input closes
    // the open fixed block with send_eobs, then deflate() writes the empty stored block and HL = 0.
    const stream = trace({}, [
      { write: text(3000) },
      { params: [6, constants.Z_DEFAULT_STRATEGY] },
      { write: text(3000, 4) },
      finish,
    ]);
    const blocks = blocksOf(stream);
    expect(blocks.slice(0, 2)).toEqual([
      [false, FIXED, 3000],
      [false, STORED, 0],
    ]);
    expect(blocks.slice(2).reduce((sum, [, , bytes]) => sum + bytes, 0)).toBe(3000);
  });

  it('params to Z_FIXED that stays on the accelerator: deflate(Z_BLOCK) closes the dynamic block, the next one is fixed', () => {
    // can == could: no hook flush; the strategy changed and deflate() was called: deflate(Z_BLOCK) sends EOBS
    // (no stored block for Z_BLOCK); the next write opens a block with HTT fixed because strategy == Z_FIXED.
    const stream = trace({ dfltcc: { firstFhtBlockSize: 0 } }, [
      { write: text(6000) },
      { params: [1, constants.Z_FIXED] },
      { write: text(6000, 5) },
      finish,
    ]);
    expect(blocksOf(stream)).toEqual([
      [false, DYNAMIC, 6000],
      [false, FIXED, 6000],
      [true, FIXED, 0],
    ]);
  });

  it('params to another accelerated level with the same compress function: nothing is flushed, the block continues', () => {
    // Levels 1 and 2 both use deflate_fast and both are in the mask: no Z_BLOCK, one block.
    const stream = trace({ dfltcc: { levelMask: 0x6 } }, [
      { write: text(2000) },
      { params: [2, constants.Z_DEFAULT_STRATEGY] },
      { write: text(2000, 6) },
      finish,
    ]);
    expect(blocksOf(stream)).toEqual([
      [false, FIXED, 4000],
      [true, FIXED, 0],
    ]);
  });

  it('params between accelerated levels of different compress functions: Z_BLOCK, and the next block is dynamic', () => {
    // Level 1 (deflate_fast) to 4 (deflate_slow), both in mask 0x12: deflate(Z_BLOCK) closes the first block;
    // total_in > 0 now, so the next block gets a GDHT table.
    const stream = trace({ dfltcc: { levelMask: 0x12 } }, [
      { write: text(5000) },
      { params: [4, constants.Z_DEFAULT_STRATEGY] },
      { write: text(5000, 7) },
      finish,
    ]);
    expect(blocksOf(stream)).toEqual([
      [false, FIXED, 5000],
      [false, DYNAMIC, 5000],
      [true, FIXED, 0],
    ]);
  });
});

describe('the deflate() loop', () => {
  it('a 200 KiB write is one deflate call: with a 1 MiB output buffer the first (fixed) block holds all of it', () => {
    // One dfltcc_deflate pass: avail_in <= DFLTCC_BLOCK_SIZE, nothing masked, the first block is fixed
    // (total_in == 0, block_threshold > 0) and CMPR consumes everything. Staged 64 KiB pieces would have
    // switched to a dynamic block after the first piece.
    const stream = trace({ chunkSize: 1 << 20 }, [{ write: text(200 * 1024) }, finish]);
    expect(blocksOf(stream)).toEqual([
      [false, FIXED, 200 * 1024],
      [true, FIXED, 0],
    ]);
  });

  it("with a 16 KiB output buffer the block switches where the first deflate call filled it, as IBM's does", () => {
    // CC1 ends the first deflate() call (need_more, avail_out == 0). The caller's next deflate() call is a new
    // pass: total_in > block_threshold and avail_in >= DFLTCC_DHT_MIN_SAMPLE_SIZE, so EOBS and a dynamic block.
    const core = createDeflateCore('zlib', { engine: 'dfltcc', level: 1, chunkSize: 16384 });
    const firstCall = { consumed: 0 };
    try {
      const input = core.machine.alloc(200 * 1024);
      const output = core.machine.alloc(16384);
      core.machine.write(input.address, text(200 * 1024));
      firstCall.consumed = core.codec.deflate(
        input.address,
        200 * 1024,
        output.address,
        16384,
        constants.Z_NO_FLUSH,
      ).consumed;
      core.machine.free(input);
      core.machine.free(output);
    } finally {
      core.close();
    }
    const blocks = blocksOf(trace({ chunkSize: 16384 }, [{ write: text(200 * 1024) }, finish]));
    expect(blocks[0]).toEqual([false, FIXED, firstCall.consumed]);
    expect(blocks[1][1]).toBe(DYNAMIC);
  });

  it('CC3 inside a call does not split the block: the CMPR loop runs to the end of the write', () => {
    // do { cc = dfltcc_cmpr(); } while (cc == DFLTCC_CC_AGAIN): the block-switch rule is decided per pass only.
    const stream = trace({ cpuAmount: 1000, chunkSize: 1 << 20 }, [
      { write: text(100_000) },
      { write: text(100_000, 8) },
      finish,
    ]);
    // Second write: total_in > block_threshold and avail_in >= 4096: the fixed block closes, a dynamic one opens.
    expect(blocksOf(stream)).toEqual([
      [false, FIXED, 100_000],
      [false, DYNAMIC, 100_000],
      [true, FIXED, 0],
    ]);
    // And the grid restarts at every CC3: no match crosses a multiple of 1000 input bytes.
    let at = 0;
    for (const symbol of inspectDeflate(stream.subarray(2, stream.length - 4)).symbols) {
      const length = 'length' in symbol ? symbol.length : 1;
      expect(Math.floor(at / 1000)).toBe(Math.floor((at + length - 1) / 1000));
      at += length;
    }
  });

  it('with masked input, a CC3 that leaves under 4096 bytes ends the pass, and the next pass starts the new block there', () => {
    // DFLTCC_BLOCK_SIZE 64 KiB, one 200 KiB write: 64 KiB passed, the rest masked. CC3 after 62000 bytes
    // leaves 3536 < 4096 with masked input: break. Next pass: total_in 62000 > block_threshold 4096 and
    // avail_in >= 4096: EOBS, a dynamic block, block_threshold = 62000 + 65536. That pass breaks after 62000
    // more bytes too, but total_in 124000 is below the threshold: the block goes on, and the pass after the
    // next one (total_in 186000) switches. Blocks of 62000, 124000, then the rest.
    const stream = trace({ cpuAmount: 62_000, chunkSize: 1 << 20, dfltcc: { blockSize: 65536 } }, [
      { write: text(200 * 1024) },
      finish,
    ]);
    const blocks = blocksOf(stream);
    expect(blocks).toEqual([
      [false, FIXED, 62_000],
      [false, DYNAMIC, 124_000],
      [false, DYNAMIC, 200 * 1024 - 186_000],
      [true, FIXED, 0],
    ]);
  });

  it("a repeated Z_SYNC_FLUSH without input writes nothing (zlib's duplicate-flush rule)", () => {
    const once = trace({}, [{ write: text(1000), flush: constants.Z_SYNC_FLUSH }, finish]);
    const twice = trace({}, [
      { write: text(1000), flush: constants.Z_SYNC_FLUSH },
      { write: new Uint8Array(0), flush: constants.Z_SYNC_FLUSH },
      finish,
    ]);
    expect(twice.equals(once)).toBe(true);
    expect(blocksOf(once)).toEqual([
      [false, FIXED, 1000],
      [false, STORED, 0],
      [true, FIXED, 0],
    ]);
  });

  it('after CC1 a Z_NO_FLUSH call without input drains the machine; the call after that is Z_BUF_ERROR', () => {
    const core = createDeflateCore('zlib', { engine: 'dfltcc', level: 1 });
    try {
      const input = core.machine.alloc(4096);
      const output = core.machine.alloc(4096);
      core.machine.write(input.address, text(4096));
      // 10 bytes of room: CMPR stops with CC1, bits queued in the CSB (CF = 1); zlib sets last_flush = -1.
      const first = core.codec.deflate(input.address, 4096, output.address, 10, constants.Z_NO_FLUSH);
      expect([first.status, first.produced]).toEqual([constants.Z_OK, 10]);
      const drained = core.codec.deflate(
        input.address + first.consumed,
        4096 - first.consumed,
        output.address,
        4096,
        constants.Z_NO_FLUSH,
      );
      expect(drained.status).toBe(constants.Z_OK);
      expect(first.consumed + drained.consumed).toBe(4096);
      const again = core.codec.deflate(input.address, 0, output.address, 4096, constants.Z_NO_FLUSH);
      expect([again.status, again.produced]).toEqual([constants.Z_BUF_ERROR, 0]);
      core.machine.free(input);
      core.machine.free(output);
    } finally {
      core.close();
    }
  });
});

describe('one-shots and headers', () => {
  it('deflateSync is compress2(): one deflate(Z_FINISH), the whole input one final fixed-Huffman block', () => {
    const data = text(300_000);
    expect(blocksOf(deflateSync(data, { engine: 'dfltcc', level: 1 }))).toEqual([[true, FIXED, 300_000]]);
    // dfltcc.chunked feeds staged pieces instead (a one-shot's stage is 128 KiB): a first fixed block, then dynamic ones.
    const chunked = blocksOf(deflateSync(data, { engine: 'dfltcc', level: 1, dfltcc: { chunked: true } }));
    expect(chunked[0]).toEqual([false, FIXED, 131072]);
    expect(chunked[1][1]).toBe(DYNAMIC);
  });

  it("an empty dictionary leaves zlib's header: no FDICT, and node:zlib inflates it without a dictionary", () => {
    const data = text(2000);
    const stream = deflateSync(data, { engine: 'dfltcc', level: 1, dictionary: new Uint8Array(0) });
    expect(stream.subarray(0, 2)).toEqual(
      deflateSync(data, { engine: 'zlib', level: 1, dictionary: new Uint8Array(0) }).subarray(0, 2),
    );
    expect(stream[1] & 0x20).toBe(0);
    expect(nodeZlib.inflateSync(stream).equals(data)).toBe(true);
  });
});
