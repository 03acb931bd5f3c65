// DFLTCC-GDHT (function code 1): generate a dynamic Huffman table from a sample of the second operand.
//
// The sample (at most 32 KiB of op2, read where it lies; no register changes; a longer operand is
// sampled as SAMPLE_PIECES evenly spaced pieces so that the table also fits data further into the
// block) is parsed with a small greedy LZ77 pass to count literal, length and distance symbols. Every symbol then gets weight
// count * SAMPLE_WEIGHT + 1, so the code is universal (each literal 0-255, end-of-block, length symbol
// 257-285 and distance symbol 0-29 has a code: CMPR may meet any of them later in the block) but
// shaped by the sample. Code lengths are limited to 15 bits (code-length codes to 7). The result is
// written as a DEFLATE dynamic-header body into CDHT with its bit length in CDHTL, and the code of
// end-of-block into EOBS/EOBL. DHTGC is ignored.

import { CC_OK, CDHT_MAX_BITS, getCDHTL, setEndOfBlockCode } from "./param-block";
import { TABLE_WORK_OFFSET, scratch } from "./instance";
import {
  DISTANCE_SYMBOLS, END_OF_BLOCK, FIRST_LENGTH_SYMBOL, LITERAL_LENGTH_SYMBOLS, MAX_CODE_BITS,
  MAX_MATCH, distanceSymbolOf, lengthIndexOf,
} from "./deflate-alphabet";
import { buildCodeLengths, canonicalCodes } from "./huffman";
import { writeCompressedTable } from "./cdht";

const SAMPLE_LIMIT: u32 = 32768;
/** Pieces a sample longer than SAMPLE_LIMIT is drawn from. */
const SAMPLE_PIECES: u32 = 2;
const SAMPLE_WEIGHT: u32 = 4;
const SAMPLER_HASH_BITS: u32 = 13;
const SAMPLER_CHAIN: u32 = 4;
const SAMPLER_MIN_MATCH: u32 = 4;

// TABLE_WORK layout during GDHT.
const LITERAL_COUNTS: usize = 0; // u32[286]
const DISTANCE_COUNTS: usize = 1152; // u32[30]
const LITERAL_LENGTHS: usize = 2048; // u8[286]
const DISTANCE_LENGTHS: usize = 2368; // u8[30]
const HUFFMAN_WORK: usize = 4096; // 8 KiB
const TABLE_WRITE_WORK: usize = 12288; // 4 KiB
const SAMPLER_HEAD: usize = 16384; // u16[8192]
const SAMPLER_PREV: usize = 32768; // u16[32768]

// @ts-ignore: decorator
@inline function bump(counts: usize, symbol: u32): void {
  const at = counts + (<usize>symbol << 2);
  store<u32>(at, load<u32>(at) + 1);
}

/** Count the symbols a greedy parse of the sample would produce. */
function countSymbols(sample: usize, length: u32, literalCounts: usize, distanceCounts: usize): void {
  const head = scratch() + TABLE_WORK_OFFSET + SAMPLER_HEAD;
  const previous = scratch() + TABLE_WORK_OFFSET + SAMPLER_PREV;
  memory.fill(head, 0, (<usize>1 << SAMPLER_HASH_BITS) << 1);
  let p: u32 = 0;
  while (p + 4 <= length) {
    const current = load<u32>(sample + p);
    const h = <usize>((current * 0x9e3779b1) >> (32 - SAMPLER_HASH_BITS)) << 1;
    let candidate = <u32>load<u16>(head + h); // position + 1, 0 = none
    store<u16>(previous + (<usize>p << 1), <u16>candidate);
    store<u16>(head + h, <u16>(p + 1));
    const available = length - p;
    const maxLength = available < MAX_MATCH ? available : MAX_MATCH;
    let best: u32 = 0;
    let bestDistance: u32 = 0;
    let chain = SAMPLER_CHAIN;
    while (candidate != 0 && chain > 0) {
      const c = candidate - 1;
      if (load<u32>(sample + c) == current) {
        let k: u32 = 4;
        while (k < maxLength && load<u8>(sample + c + k) == load<u8>(sample + p + k)) k++;
        if (k > best) { best = k; bestDistance = p - c; }
      }
      chain--;
      candidate = <u32>load<u16>(previous + (<usize>c << 1));
    }
    if (best >= SAMPLER_MIN_MATCH) {
      bump(literalCounts, FIRST_LENGTH_SYMBOL + lengthIndexOf(best));
      bump(distanceCounts, distanceSymbolOf(bestDistance));
      const stop = p + best;
      p++;
      while (p < stop) {
        if (p + 4 <= length) {
          const slot = <usize>((load<u32>(sample + p) * 0x9e3779b1) >> (32 - SAMPLER_HASH_BITS)) << 1;
          store<u16>(previous + (<usize>p << 1), load<u16>(head + slot));
          store<u16>(head + slot, <u16>(p + 1));
        }
        p++;
      }
    } else {
      bump(literalCounts, current & 0xff);
      p++;
    }
  }
  while (p < length) {
    bump(literalCounts, <u32>load<u8>(sample + p));
    p++;
  }
}

export function generateDynamicHuffmanTable(pb: usize, regs: usize): i32 {
  const work = scratch() + TABLE_WORK_OFFSET;
  const sample = <usize>load<u32>(regs, 8);
  const available = load<u32>(regs, 12);
  const length = available < SAMPLE_LIMIT ? available : SAMPLE_LIMIT;
  const literalCounts = work + LITERAL_COUNTS;
  const distanceCounts = work + DISTANCE_COUNTS;
  memory.fill(literalCounts, 0, <usize>LITERAL_LENGTH_SYMBOLS << 2);
  memory.fill(distanceCounts, 0, <usize>DISTANCE_SYMBOLS << 2);
  if (available <= SAMPLE_LIMIT) {
    countSymbols(sample, length, literalCounts, distanceCounts);
  } else {
    // Spread the sample over the whole operand: SAMPLE_PIECES evenly spaced pieces.
    const piece = SAMPLE_LIMIT / SAMPLE_PIECES;
    const stride = SAMPLE_PIECES > 1 ? (<u64>(available - piece)) / <u64>(SAMPLE_PIECES - 1) : 0;
    for (let k: u32 = 0; k < SAMPLE_PIECES; k++) {
      countSymbols(sample + <usize>(stride * k), piece, literalCounts, distanceCounts);
    }
  }
  bump(literalCounts, END_OF_BLOCK);

  for (let s: u32 = 0; s < LITERAL_LENGTH_SYMBOLS; s++) {
    const at = literalCounts + (<usize>s << 2);
    store<u32>(at, load<u32>(at) * SAMPLE_WEIGHT + 1);
  }
  for (let s: u32 = 0; s < DISTANCE_SYMBOLS; s++) {
    const at = distanceCounts + (<usize>s << 2);
    store<u32>(at, load<u32>(at) * SAMPLE_WEIGHT + 1);
  }
  const literalLengths = work + LITERAL_LENGTHS;
  const distanceLengths = work + DISTANCE_LENGTHS;
  buildCodeLengths(literalCounts, LITERAL_LENGTH_SYMBOLS, MAX_CODE_BITS, literalLengths, work + HUFFMAN_WORK);
  buildCodeLengths(distanceCounts, DISTANCE_SYMBOLS, MAX_CODE_BITS, distanceLengths, work + HUFFMAN_WORK);
  writeCompressedTable(pb, literalLengths, distanceLengths, work + TABLE_WRITE_WORK);
  assert(getCDHTL(pb) > 0 && getCDHTL(pb) <= CDHT_MAX_BITS);

  const codes = work + HUFFMAN_WORK; // u16[286]
  canonicalCodes(literalLengths, LITERAL_LENGTH_SYMBOLS, codes, codes + 640);
  setEndOfBlockCode(pb, <u32>load<u16>(codes + (<usize>END_OF_BLOCK << 1)), <u32>load<u8>(literalLengths + END_OF_BLOCK));
  return CC_OK;
}
