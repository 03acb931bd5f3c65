// Table-driven canonical Huffman decoding for DFLTCC-XPND.
//
// A table is an array of u32 entries indexed by the next stream bits (DEFLATE
// sends Huffman codes most-significant bit first, so the index is the
// bit-reversed code). The root table has 2^root entries; codes longer than
// `root` bits go through a link entry to a subtable indexed by the following
// bits. Entry layout:
//
//   bits 0..3   total code length in bits (what to drop from the bit buffer);
//               for a link entry, the root bits
//   bits 4..7   extra-bit count (K_BASE), subtable index bits (K_LINK), or the
//               number of literals (K_LIT of a literal/length table: 1 or 2)
//   bits 8..10  kind (K_*)
//   bits 11..14 code length of the first literal of a two-literal entry
//   bits 16..31 value: literal byte (two-literal entries: the first literal in
//               bits 16..23, the second in 24..31), code-length symbol,
//               length/distance base, subtable offset (in entries), or the
//               OESC for K_BAD
//
// Two-literal entries: a root entry of a literal/length table whose index bits
// hold two whole literal codes decodes both (pairLiterals), so a run of short
// literal codes costs one lookup per two bytes. Only the fast loop takes both;
// the byte-at-a-time decoder uses the first literal (literalEntry).
//
// Entries for bit patterns that match no code (incomplete codes) are K_BAD
// with the length of the whole index (root bits, or root + subtable bits), so
// a decoder that only holds a few bits knows it must read more before it can
// call the pattern invalid.

import {
  XPND_OESC_BAD_CL_CODE,
  XPND_OESC_BAD_DIST_CODE,
  XPND_OESC_BAD_LITLEN_CODE,
} from "./expand-errors";

export const E_LEN_MASK: u32 = 0xf;
export const E_AUX_SHIFT: u32 = 4;
export const E_KIND_MASK: u32 = 0x700;
export const K_LIT: u32 = 0x000;
export const K_BASE: u32 = 0x100;
export const K_LINK: u32 = 0x200;
export const K_EOB: u32 = 0x300;
export const K_BAD: u32 = 0x400;
/** Number of literals of a K_LIT entry of a literal/length table (1 or 2), in the aux field. */
export const E_LITS_SHIFT: u32 = E_AUX_SHIFT;
/** Code length of the first literal of a two-literal entry. */
const E_FIRST_LEN_SHIFT: u32 = 11;

/** Kind of code being built. */
export const TK_LITLEN: u32 = 0;
export const TK_DIST: u32 = 1;
export const TK_CODELEN: u32 = 2;

export const BUILD_OK: i32 = 0;
/** Over-subscribed code. */
export const BUILD_OVER: i32 = 1;
/** Incomplete code where that is not allowed. */
const BUILD_INCOMPLETE: i32 = 2;
/** Tables would not fit the space given (cannot happen for valid limits). */
const BUILD_NO_ROOM: i32 = 3;

// Root sizes. The literal/length root of 11 bits resolves nearly every code
// with one lookup (and holds two short literal codes); distances use 8. The
// fixed code's tables use the same roots (their entries simply repeat more), so
// the fast loop's index masks are constants whatever the block type.
export const LITLEN_ROOT: u32 = 11;
export const DIST_ROOT: u32 = 8;
export const CODELEN_ROOT: u32 = 7;

// Worst-case sizes (root + all subtables) are 2342 entries for 286 symbols,
// root 11, 15-bit codes and 402 for 30 symbols, root 8 (same counting as
// zlib's "enough" utility); the areas below leave room and the builder still
// checks the limit.
export const LITLEN_DYN_ENTRIES: u32 = 3072;
export const DIST_DYN_ENTRIES: u32 = 1024;
const LITLEN_FIXED_ENTRIES: u32 = <u32>1 << LITLEN_ROOT;
const DIST_FIXED_ENTRIES: u32 = <u32>1 << DIST_ROOT;

// Layout of the per-instance expand scratch area (64 KiB).
const SCR_FIXED_MAGIC: usize = 0; // u32: FIXED_MAGIC once fixed tables are built
export const SCR_TAG_VALID: usize = 4; // u32: 1 when the dynamic tables match the tag
export const SCR_TAG_HLIT: usize = 8; // u32: hlit | hdist << 16
export const SCR_TAG_LENS: usize = 16; // 160 bytes: packed code lengths the tables were built from
const SCR_COUNT: usize = 256; // u16[16]
const SCR_OFFS: usize = 288; // u16[16]
const SCR_SORTED: usize = 320; // u16[320]
export const SCR_LENS: usize = 1024; // u8[320] unpacked code lengths
export const SCR_CL_TABLE: usize = 1536; // 128 entries
export const SCR_FIXED_DIST: usize = 2048; // DIST_FIXED_ENTRIES entries
export const SCR_DYN_DIST: usize = SCR_FIXED_DIST + (<usize>DIST_FIXED_ENTRIES << 2); // DIST_DYN_ENTRIES entries
export const SCR_DYN_LIT: usize = 8192; // LITLEN_DYN_ENTRIES entries
export const SCR_FIXED_LIT: usize = SCR_DYN_LIT + (<usize>LITLEN_DYN_ENTRIES << 2); // LITLEN_FIXED_ENTRIES entries
/** End of the tables: the expand scratch area (instance.ts) must hold this many bytes. */
const SCR_END_TABLES: usize = SCR_FIXED_LIT + (<usize>LITLEN_FIXED_ENTRIES << 2);

const FIXED_MAGIC: u32 = 0x32584946; // "FIX2": fixed tables with the common roots

/** Order in which the code-length code lengths are sent. */
// @ts-ignore: decorator
@inline
export function clOrder(i: u32): u32 {
  // 16 17 18 0 8 7 9 6 10 5 11 4 12 3 13 2 14 1 15
  if (i < 3) return 16 + i;
  if (i == 3) return 0;
  // i = 4..18: pairs (8 - k, 7 - k?) follow the pattern 8,7,9,6,10,5,...
  const k = (i - 4) >> 1;
  return (i & 1) == 0 ? 8 + k : 7 - k;
}

/** Length base for length symbol 257 + i (i = 0..28). */
// @ts-ignore: decorator
@inline
function lengthEntryValue(i: u32): u32 {
  if (i < 8) return 3 + i;
  if (i == 28) return 258;
  const ex = (i - 4) >> 2;
  return ((4 + (i & 3)) << ex) + 3;
}

// @ts-ignore: decorator
@inline
function lengthExtra(i: u32): u32 {
  if (i < 8 || i == 28) return 0;
  return (i - 4) >> 2;
}

/** Distance base for distance symbol i (i = 0..29). */
// @ts-ignore: decorator
@inline
function distBase(i: u32): u32 {
  if (i < 4) return 1 + i;
  const ex = (i - 2) >> 1;
  return ((2 + (i & 1)) << ex) + 1;
}

// @ts-ignore: decorator
@inline
function distExtra(i: u32): u32 {
  return i < 4 ? 0 : (i - 2) >> 1;
}

/** The entry decoding symbol `s` of a `kind` code with code length `len`. */
function makeEntry(kind: u32, s: u32, len: u32): u32 {
  if (kind == TK_LITLEN) {
    if (s < 256) return K_LIT | (s << 16) | (1 << E_LITS_SHIFT) | len;
    if (s == 256) return K_EOB | len;
    if (s < 286) {
      const i = s - 257;
      return K_BASE | (lengthEntryValue(i) << 16) | (lengthExtra(i) << E_AUX_SHIFT) | len;
    }
    return K_BAD | (<u32>XPND_OESC_BAD_LITLEN_CODE << 16) | len;
  }
  if (kind == TK_DIST) {
    if (s < 30) return K_BASE | (distBase(s) << 16) | (distExtra(s) << E_AUX_SHIFT) | len;
    return K_BAD | (<u32>XPND_OESC_BAD_DIST_CODE << 16) | len;
  }
  return K_LIT | (s << 16) | len;
}

function badEntry(kind: u32, len: u32): u32 {
  const oesc: u32 =
    kind == TK_LITLEN
      ? <u32>XPND_OESC_BAD_LITLEN_CODE
      : kind == TK_DIST
        ? <u32>XPND_OESC_BAD_DIST_CODE
        : <u32>XPND_OESC_BAD_CL_CODE;
  return K_BAD | (oesc << 16) | len;
}

/**
 * Builds the decode table for `n` symbols whose code lengths (0..15) are the
 * bytes at `lens`. `work` is the scratch base (count/offset/sorted arrays).
 *
 * Incomplete codes: allowed for code-length codes (the holes decode as K_BAD,
 * reported as OESC 0x27 when met), for a distance code with no codes or a
 * single 1-bit code, and for a literal/length code with a single 1-bit code,
 * the cases zlib accepts; otherwise BUILD_INCOMPLETE.
 */
export function buildTable(
  lens: usize,
  n: u32,
  kind: u32,
  table: usize,
  root: u32,
  limit: u32,
  work: usize,
): i32 {
  const count = work + SCR_COUNT;
  const offs = work + SCR_OFFS;
  const sorted = work + SCR_SORTED;
  for (let len: u32 = 0; len < 16; len++) store<u16>(count + (len << 1), 0);
  for (let s: u32 = 0; s < n; s++) {
    const p = count + (<usize>load<u8>(lens + s) << 1);
    store<u16>(p, load<u16>(p) + 1);
  }
  let maxLen: u32 = 0;
  let left: i32 = 1;
  for (let len: u32 = 1; len < 16; len++) {
    const c = <i32>load<u16>(count + (len << 1));
    if (c != 0) maxLen = len;
    left = (left << 1) - c;
    if (left < 0) return BUILD_OVER;
  }
  const incomplete = left > 0;
  if (incomplete) {
    if (kind == TK_LITLEN && maxLen != 1) return BUILD_INCOMPLETE;
    if (kind == TK_DIST && maxLen > 1) return BUILD_INCOMPLETE;
  }
  if (maxLen == 0) {
    // No codes at all: every pattern is invalid.
    const bad = badEntry(kind, root);
    const size = <u32>1 << root;
    for (let i: u32 = 0; i < size; i++) store<u32>(table + (i << 2), bad);
    return BUILD_OK;
  }

  // Sort symbols by (length, symbol).
  let o: u32 = 0;
  for (let len: u32 = 1; len < 16; len++) {
    store<u16>(offs + (len << 1), <u16>o);
    o += load<u16>(count + (len << 1));
  }
  for (let s: u32 = 0; s < n; s++) {
    const len = <u32>load<u8>(lens + s);
    if (len != 0) {
      const p = offs + (len << 1);
      const at = <u32>load<u16>(p);
      store<u16>(sorted + (at << 1), <u16>s);
      store<u16>(p, <u16>(at + 1));
    }
  }

  const rootSize: u32 = <u32>1 << root;
  const rootMask: u32 = rootSize - 1;
  let next: u32 = rootSize; // first free entry after the root table
  let curPrefix: u32 = 0xffffffff;
  let subBase: u32 = 0;
  let subBits: u32 = 0;
  // The root table is built by doubling: once the codes of length `len` are in the first 2^len
  // entries, copying those entries above themselves replicates every code over the index bits it
  // does not look at. It starts as one "no code here" entry, which only survives in the holes of
  // an incomplete code.
  store<u32>(table, badEntry(kind, root));
  let filled: u32 = 1;
  let rev: u32 = 0; // current canonical code, bit-reversed (DEFLATE sends codes MSB first)
  let idx: u32 = 0;
  for (let len: u32 = 1; len <= maxLen; len++) {
    if (len <= root) {
      memory.copy(table + (<usize>filled << 2), table, <usize>filled << 2);
      filled <<= 1;
    }
    const cp = count + (len << 1);
    while (load<u16>(cp) != 0) {
      const s = <u32>load<u16>(sorted + (idx << 1));
      idx++;
      const entry = makeEntry(kind, s, len);
      if (len <= root) {
        store<u32>(table + (<usize>rev << 2), entry);
      } else {
        const prefix = rev & rootMask;
        if (prefix != curPrefix) {
          // Size the subtable to hold every remaining code with this prefix.
          let curr = len - root;
          let room: i32 = 1 << curr;
          while (curr + root < maxLen) {
            room -= <i32>load<u16>(count + ((curr + root) << 1));
            if (room <= 0) break;
            curr++;
            room <<= 1;
          }
          const size: u32 = <u32>1 << curr;
          if (next + size > limit) return BUILD_NO_ROOM;
          if (incomplete) {
            const bad = badEntry(kind, root + curr);
            for (let i: u32 = 0; i < size; i++) store<u32>(table + ((next + i) << 2), bad);
          }
          store<u32>(table + (prefix << 2), K_LINK | (next << 16) | (curr << E_AUX_SHIFT) | root);
          subBase = next;
          subBits = curr;
          next += size;
          curPrefix = prefix;
        }
        const subSize: u32 = <u32>1 << subBits;
        const step: u32 = <u32>1 << (len - root);
        for (let i = rev >> root; i < subSize; i += step) store<u32>(table + ((subBase + i) << 2), entry);
      }
      store<u16>(cp, load<u16>(cp) - 1);
      // Next canonical code of this length: add 1 at the top of the reversed code.
      let inc: u32 = <u32>1 << (len - 1);
      while ((rev & inc) != 0) inc >>= 1;
      rev = inc != 0 ? (rev & (inc - 1)) + inc : 0;
    }
    // Moving to length len + 1 appends a 0 bit to the code: the reversed value is unchanged.
  }
  while (filled < rootSize) {
    memory.copy(table + (<usize>filled << 2), table, <usize>filled << 2);
    filled <<= 1;
  }
  return BUILD_OK;
}

/** Builds the fixed literal/length and distance tables into the scratch area once. */
export function ensureFixedTables(scratch: usize): void {
  if (load<u32>(scratch + SCR_FIXED_MAGIC) == FIXED_MAGIC) return;
  const lens = scratch + SCR_LENS;
  for (let s: u32 = 0; s < 288; s++) {
    store<u8>(lens + s, s < 144 ? 8 : s < 256 ? 9 : s < 280 ? 7 : 8);
  }
  buildTable(lens, 288, TK_LITLEN, scratch + SCR_FIXED_LIT, LITLEN_ROOT, LITLEN_FIXED_ENTRIES, scratch);
  for (let s: u32 = 0; s < 32; s++) store<u8>(lens + s, 5);
  buildTable(lens, 32, TK_DIST, scratch + SCR_FIXED_DIST, DIST_ROOT, DIST_FIXED_ENTRIES, scratch);
  store<u32>(scratch + SCR_FIXED_MAGIC, FIXED_MAGIC);
}

/**
 * Turns the root entries of the literal/length table at `table` (built by buildTable with root
 * LITLEN_ROOT) whose index bits hold two whole literal codes into two-literal entries. An entry at
 * index i decodes the code in the low bits of i; the second code starts l1 bits later, so the entry
 * for it is the one at i >> l1 (the root table repeats every code over the index bits it does not
 * look at), and it is whole when its length fits the LITLEN_ROOT - l1 bits that i still knows.
 * Runs from the top so that i >> l1 (< i, or i itself for i = 0) still holds a one-literal entry.
 */
export function pairLiterals(table: usize): void {
  const oneLiteral: u32 = E_KIND_MASK | (15 << E_LITS_SHIFT);
  const single: u32 = K_LIT | (1 << E_LITS_SHIFT);
  let i: u32 = (<u32>1 << LITLEN_ROOT) - 1;
  for (;;) {
    const first = load<u32>(table + (<usize>i << 2));
    if ((first & oneLiteral) == single) {
      const l1 = first & E_LEN_MASK;
      const second = load<u32>(table + (<usize>(i >> l1) << 2));
      const l2 = second & E_LEN_MASK;
      if ((second & oneLiteral) == single && l1 + l2 <= LITLEN_ROOT) {
        const pair =
          K_LIT | (2 << E_LITS_SHIFT) | (l1 << E_FIRST_LEN_SHIFT) | (l1 + l2) | (first & 0xff0000) | ((second & 0xff0000) << 8);
        store<u32>(table + (<usize>i << 2), pair);
      }
    }
    if (i == 0) break;
    i--;
  }
}

/**
 * The one-literal entry for the first literal of `e` (a two-literal entry), or `e` itself. The
 * byte-at-a-time decoder uses this so that it reads, checks and stores exactly one symbol at a time.
 */
// @ts-ignore: decorator
@inline
export function literalEntry(e: u32): u32 {
  if ((e & (E_KIND_MASK | (15 << E_LITS_SHIFT))) != (K_LIT | (2 << E_LITS_SHIFT))) return e;
  return K_LIT | (1 << E_LITS_SHIFT) | (e & 0xff0000) | ((e >> E_FIRST_LEN_SHIFT) & E_LEN_MASK);
}
