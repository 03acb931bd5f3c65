// The compressed dynamic-Huffman table (CDHT): the body of a DEFLATE dynamic block header (HLIT,
// HDIST, HCLEN, the code-length code lengths in permuted order, then the run-length-coded literal/
// length and distance code lengths), stored LSB-first from bit 0 of parameter-block byte 64, with its
// length in bits in CDHTL. GDHT writes it (writeCompressedTable); CMPR reads it back when it opens a
// dynamic block (readCompressedTable) and copies CDHTL bits of it into the output after the 3-bit
// block header.

import {
  CDHT, CDHT_MAX_BITS, CDHT_SIZE, OESC_CDHT_LENGTH_INVALID, OESC_CDHT_NOT_UNIVERSAL,
  OESC_INVALID_CODE_LENGTH_CODE_SET, OESC_INVALID_DISTANCE_SET, OESC_INVALID_LITERAL_LENGTH_SET,
  OESC_MISSING_END_OF_BLOCK, OESC_NONE, OESC_REPEAT_OVERFLOW, OESC_REPEAT_WITHOUT_PREVIOUS,
  OESC_TOO_MANY_LENGTHS_OR_DISTANCES, OESC_UNDECODABLE_CODE_LENGTH_CODE, getCDHTL, setCDHTL,
} from "./param-block";
import {
  CODE_LENGTH_SYMBOLS, DISTANCE_SYMBOLS, END_OF_BLOCK, LITERAL_LENGTH_SYMBOLS,
  MAX_CODE_LENGTH_CODE_BITS, codeLengthOrder,
} from "./deflate-alphabet";
import { buildCodeLengths, canonicalCodes, kraftBalance, reverseBits } from "./huffman";

const ALL_LENGTHS: u32 = LITERAL_LENGTH_SYMBOLS + DISTANCE_SYMBOLS; // 316

/** Work space both functions need. */
const CDHT_WORK_SIZE: usize = 4096;

// ---- writing ----------------------------------------------------------------------------------------

let writeBase: usize = 0;
let writeBit: u32 = 0;

function putBits(value: u32, count: u32): void {
  for (let i: u32 = 0; i < count; i++) {
    const at = writeBase + <usize>(writeBit >> 3);
    store<u8>(at, load<u8>(at) | <u8>(((value >> i) & 1) << (writeBit & 7)));
    writeBit++;
  }
}

/**
 * Write the CDHT and CDHTL of `pb` for complete codes given as u8 lengths: `literalLengths` (286) and
 * `distanceLengths` (30). Every length must be 1..15 (GDHT's tables are universal).
 */
export function writeCompressedTable(pb: usize, literalLengths: usize, distanceLengths: usize, work: usize): void {
  const all = work; // u8[316]: every length in header order
  const runSymbols = work + 320; // u8[316]: code-length symbols 0..18
  const runExtra = work + 640; // u8[316]: their extra-bit values
  const frequencies = work + 960; // u32[19]
  const clLengths = work + 1040; // u8[19]
  const clCodes = work + 1064; // u16[19]
  const huffWork = work + 1104; // huffmanWorkSize(19)

  memory.copy(all, literalLengths, LITERAL_LENGTH_SYMBOLS);
  memory.copy(all + LITERAL_LENGTH_SYMBOLS, distanceLengths, DISTANCE_SYMBOLS);

  // Run-length code the lengths with symbols 16 (repeat previous 3-6), 17 (3-10 zeros), 18 (11-138 zeros).
  let runs: u32 = 0;
  let i: u32 = 0;
  while (i < ALL_LENGTHS) {
    const value = load<u8>(all + i);
    let run: u32 = 1;
    while (i + run < ALL_LENGTHS && load<u8>(all + i + run) == value) run++;
    i += run;
    if (value == 0) {
      while (run >= 11) {
        const take = run > 138 ? 138 : run;
        store<u8>(runSymbols + runs, 18); store<u8>(runExtra + runs, <u8>(take - 11)); runs++;
        run -= take;
      }
      if (run >= 3) {
        store<u8>(runSymbols + runs, 17); store<u8>(runExtra + runs, <u8>(run - 3)); runs++;
        run = 0;
      }
    } else {
      store<u8>(runSymbols + runs, value); store<u8>(runExtra + runs, 0); runs++;
      run--;
      while (run >= 3) {
        const take = run > 6 ? 6 : run;
        store<u8>(runSymbols + runs, 16); store<u8>(runExtra + runs, <u8>(take - 3)); runs++;
        run -= take;
      }
    }
    while (run > 0) {
      store<u8>(runSymbols + runs, value); store<u8>(runExtra + runs, 0); runs++;
      run--;
    }
  }

  for (let s: u32 = 0; s < CODE_LENGTH_SYMBOLS; s++) store<u32>(frequencies + (<usize>s << 2), 0);
  for (let r: u32 = 0; r < runs; r++) {
    const at = frequencies + (<usize>load<u8>(runSymbols + r) << 2);
    store<u32>(at, load<u32>(at) + 1);
  }
  // A complete code needs two symbols at least (inflaters reject an incomplete code-length code).
  let usedSymbols: u32 = 0;
  for (let s: u32 = 0; s < CODE_LENGTH_SYMBOLS; s++) if (load<u32>(frequencies + (<usize>s << 2)) != 0) usedSymbols++;
  for (let s: u32 = 0; usedSymbols < 2 && s < CODE_LENGTH_SYMBOLS; s++) {
    if (load<u32>(frequencies + (<usize>s << 2)) == 0) {
      store<u32>(frequencies + (<usize>s << 2), 1);
      usedSymbols++;
    }
  }
  buildCodeLengths(frequencies, CODE_LENGTH_SYMBOLS, MAX_CODE_LENGTH_CODE_BITS, clLengths, huffWork);
  canonicalCodes(clLengths, CODE_LENGTH_SYMBOLS, clCodes, huffWork);

  let hclen: u32 = CODE_LENGTH_SYMBOLS;
  while (hclen > 4 && load<u8>(clLengths + codeLengthOrder(hclen - 1)) == 0) hclen--;

  memory.fill(pb + CDHT, 0, CDHT_SIZE);
  writeBase = pb + CDHT;
  writeBit = 0;
  putBits(LITERAL_LENGTH_SYMBOLS - 257, 5);
  putBits(DISTANCE_SYMBOLS - 1, 5);
  putBits(hclen - 4, 4);
  for (let k: u32 = 0; k < hclen; k++) putBits(<u32>load<u8>(clLengths + codeLengthOrder(k)), 3);
  for (let r: u32 = 0; r < runs; r++) {
    const symbol = <u32>load<u8>(runSymbols + r);
    const l = <u32>load<u8>(clLengths + symbol);
    putBits(reverseBits(<u32>load<u16>(clCodes + (<usize>symbol << 1)), l), l);
    if (symbol == 16) putBits(<u32>load<u8>(runExtra + r), 2);
    else if (symbol == 17) putBits(<u32>load<u8>(runExtra + r), 3);
    else if (symbol == 18) putBits(<u32>load<u8>(runExtra + r), 7);
  }
  setCDHTL(pb, writeBit);
}

/** Upper bound of CDHT bits for any universal table (checked by tests). */
const CDHT_BOUND_BITS: u32 = 5 + 5 + 4 + 19 * 3 + 316 * 7;

// ---- reading ----------------------------------------------------------------------------------------

let readBase: usize = 0;
let readBit: u32 = 0;
let readLimit: u32 = 0;
let readOverrun: bool = false;

function getBits(count: u32): u32 {
  let v: u32 = 0;
  for (let i: u32 = 0; i < count; i++) {
    if (readBit >= readLimit) {
      readOverrun = true;
      return 0;
    }
    v |= ((<u32>load<u8>(readBase + <usize>(readBit >> 3)) >> (readBit & 7)) & 1) << i;
    readBit++;
  }
  return v;
}

/**
 * Parse and validate the CDHT of `pb`, producing u8 code lengths (`literalLengths` 286, then
 * `distanceLengths` 30). Returns OESC_NONE or the OESC describing the defect. The table must be
 * complete and universal (every literal/length and distance symbol has a code) because CMPR may meet
 * any symbol later in the block.
 */
export function readCompressedTable(pb: usize, literalLengths: usize, distanceLengths: usize, work: usize): u32 {
  const cdhtl = getCDHTL(pb);
  if (cdhtl == 0 || cdhtl > CDHT_MAX_BITS) return OESC_CDHT_LENGTH_INVALID;
  readBase = pb + CDHT;
  readBit = 0;
  readLimit = cdhtl;
  readOverrun = false;

  const clLengths = work; // u8[19]
  const clCount = work + 32; // u32[8]: codes of each length
  const clSymbols = work + 64; // u16[19]: symbols in canonical order
  const all = work + 128; // u8[316]
  const offsets = work + 448; // u32[8]

  const hlit = getBits(5) + 257;
  const hdist = getBits(5) + 1;
  const hclen = getBits(4) + 4;
  if (readOverrun) return OESC_CDHT_LENGTH_INVALID;
  if (hlit > LITERAL_LENGTH_SYMBOLS || hdist > DISTANCE_SYMBOLS) return OESC_TOO_MANY_LENGTHS_OR_DISTANCES;
  for (let s: u32 = 0; s < CODE_LENGTH_SYMBOLS; s++) store<u8>(clLengths + s, 0);
  for (let k: u32 = 0; k < hclen; k++) store<u8>(clLengths + codeLengthOrder(k), <u8>getBits(3));
  if (readOverrun) return OESC_CDHT_LENGTH_INVALID;
  if (kraftBalance(clLengths, CODE_LENGTH_SYMBOLS) != 0) return OESC_INVALID_CODE_LENGTH_CODE_SET;

  // Canonical decoding tables: count of codes per length and the symbols sorted by code.
  for (let l: u32 = 0; l < 8; l++) store<u32>(clCount + (<usize>l << 2), 0);
  for (let s: u32 = 0; s < CODE_LENGTH_SYMBOLS; s++) {
    const at = clCount + (<usize>load<u8>(clLengths + s) << 2);
    store<u32>(at, load<u32>(at) + 1);
  }
  store<u32>(offsets + 4, 0);
  for (let l: u32 = 1; l < 7; l++) {
    store<u32>(offsets + (<usize>(l + 1) << 2), load<u32>(offsets + (<usize>l << 2)) + load<u32>(clCount + (<usize>l << 2)));
  }
  for (let s: u32 = 0; s < CODE_LENGTH_SYMBOLS; s++) {
    const l = <usize>load<u8>(clLengths + s);
    if (l == 0) continue;
    const at = offsets + (l << 2);
    const o = load<u32>(at);
    store<u16>(clSymbols + (<usize>o << 1), <u16>s);
    store<u32>(at, o + 1);
  }

  const total = hlit + hdist;
  let filled: u32 = 0;
  while (filled < total) {
    // Decode one code-length symbol, one bit at a time (codes are sent most-significant bit first).
    let code: i32 = 0;
    let first: i32 = 0;
    let index: i32 = 0;
    let symbol: i32 = -1;
    for (let l: u32 = 1; l <= MAX_CODE_LENGTH_CODE_BITS; l++) {
      code |= <i32>getBits(1);
      const count = <i32>load<u32>(clCount + (<usize>l << 2));
      if (code - first < count) {
        symbol = <i32>load<u16>(clSymbols + (<usize>(index + code - first) << 1));
        break;
      }
      index += count;
      first = (first + count) << 1;
      code <<= 1;
    }
    if (readOverrun) return OESC_CDHT_LENGTH_INVALID;
    if (symbol < 0) return OESC_UNDECODABLE_CODE_LENGTH_CODE;
    if (symbol < 16) {
      store<u8>(all + filled, <u8>symbol);
      filled++;
      continue;
    }
    let value: u8 = 0;
    let repeat: u32;
    if (symbol == 16) {
      if (filled == 0) return OESC_REPEAT_WITHOUT_PREVIOUS;
      value = load<u8>(all + filled - 1);
      repeat = 3 + getBits(2);
    } else if (symbol == 17) {
      repeat = 3 + getBits(3);
    } else {
      repeat = 11 + getBits(7);
    }
    if (readOverrun) return OESC_CDHT_LENGTH_INVALID;
    if (filled + repeat > total) return OESC_REPEAT_OVERFLOW;
    for (let r: u32 = 0; r < repeat; r++) store<u8>(all + filled + r, value);
    filled += repeat;
  }
  if (readBit != cdhtl) return OESC_CDHT_LENGTH_INVALID;

  for (let s: u32 = 0; s < LITERAL_LENGTH_SYMBOLS; s++) store<u8>(literalLengths + s, s < hlit ? load<u8>(all + s) : 0);
  for (let s: u32 = 0; s < DISTANCE_SYMBOLS; s++) store<u8>(distanceLengths + s, s < hdist ? load<u8>(all + hlit + s) : 0);
  if (load<u8>(literalLengths + END_OF_BLOCK) == 0) return OESC_MISSING_END_OF_BLOCK;
  if (kraftBalance(literalLengths, LITERAL_LENGTH_SYMBOLS) != 0) return OESC_INVALID_LITERAL_LENGTH_SET;
  if (kraftBalance(distanceLengths, DISTANCE_SYMBOLS) != 0) return OESC_INVALID_DISTANCE_SET;
  for (let s: u32 = 0; s < LITERAL_LENGTH_SYMBOLS; s++) if (load<u8>(literalLengths + s) == 0) return OESC_CDHT_NOT_UNIVERSAL;
  for (let s: u32 = 0; s < DISTANCE_SYMBOLS; s++) if (load<u8>(distanceLengths + s) == 0) return OESC_CDHT_NOT_UNIVERSAL;
  return OESC_NONE;
}
