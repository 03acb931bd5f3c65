// Encoder lookup tables for one Huffman code (fixed, or the dynamic code of the open block).
//
// A table area holds packed entries (code length << 24) | bits, where `bits` are the Huffman code
// already bit-reversed for LSB-first output, followed (for lengths) by the extra bits:
//
//   +0     u32[257]  literals 0..255 and end-of-block (index 256)
//   +1040  u32[259]  match lengths 0..258 (entries 0..2 unused): length code plus extra bits
//   +2080  u32[30]   distance symbols: distance code only
//   +2208  u32[30]   distance symbols: base distance | extra-bit count << 16
//
// The distance-symbol map (shared by all tables, built once per instance) turns distance-1 into a
// symbol: map[d-1] for d <= 256, map[256 + ((d-1) >> 7)] above.

import {
  DISTANCE_SYMBOLS, END_OF_BLOCK, FIXED_DISTANCE_BITS, FIRST_LENGTH_SYMBOL, LITERAL_LENGTH_SYMBOLS,
  MAX_MATCH, MIN_MATCH, distanceBase, distanceExtra, fixedLiteralLengthBits, lengthBase, lengthExtra,
  lengthIndexOf,
} from "./deflate-alphabet";
import { canonicalCodes, reverseBits } from "./huffman";

const LITERAL_ENTRIES: usize = 0;
export const END_OF_BLOCK_ENTRY: usize = 1024;
export const LENGTH_ENTRIES: usize = 1040;
export const DISTANCE_ENTRIES: usize = 2080;
export const DISTANCE_INFO: usize = 2208;
export const ENCODER_TABLE_SIZE: usize = 2336;
export const DISTANCE_MAP_SIZE: usize = 512;

// @ts-ignore: decorator
@inline function packEntry(bits: u32, length: u32): u32 { return (length << 24) | bits; }

/** Fill the distance-symbol map (DISTANCE_MAP_SIZE bytes). */
export function buildDistanceMap(map: usize): void {
  for (let s: u32 = 0; s < DISTANCE_SYMBOLS; s++) {
    const first = distanceBase(s) - 1;
    const last = first + (<u32>1 << distanceExtra(s));
    for (let distanceLess1 = first; distanceLess1 < last; distanceLess1++) {
      if (distanceLess1 < 256) store<u8>(map + distanceLess1, <u8>s);
      else store<u8>(map + 256 + (distanceLess1 >> 7), <u8>s);
    }
  }
}

/**
 * Build an encoder table from code lengths: `literalLengths` u8[286] (literals, end of block, length
 * symbols; `literalCount` is 286, or 288 for the fixed code, whose symbols 286/287 take part in the
 * canonical numbering) and `distanceLengths` u8[30]. `work` needs 1024 bytes.
 */
export function buildEncoderTable(
  table: usize, literalLengths: usize, literalCount: u32, distanceLengths: usize, work: usize,
): void {
  const codes = work; // u16[288]
  const scratch = work + 640;
  canonicalCodes(literalLengths, literalCount, codes, scratch);
  for (let s: u32 = 0; s <= END_OF_BLOCK; s++) {
    const l = <u32>load<u8>(literalLengths + s);
    store<u32>(table + LITERAL_ENTRIES + (<usize>s << 2), packEntry(reverseBits(<u32>load<u16>(codes + (<usize>s << 1)), l), l));
  }
  for (let length: u32 = 0; length <= MAX_MATCH; length++) {
    if (length < MIN_MATCH) {
      store<u32>(table + LENGTH_ENTRIES + (<usize>length << 2), 0);
      continue;
    }
    const index = lengthIndexOf(length);
    const symbol = FIRST_LENGTH_SYMBOL + index;
    const l = <u32>load<u8>(literalLengths + symbol);
    const code = reverseBits(<u32>load<u16>(codes + (<usize>symbol << 1)), l);
    const extra = lengthExtra(index);
    const bits = code | ((length - lengthBase(index)) << l);
    store<u32>(table + LENGTH_ENTRIES + (<usize>length << 2), packEntry(bits, l + extra));
  }
  canonicalCodes(distanceLengths, DISTANCE_SYMBOLS, codes, scratch);
  for (let s: u32 = 0; s < DISTANCE_SYMBOLS; s++) {
    const l = <u32>load<u8>(distanceLengths + s);
    store<u32>(table + DISTANCE_ENTRIES + (<usize>s << 2), packEntry(reverseBits(<u32>load<u16>(codes + (<usize>s << 1)), l), l));
    store<u32>(table + DISTANCE_INFO + (<usize>s << 2), distanceBase(s) | (distanceExtra(s) << 16));
  }
}

/** Build the fixed-Huffman encoder table. `work` needs 2048 bytes. */
export function buildFixedEncoderTable(table: usize, work: usize): void {
  const literalLengths = work; // u8[288]
  const distanceLengths = work + 320; // u8[30]
  for (let s: u32 = 0; s < 288; s++) store<u8>(literalLengths + s, <u8>fixedLiteralLengthBits(s));
  for (let s: u32 = 0; s < DISTANCE_SYMBOLS; s++) store<u8>(distanceLengths + s, <u8>FIXED_DISTANCE_BITS);
  buildEncoderTable(table, literalLengths, 288, distanceLengths, work + 512);
}
