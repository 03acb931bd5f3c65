// DFLTCC-CMPR (function code 2): compress the second operand into the first (spec §3.3, §4, §5, §12.3).
//
// Outline of one call:
//   1. early outs that touch nothing: no input and CF = 0 (CC0); no output room (CC1);
//      a dynamic block to open whose CDHT is invalid (CC2 + OESC, only OESC stored);
//   2. NT = 1 starts a stream: HL = HO = 0, CV = initial value;
//   3. bits queued in the CSB by an earlier call go out first, after the SBB bits already at op1;
//   4. with BCF = 0 and input, a block header is written (BFINAL = BHF, BTYPE 01 or 10 + CDHT bits);
//   5. the input is compressed span by span (LZ77 over history + input, Huffman coded). After each
//      span the consumed bytes update CV and are appended to the history;
//   6. when op1 fills, the bits that do not fit are queued in the CSB (CF = 1) and the result is CC1;
//      when the CPU amount is used up the result is CC3; when all input is consumed and all bits are
//      out it is CC0 (after the end-of-block symbol when BCC = 1).
//
// Access models (instance.ts): in both, each span is first copied to the end of the instance's window
// (the first read) and encoded and checksummed from that copy, so the match search sees history and
// span as one linear buffer. In `single` that copy is also what the history gets. In `multiple`
// env.hazard(pb, span, length) runs next, and then the span is read AGAIN (copied over the first read)
// to append it to the history, so a concurrent change between the two reads leaves the history
// different from what the decoder reconstructs (spec §7).
//
// Matcher cache: the instance keeps a linear copy of the history (the window) and a hash index over
// it in scratch. They are reused only when the CSB names this instance and the generation of its last
// call, and pb, R3, HL, HO, the CV field and 16 sampled history bytes are unchanged; otherwise they
// are rebuilt from the history. The rebuilt state equals the state a continuous run would have (every position
// with four known bytes is indexed, and none beyond), so a copied parameter block produces exactly
// the same output as the original.

import {
  ACCESS_MULTIPLE, BLOCK_CODES_OFFSET, FIXED_CODES_OFFSET, HASH_BITS, HASH_HEAD_OFFSET, HASH_HEAD_SIZE,
  TABLE_WORK_OFFSET, WINDOW_CAPACITY, WINDOW_OFFSET, CACHE_TAG_OFFSET, accessModel,
  cpuAmount, scratch,
} from "./instance";
import {
  BCC_MASK, CC_AGAIN, CC_OK, CC_OP1_TOO_SHORT, CC_OP2_CORRUPT, CDHT, CV, FLAGS_BYTE, HBT_CIRCULAR,
  HISTORY_MASK, HISTORY_SIZE, OESC_NONE, getBCF, getCDHTL, getCF, getCheckValue, getCVT, getHL, getHO,
  getHTT, getNT, getBHF, initialCheckValue, setBCF, setCF, setCheckValue, setEndOfBlockCode, setHL,
  setHO, setNT, setOESC, setSBB, getSBB,
} from "./param-block";
import {
  BLOCK_DYNAMIC, BLOCK_FIXED, BLOCK_NONE, COMPRESS_STATE_MAGIC, STATE_BLOCK_CODE,
  STATE_DISTANCE_LENGTHS, STATE_GENERATION, STATE_LITERAL_LENGTHS, STATE_MAGIC, STATE_OWNER,
  STATE_QUEUE, STATE_QUEUED_BITS, STATE_QUEUE_BYTES,
} from "./compress-state";
import {
  writerAccumulator, writerBitCount, writerEnd, writerFull, writerOut, writerPut, writerPutStream,
  writerQueueBits, writerSpilled, writerStart, writerSync,
} from "./bit-writer";
import {
  DISTANCE_ENTRIES, DISTANCE_INFO, DISTANCE_MAP_SIZE, ENCODER_TABLE_SIZE, END_OF_BLOCK_ENTRY,
  LENGTH_ENTRIES, buildDistanceMap, buildEncoderTable, buildFixedEncoderTable,
} from "./encoder-tables";
import { readCompressedTable } from "./cdht";
import { canonicalCodes } from "./huffman";
import { DISTANCE_SYMBOLS, END_OF_BLOCK, LITERAL_LENGTH_SYMBOLS, MAX_DISTANCE } from "./deflate-alphabet";
import { crc32Update } from "./checksum";
import { adler32Fast } from "./adler32-simd";
import { historyAppendTail, historyCopyOut } from "./history";
import { hazard } from "./host-imports";
import { sameBytes } from "./same-bytes";

// ---- tuning ---------------------------------------------------------------------------------------

/** Input bytes per span (snapshot unit, hazard unit). */
const SPAN: u32 = 32768;
/** Inside matches longer than this, only the last INDEX_LAST positions are indexed at once. */
const INDEX_ALL_BELOW: u32 = 8;
const INDEX_LAST: u32 = 2;
/** Candidates examined per position (1 or 2 = BUCKET_WAYS). */
const SEARCH_WAYS: usize = 2;
/** Stop searching once a match this long is found. */
const NICE_MATCH: u32 = 8;
/** The hot path runs while at least this many bytes of op1 remain. */
const FAST_MARGIN: usize = 16;
/**
 * Pushes are remembered for taking back only while fewer than this many bytes of op1 remain: a push can
 * be taken back only if the call stops within the next four symbols (at most 6 bytes each), and with this
 * much room those are all written on the hot path.
 */
const UNDO_MARGIN: usize = 64;
/** Positions restart from here after a reset (0 means "empty" in the hash heads). */
const POSITION_ORIGIN: u32 = 65536;
/** Rebase positions before they get near 2^32 (a call adds at most 2^31 input bytes). */
const POSITION_LIMIT: u32 = 0x70000000;
const HASH_MULTIPLIER: u32 = 0x9e3779b1;

// ---- the z15's parse (asm/README.md, "How CMPR parses", gives the evidence for each rule) -----------

/** The longest match the z15 emits: 256, never 258 (ruby/spec#1083: 32 KiB of zeros). */
const HARDWARE_MAX_MATCH: u32 = 256;
/** Matches never cross a multiple of this many bytes counted from the first byte the call processes. */
const MATCH_GRID: u32 = 256;
/**
 * 3-byte matches are taken only this near. The z15 codes `bbbb` as Lit b, Match 3/1, yet takes none of the
 * 3-byte matches in ruby/zlib#60's 20000 random bytes, the nearest of which is 1098 bytes back: the limit
 * lies in [1, 1097]. 1024, the largest power of two the evidence allows, is the closest it can come to
 * zlib's own rule for 3-byte matches (TOO_FAR, 4096).
 */
const SHORT_MATCH_DISTANCE: u32 = 1024;
const SHORT_HASH_BITS: u32 = 12;

// ---- scratch regions used here --------------------------------------------------------------------

// FIXED_CODES area: the fixed encoder table, then the distance-symbol map.
const DISTANCE_MAP_OFFSET: usize = ENCODER_TABLE_SIZE + 32;
// TABLE_WORK area while compressing.
const PARSED_LITERAL_LENGTHS: usize = 0; // u8[286]
const PARSED_DISTANCE_LENGTHS: usize = 320; // u8[30]
const PARSE_WORK: usize = 512; // 4 KiB
const QUEUE_COPY: usize = 8192; // 800 bytes
const TABLE_BUILD_WORK: usize = 12288; // 2 KiB
const GAP_LOG: usize = 16384; // GAP_LOG_SIZE records of 8 bytes (64 KiB)
const GAP_LOG_SIZE: u32 = 8192;
const SHORT_TABLE: usize = 81920; // u32[1 << SHORT_HASH_BITS] (16 KiB), cleared by every call
/** Where the undo ring (4 records of 16 bytes) lives inside the CACHE_TAG area. */
const UNDO_RING_OFFSET: usize = 64;

// ---- per-instance matcher cache (module globals are private to each instance) ----------------------

let matcherReady: bool = false; // hash heads cleared at least once
let cacheValid: bool = false;
let cachePb: usize = 0;
let cacheHistory: usize = 0;
let cacheGeneration: u32 = 0;
let cacheHL: u32 = 0;
let cacheHO: u32 = 0;
let cacheCheckValue: u32 = 0; // raw CV field after the call
let blockCodesGeneration: u32 = 0; // generation whose open dynamic block is in BLOCK_CODES (0 = none)
let generationCounter: u32 = 0;
let windowBase: u32 = 0; // stream position of window[0]
let windowLength: u32 = 0; // window[0..windowLength) holds the history, newest last

export function initCompressor(): void {
  const fixed = scratch() + FIXED_CODES_OFFSET;
  buildFixedEncoderTable(fixed, scratch() + TABLE_WORK_OFFSET);
  buildDistanceMap(fixed + DISTANCE_MAP_OFFSET);
  // Continue the generation numbers a previous instance may have left in this scratch, so a stale CSB
  // tag can never name a live cache.
  generationCounter = load<u32>(scratch() + CACHE_TAG_OFFSET) + 0x10000;
  store<u32>(scratch() + CACHE_TAG_OFFSET, generationCounter);
  matcherReady = false;
  cacheValid = false;
  blockCodesGeneration = 0;
  windowBase = 0;
  windowLength = 0;
}

// @ts-ignore: decorator
@inline function hashOf(fourBytes: u32): u32 {
  return (fourBytes * HASH_MULTIPLIER) >> (32 - HASH_BITS);
}

// @ts-ignore: decorator
@inline function shortHashOf(threeBytes: u32): u32 {
  return ((threeBytes << 8) * HASH_MULTIPLIER) >> (32 - SHORT_HASH_BITS);
}

// The short-match table: for each 12-bit hash of three bytes, the newest position entered. Positions enter
// in stream order, lazily: before a lookup at p, every position of [p - SHORT_MATCH_DISTANCE, p) not yet
// entered is. A lookup therefore finds the newest position within SHORT_MATCH_DISTANCE with the same hash,
// a function of the bytes alone; the table is cleared by every call, so nothing about it is cached.
let shortNext: u32 = 0; // the next position to enter

/**
 * Enter the positions [from, p) that lie within SHORT_MATCH_DISTANCE of p (those inside earlier matches).
 * Stream position q is at `window + (q - windowBase)`: the span being encoded lies at the window's end.
 */
function shortCatchUp(table: usize, from: u32, p: u32, window: usize): void {
  let q = from;
  if (p - q > SHORT_MATCH_DISTANCE) q = p - SHORT_MATCH_DISTANCE;
  const base = windowBase;
  for (; q < p; q++) {
    store<u32>(table + (<usize>shortHashOf(load<u32>(window + <usize>(q - base)) & 0xffffff) << 2), q);
  }
}

/** Number of equal leading bytes of a and b, at most `limit`. */
// @ts-ignore: decorator
@inline function commonPrefix(a: usize, b: usize, limit: u32): u32 {
  let k: u32 = 0;
  while (limit - k >= 8) {
    const x = load<u64>(a + <usize>k) ^ load<u64>(b + <usize>k);
    if (x != 0) return k + (<u32>ctz<u64>(x) >> 3);
    k += 8;
  }
  while (k < limit && load<u8>(a + <usize>k) == load<u8>(b + <usize>k)) k++;
  return k;
}

/** Rebuild window and hash index from the `historyLength` bytes of history. */
function rebuildMatcher(pb: usize, circular: bool, historyAddress: usize, input: usize, historyLength: u32): void {
  const head = scratch() + HASH_HEAD_OFFSET;
  const window = scratch() + WINDOW_OFFSET;
  cacheValid = false; // the window no longer holds whatever stream it held
  let base = windowBase + windowLength + POSITION_ORIGIN;
  if (!matcherReady || base > POSITION_LIMIT) {
    memory.fill(head, 0, HASH_HEAD_SIZE);
    base = POSITION_ORIGIN;
    matcherReady = true;
  }
  if (circular) historyCopyOut(pb, historyAddress, window, historyLength);
  else memory.copy(window, input - <usize>historyLength, historyLength);
  windowBase = base;
  windowLength = historyLength;
  const end = base + historyLength;
  for (let q = base; q + 4 <= end; q++) {
    bucketPush(head + (<usize>hashOf(load<u32>(window + <usize>(q - base))) << 3), q);
  }
}

/** Spot-check that the cached window still equals the circular history. */
function windowMatchesHistory(pb: usize, historyAddress: usize, historyLength: u32): bool {
  if (historyLength == 0) return true;
  const window = scratch() + WINDOW_OFFSET;
  const newest = getHO(pb) + historyLength; // offset just past the newest history byte (unwrapped)
  for (let i: u32 = 0; i < 16; i++) {
    const back = 1 + <u32>((<u64>(historyLength - 1) * i) / 15);
    const fromWindow = load<u8>(window + <usize>(windowLength - back));
    const fromHistory = load<u8>(historyAddress + <usize>((newest - back) & HISTORY_MASK));
    if (fromWindow != fromHistory) return false;
  }
  return true;
}

// Results of encodeSpan besides the consumed count.
let spanStoppedForOutput: bool = false;

// Gap log: ranges [start, end) of positions this call did not enter into the index, as a ring of u64
// records (start in the low word) in TABLE_WORK. fillGaps enters those within the last 32 KiB at the
// end of the call; if the ring lost a range that may still be needed, the whole last 32 KiB is scanned.
let gapCount: u32 = 0;

// @ts-ignore: decorator
@inline function logGap(log: usize, index: u32, start: u32, end: u32): void {
  store<u64>(log + (<usize>(index & (GAP_LOG_SIZE - 1)) << 3), (<u64>end << 32) | <u64>start);
}

function recordGap(start: u32, end: u32): void {
  if (start >= end) return;
  logGap(scratch() + TABLE_WORK_OFFSET + GAP_LOG, gapCount, start, end);
  gapCount++;
}

/** Make `position` the newest entry of `bucket` (low word newest, high word the one before). */
// @ts-ignore: decorator
@inline function bucketPush(bucket: usize, position: u32): void {
  store<u64>(bucket, (load<u64>(bucket) << 32) | <u64>position);
}

/**
 * Encode the span [spanStart, spanStart + spanLength) whose bytes are at `input`, using the window for
 * earlier positions. Returns the number of bytes consumed (all of them unless op1 filled up).
 *
 * Match finder: each hash value owns a bucket of the two newest positions with that hash.
 * Every position where a symbol starts is pushed when it is searched; inside a match, positions whose
 * four bytes lie in the match are pushed too (all of them for short matches, the last INDEX_LAST for
 * long ones); the positions left out are logged (recordGap). When the call stops early, symbol-start
 * pushes that used bytes beyond the last consumed one are taken back (the three newest pushes are
 * remembered in a small ring). fillGaps() enters the logged positions of the last 32 KiB at the end of the call, so at every
 * call boundary each bucket holds the newest positions of its hash among all history positions: a
 * function of the history bytes alone, exactly what rebuildMatcher produces from a copied history.
 */
function encodeSpan(
  input: usize, spanStart: u32, spanLength: u32, windowLow: u32, codes: usize, indexAllFrom: u32, gridOrigin: u32,
): u32 {
  const head = scratch() + HASH_HEAD_OFFSET;
  const window = scratch() + WINDOW_OFFSET;
  const distanceMap = scratch() + FIXED_CODES_OFFSET + DISTANCE_MAP_OFFSET;
  const end = spanStart + spanLength;
  const base = windowBase;

  let pending = writerAccumulator;
  let n = writerBitCount;
  let out = writerOut;
  const outEnd = writerEnd;
  let stopped = false;
  let p = spanStart;
  const gapLog = scratch() + TABLE_WORK_OFFSET + GAP_LOG;
  let gaps = gapCount;
  // Ring of the newest pushes of positions whose bytes reach past the symbol being coded: 4 records of
  // (position, bucket, previous contents).
  const undo = scratch() + CACHE_TAG_OFFSET + UNDO_RING_OFFSET;
  let undoCount: u32 = 0;
  const shortTable = scratch() + TABLE_WORK_OFFSET + SHORT_TABLE;
  let entered = shortNext; // the next position to enter into the short-match table
  // The span lies at the window's end (compress() copies it there in both access models), so every
  // candidate lies at a fixed offset back from `here` in one linear buffer.
  assert(input == window + <usize>(spanStart - base));
  // The three positions before the span could not be indexed until its first bytes were known; they
  // enter now (remembered, like every push whose bytes reach past a symbol), so a run continues with the
  // nearest copy across the span boundary.
  for (let q = spanStart - 3 > windowLow ? spanStart - 3 : windowLow; q < spanStart && q + 4 <= end; q++) {
    const bucket = head + (<usize>hashOf(load<u32>(window + <usize>(q - base))) << 3);
    const before = load<u64>(bucket);
    store<u64>(bucket, (before << 32) | <u64>q);
    const record = undo + (<usize>(undoCount & 3) << 4);
    store<u32>(record, q);
    store<u32>(record, <u32>bucket, 4);
    store<u64>(record, before, 8);
    undoCount++;
  }
  while (p < end) {
    let bits: u64;
    let count: u32;
    let step: u32 = 1;
    const here = input + <usize>(p - spanStart);
    const available = end - p;
    if (available >= 3) {
      // The grid: a match ends at or before the next multiple of MATCH_GRID from the call's first byte.
      const gridRoom = MATCH_GRID - ((p - gridOrigin) & (MATCH_GRID - 1));
      const maxLength = available < gridRoom ? available : gridRoom; // never above HARDWARE_MAX_MATCH
      const current = available >= 4 ? load<u32>(here) : <u32>load<u16>(here) | (<u32>load<u8>(here, 2) << 16);
      let bestLength: u32 = 0;
      let bestCandidate: u32 = 0;
      if (available >= 4) {
        const bucket = head + (<usize>hashOf(current) << 3);
        const previous = load<u64>(bucket);
        store<u64>(bucket, (previous << 32) | <u64>p);
        if (<usize>(outEnd - out) < UNDO_MARGIN) {
          const record = undo + (<usize>(undoCount & 3) << 4);
          store<u32>(record, p);
          store<u32>(record, <u32>bucket, 4);
          store<u64>(record, previous, 8);
          undoCount++;
        }

        // Touch the next position's bucket now: when this position turns out a literal, its cache miss
        // has then overlapped this one's search. (Reads at most a byte past the span: the window has slack.)
        load<u64>(head + (<usize>hashOf(load<u32>(here, 1)) << 3));

        // Long matches: the two newest positions with the same four-byte hash, at most 32 KiB back. The
        // longer match wins; of equal lengths the nearer copy.
        // Whether a candidate is in reach is as good as random on literal-heavy input, and known only once
        // the bucket (often a cache miss) is loaded, so it is not branched on: a candidate out of reach is
        // read at `here` instead and ignored, and only "in reach and agrees on four bytes", rarely true
        // there, is a branch. (A first-four-byte mismatch is never used: the short-match search takes over.)
        // The older candidate counts only when the newer one is in reach.
        const low = p - MAX_DISTANCE > windowLow ? p - MAX_DISTANCE : windowLow;
        const newer = <u32>previous;
        const older = <u32>(previous >> 32);
        const newerInReach = (maxLength >= 4) & (newer >= low) & (newer < p);
        const olderInReach = SEARCH_WAYS > 1 && newerInReach & (older >= low) & (older < newer);
        const newerThere = here - <usize>(p - select<u32>(newer, p, newerInReach));
        const olderThere = here - <usize>(p - select<u32>(older, p, olderInReach));
        const newerAgrees = newerInReach & (load<u32>(newerThere) == current);
        const olderAgrees = olderInReach & (load<u32>(olderThere) == current);
        if (newerAgrees | olderAgrees) {
          if (newerAgrees) {
            bestLength = commonPrefix(newerThere + 4, here + 4, maxLength - 4) + 4;
            bestCandidate = newer;
          }
          if (olderAgrees && bestLength < NICE_MATCH && bestLength < maxLength) {
            const length = commonPrefix(olderThere + 4, here + 4, maxLength - 4) + 4;
            if (length > bestLength) {
              bestLength = length;
              bestCandidate = older;
            }
          }
        }
      }
      // Failing that, a short match: the newest position within SHORT_MATCH_DISTANCE with the same
      // three-byte hash (three bytes or more).
      if (bestLength < 4) {
        bestLength = 0;
        if (entered != p) shortCatchUp(shortTable, entered, p, window);
        const slot = shortTable + (<usize>shortHashOf(current & 0xffffff) << 2);
        const near = load<u32>(slot); // entered earlier, so below p (0 when none: out of reach)
        store<u32>(slot, p);
        entered = p + 1;
        // One well-predicted branch: the candidate's bytes are read (from a safe place when it is out of
        // reach or in the window) whatever the distance, and only the combined test branches.
        const reach = p - near <= SHORT_MATCH_DISTANCE;
        const there = here - <usize>(p - select<u32>(near, p, reach));
        if (reach & (((load<u32>(there) ^ current) & 0xffffff) == 0) & (maxLength >= 3)) {
          bestLength = 3 + commonPrefix(there + 3, here + 3, maxLength - 3);
          bestCandidate = near;
        }
      }
      if (bestLength >= 3) {
        // Touch the bucket of the position after the match, to overlap its cache miss with this match's pushes.
        load<u64>(head + (<usize>hashOf(load<u32>(here + <usize>bestLength)) << 3));
        const distance = p - bestCandidate;
        const lengthEntry = load<u32>(codes + LENGTH_ENTRIES + (<usize>bestLength << 2));
        const distanceLess1 = distance - 1;
        // One load from the map whichever half it comes from (a select, not a hard-to-predict branch).
        const mapIndex = select<u32>(distanceLess1, 256 + (distanceLess1 >> 7), distanceLess1 < 256);
        const symbol = <usize>load<u8>(distanceMap + <usize>mapIndex);
        const distanceEntry = load<u32>(codes + DISTANCE_ENTRIES + (symbol << 2));
        const distanceInfo = load<u32>(codes + DISTANCE_INFO + (symbol << 2));
        const lengthBits = lengthEntry >> 24;
        const distanceCodeBits = distanceEntry >> 24;
        bits = <u64>(lengthEntry & 0xffffff) |
          ((<u64>(distanceEntry & 0xffffff) | (<u64>(distance - (distanceInfo & 0xffff)) << <u64>distanceCodeBits)) << <u64>lengthBits);
        count = lengthBits + distanceCodeBits + (distanceInfo >> 16);
        step = bestLength;
        // Positions inside the match whose four bytes are in the match. In the last 32 KiB of the
        // call all of them are pushed, and the last three (whose bytes reach past the match) become
        // `late`. Before that only short matches are fully pushed (long ones: the last INDEX_LAST)
        // and the rest is logged as a gap, which fillGaps ignores unless the call stops early.
        const last = p + bestLength - 4;
        // A short match's positions also enter the 3-byte table now, from the same loads (entering early
        // changes no lookup: only positions within SHORT_MATCH_DISTANCE are ever used). Long matches leave
        // theirs to shortCatchUp, which enters at most the last SHORT_MATCH_DISTANCE of them when needed.
        const eager = bestLength <= INDEX_ALL_BELOW;
        if (eager && entered <= p) {
          if (entered != p) shortCatchUp(shortTable, entered, p, window);
          store<u32>(shortTable + (<usize>shortHashOf(current & 0xffffff) << 2), p);
        }
        let q = p + 1;
        if (p < indexAllFrom) {
          if (bestLength > INDEX_ALL_BELOW) {
            q = last + 1 - INDEX_LAST;
            logGap(gapLog, gaps, p + 1, p + bestLength);
          } else {
            logGap(gapLog, gaps, last + 1, p + bestLength);
          }
          gaps++;
        }
        // The match's last positions (the last two of a 3-byte match) enter at once too, so the next search
        // sees the nearest copy (distance 1 in a run). Their bytes reach past the match: while op1 is nearly
        // full each of their pushes is remembered, to be taken back if the call stops before those bytes
        // are consumed. Otherwise all the match's pushes run in one loop (one loop exit per match).
        const lastKnown = end - 4; // positions beyond have fewer than four known bytes
        const lateEnd = p + bestLength - 1 < lastKnown ? p + bestLength - 1 : lastKnown; // >= last
        if (<usize>(outEnd - out) >= UNDO_MARGIN) {
          while (q <= lateEnd) {
            const bytes = load<u32>(input + <usize>(q - spanStart));
            bucketPush(head + (<usize>hashOf(bytes) << 3), q);
            if (eager) store<u32>(shortTable + (<usize>shortHashOf(bytes & 0xffffff) << 2), q);
            q++;
          }
        } else {
          while (q <= last) {
            const bytes = load<u32>(input + <usize>(q - spanStart));
            bucketPush(head + (<usize>hashOf(bytes) << 3), q);
            if (eager) store<u32>(shortTable + (<usize>shortHashOf(bytes & 0xffffff) << 2), q);
            q++;
          }
          q = last + 1 > p + 1 ? last + 1 : p + 1;
          while (q <= lateEnd) {
            const bytes = load<u32>(input + <usize>(q - spanStart));
            const lateBucket = head + (<usize>hashOf(bytes) << 3);
            if (eager) store<u32>(shortTable + (<usize>shortHashOf(bytes & 0xffffff) << 2), q);
            const before = load<u64>(lateBucket);
            store<u64>(lateBucket, (before << 32) | <u64>q);
            const lateRecord = undo + (<usize>(undoCount & 3) << 4);
            store<u32>(lateRecord, q);
            store<u32>(lateRecord, <u32>lateBucket, 4);
            store<u64>(lateRecord, before, 8);
            undoCount++;
            q++;
          }
        }
        if (eager) entered = q;
      } else {
        const entry = load<u32>(codes + (<usize>(current & 0xff) << 2));
        bits = <u64>(entry & 0xffffff);
        count = entry >> 24;
      }
    } else {
      const entry = load<u32>(codes + (<usize>load<u8>(here) << 2));
      bits = <u64>(entry & 0xffffff);
      count = entry >> 24;
    }

    p += step;
    if (<usize>(outEnd - out) >= FAST_MARGIN) {
      pending |= bits << <u64>n;
      n += count;
      store<u64>(out, pending);
      const whole = n >> 3;
      out += <usize>whole;
      pending >>= <u64>(whole << 3);
      n &= 7;
    } else {
      writerSync(pending, n, out);
      writerPut(bits, count);
      pending = writerAccumulator;
      n = writerBitCount;
      out = writerOut;
      if (writerFull()) {
        stopped = true;
        break;
      }
    }
  }
  writerSync(pending, n, out);
  gapCount = gaps;
  shortNext = entered;
  // The last three positions of the span (fewer than four known bytes: never indexed here).
  recordGap(end - 3 > spanStart ? end - 3 : spanStart, p);

  // Take back the pushes built from bytes this call did not consume, newest first: at most the three
  // positions before the stop, each pushed once and remembered in the ring (nothing unremembered can be
  // pushed after them: positions inside later matches would lie beyond the stop).
  if (stopped) {
    for (let taken: u32 = 0; taken < 3 && taken < undoCount; taken++) {
      const record = undo + (<usize>((undoCount - 1 - taken) & 3) << 4);
      const position = load<u32>(record);
      if (position + 4 <= p) break;
      takeBack(<usize>load<u32>(record, 4), position, load<u64>(record, 8));
    }
  }
  spanStoppedForOutput = stopped;
  return p - spanStart;
}

/** Enter `q` into `bucket` unless it is there, keeping the two newest positions, newest first. */
// @ts-ignore: decorator
@inline function insertNewest(bucket: usize, q: u32): void {
  const entries = load<u64>(bucket);
  const newest = <u32>entries;
  if (q > newest) {
    store<u64>(bucket, (entries << 32) | <u64>q);
  } else if (q != newest && q > <u32>(entries >> 32)) {
    store<u64>(bucket, (<u64>q << 32) | <u64>newest);
  }
}

/**
 * Undo the push of `position` into `bucket`, whose contents before that push were `before`: the
 * bucket becomes the two newest of its other entries and the ones `before` held. (Positions entered
 * after the push with insertNewest survive; no later push can be newer than an undone one.)
 */
function takeBack(bucket: usize, position: u32, before: u64): void {
  const now = load<u64>(bucket);
  let first: u32 = 0;
  let second: u32 = 0;
  for (let i = 0; i < 4; i++) {
    const v = i == 0 ? <u32>now : i == 1 ? <u32>(now >> 32) : i == 2 ? <u32>before : <u32>(before >> 32);
    if (v == position || v == first || v == second) continue;
    if (v > first) {
      second = first;
      first = v;
    } else if (v > second) {
      second = v;
    }
  }
  store<u64>(bucket, (<u64>second << 32) | <u64>first);
}

/**
 * Enter every position of [from, to) into its bucket unless already there, keeping each bucket the
 * BUCKET_WAYS newest positions of its hash, newest first.
 */
function completeIndex(from: u32, to: u32): void {
  const head = scratch() + HASH_HEAD_OFFSET;
  const window = scratch() + WINDOW_OFFSET;
  const base = windowBase;
  for (let q = from; q < to; q++) {
    insertNewest(head + (<usize>hashOf(load<u32>(window + <usize>(q - base))) << 3), q);
  }
}

/** Enter the logged gaps that lie in [low, high) (or, if the log lost some, all of [low, high)). */
function fillGaps(low: u32, high: u32): void {
  const log = scratch() + TABLE_WORK_OFFSET + GAP_LOG;
  let first: u32 = 0;
  if (gapCount > GAP_LOG_SIZE) {
    first = gapCount - GAP_LOG_SIZE;
    // Ranges before the oldest kept one are lost; they matter if that one starts inside [low, high).
    if (load<u32>(log + (<usize>(first & (GAP_LOG_SIZE - 1)) << 3)) > low) {
      completeIndex(low, high);
      return;
    }
  }
  for (let i = first; i < gapCount; i++) {
    const record = log + (<usize>(i & (GAP_LOG_SIZE - 1)) << 3);
    let start = load<u32>(record);
    let end = load<u32>(record, 4);
    if (start < low) start = low;
    if (end > high) end = high;
    if (start < end) completeIndex(start, end);
  }
}

/** Load the encoder table of the open dynamic block from the code lengths in the CSB. */
function buildBlockCodes(pb: usize): void {
  buildEncoderTable(
    scratch() + BLOCK_CODES_OFFSET, pb + STATE_LITERAL_LENGTHS, LITERAL_LENGTH_SYMBOLS,
    pb + STATE_DISTANCE_LENGTHS, scratch() + TABLE_WORK_OFFSET + TABLE_BUILD_WORK,
  );
}

/** Natural-order code and length of end-of-block for the given code lengths (EOBS/EOBL). */
function setEndOfBlockFromLengths(pb: usize, literalLengths: usize): void {
  const codes = scratch() + TABLE_WORK_OFFSET + TABLE_BUILD_WORK; // u16[286]
  canonicalCodes(literalLengths, LITERAL_LENGTH_SYMBOLS, codes, codes + 640);
  setEndOfBlockCode(pb, <u32>load<u16>(codes + (<usize>END_OF_BLOCK << 1)), <u32>load<u8>(literalLengths + END_OF_BLOCK));
}

/**
 * The open block's code, recorded in the CSB: the parsed CDHT's lengths (dynamic, with the encoder
 * tables built from them) or the fixed code. Sets EOBS/EOBL for it and returns the BLOCK_* kind.
 */
function adoptBlockCode(pb: usize, work: usize, dynamic: bool): u8 {
  let kind: u8;
  if (dynamic) {
    memory.copy(pb + STATE_LITERAL_LENGTHS, work + PARSED_LITERAL_LENGTHS, LITERAL_LENGTH_SYMBOLS);
    memory.copy(pb + STATE_DISTANCE_LENGTHS, work + PARSED_DISTANCE_LENGTHS, DISTANCE_SYMBOLS);
    kind = BLOCK_DYNAMIC;
    setEndOfBlockFromLengths(pb, pb + STATE_LITERAL_LENGTHS);
    buildBlockCodes(pb);
  } else {
    kind = BLOCK_FIXED;
    setEndOfBlockCode(pb, 0, 7);
  }
  store<u8>(pb + STATE_BLOCK_CODE, kind);
  return kind;
}

export function compress(gr0: u32, pb: usize, regs: usize): i32 {
  const r1 = <usize>load<u32>(regs);
  const r1Length = load<u32>(regs, 4);
  const r2 = <usize>load<u32>(regs, 8);
  const r2Length = load<u32>(regs, 12);
  const r3 = <usize>load<u32>(regs, 16);
  const circular = (gr0 & HBT_CIRCULAR) != 0;
  const continuing = getCF(pb);

  if (r2Length == 0 && !continuing) return CC_OK;
  if (r1Length == 0) return CC_OP1_TOO_SHORT;

  const work = scratch() + TABLE_WORK_OFFSET;
  const stateValid = load<u32>(pb + STATE_MAGIC) == COMPRESS_STATE_MAGIC;
  let blockOpen = getBCF(pb);
  let blockCode: u8 = stateValid ? load<u8>(pb + STATE_BLOCK_CODE) : BLOCK_NONE;
  const opening = !blockOpen && r2Length > 0;
  // A block the program says is open but whose code this state does not know: take HTT/CDHT.
  const adopting = blockOpen && r2Length > 0 && blockCode != BLOCK_DYNAMIC && blockCode != BLOCK_FIXED;
  let parsedTable = false;
  if ((opening || adopting) && getHTT(pb)) {
    const oesc = readCompressedTable(pb, work + PARSED_LITERAL_LENGTHS, work + PARSED_DISTANCE_LENGTHS, work + PARSE_WORK);
    if (oesc != OESC_NONE) {
      setOESC(pb, oesc);
      return CC_OP2_CORRUPT;
    }
    parsedTable = true;
  }

  // From here on the call changes state.
  const queuedBits = stateValid && continuing ? load<u32>(pb + STATE_QUEUED_BITS) : 0;
  if (!stateValid) {
    store<u32>(pb + STATE_MAGIC, COMPRESS_STATE_MAGIC);
    store<u32>(pb + STATE_OWNER, 0);
    store<u32>(pb + STATE_GENERATION, 0);
    store<u32>(pb + STATE_QUEUED_BITS, 0);
    store<u8>(pb + STATE_BLOCK_CODE, BLOCK_NONE);
  }
  setOESC(pb, OESC_NONE);
  const newTask = getNT(pb);
  if (newTask) {
    setHL(pb, 0);
    setHO(pb, 0);
    setCheckValue(pb, initialCheckValue(pb));
  }
  const adler = getCVT(pb);
  let checkValue = getCheckValue(pb);

  // Output starts after the SBB valid bits of the byte at op1, then any queued bits.
  const sbb = getSBB(pb);
  const partial: u64 = sbb != 0 ? <u64>(<u32>load<u8>(r1) & ((<u32>1 << sbb) - 1)) : 0;
  if (queuedBits != 0) memory.copy(work + QUEUE_COPY, pb + STATE_QUEUE, (queuedBits + 7) >> 3);
  writerStart(r1, r1 + <usize>r1Length, partial, sbb, pb + STATE_QUEUE);
  if (queuedBits != 0) writerPutStream(work + QUEUE_COPY, queuedBits);

  // Which code the block uses.
  let codesBuilt = false;
  if (opening && !writerFull()) {
    const dynamic = getHTT(pb);
    writerPut(<u64>((getBHF(pb) ? 1 : 0) | ((dynamic ? 2 : 1) << 1)), 3);
    if (dynamic) writerPutStream(pb + CDHT, getCDHTL(pb));
    blockCode = adoptBlockCode(pb, work, dynamic);
    codesBuilt = dynamic;
    blockOpen = true;
    setBCF(pb, true);
  } else if (adopting) {
    blockCode = adoptBlockCode(pb, work, parsedTable);
    codesBuilt = parsedTable;
  }

  // Matcher cache: reuse or rebuild.
  const owner = load<u32>(pb + STATE_OWNER);
  const ownerGeneration = load<u32>(pb + STATE_GENERATION);
  let historyLength = getHL(pb);
  const cacheHit = cacheValid && circular && !newTask && owner == <u32>scratch() &&
    ownerGeneration == cacheGeneration && cachePb == pb && cacheHistory == r3 &&
    historyLength == cacheHL && getHO(pb) == cacheHO && load<u32>(pb + CV) == cacheCheckValue &&
    windowBase + windowLength < POSITION_LIMIT && windowMatchesHistory(pb, r3, historyLength);
  if (blockOpen && blockCode == BLOCK_DYNAMIC && !codesBuilt &&
      !(cacheHit && blockCodesGeneration == cacheGeneration)) {
    buildBlockCodes(pb);
  }
  // BLOCK_CODES now belongs to this stream (or is unused by it).
  blockCodesGeneration = 0;
  const codes = blockCode == BLOCK_DYNAMIC ? scratch() + BLOCK_CODES_OFFSET : scratch() + FIXED_CODES_OFFSET;

  let input = r2;
  let remaining = r2Length;
  let matcherCurrent = cacheHit;
  if (remaining > 0 && !writerFull() && blockOpen) {
    if (!cacheHit) {
      if (!circular && <u32>input < historyLength) historyLength = <u32>input;
      rebuildMatcher(pb, circular, r3, input, historyLength);
    }
    matcherCurrent = true;
    const windowLow = windowBase + windowLength - historyLength;
    gapCount = 0;
    // The last three history positions could not be indexed before their successors were known.
    const historyEnd = windowBase + windowLength;
    const callEnd = historyEnd + remaining;
    const indexAllFrom = callEnd > HISTORY_SIZE ? callEnd - HISTORY_SIZE : 0;
    recordGap(historyEnd - (historyLength < 3 ? historyLength : 3), historyEnd);
    const multiple = accessModel() == ACCESS_MULTIPLE;
    const callStart = historyEnd; // the grid's origin
    memory.fill(scratch() + TABLE_WORK_OFFSET + SHORT_TABLE, 0, <usize>4 << SHORT_HASH_BITS);
    shortNext = callStart - windowLow > SHORT_MATCH_DISTANCE ? callStart - SHORT_MATCH_DISTANCE : windowLow;
    let budget = cpuAmount();
    if (budget == 0) budget = 0xffffffff;
    const window = scratch() + WINDOW_OFFSET;

    while (remaining > 0 && budget > 0 && !writerFull()) {
      let spanLength = remaining < SPAN ? remaining : SPAN;
      if (spanLength > budget) spanLength = budget;
      if (windowLength + spanLength > <u32>WINDOW_CAPACITY) {
        const drop = windowLength - HISTORY_SIZE;
        memory.copy(window, window + <usize>drop, HISTORY_SIZE);
        windowBase += drop;
        windowLength = HISTORY_SIZE;
      }
      const spanStart = windowBase + windowLength;
      // The first read: the span is copied to the window's end and encoded and checksummed from there.
      const source = window + <usize>windowLength;
      memory.copy(source, input, spanLength);
      const consumed = encodeSpan(source, spanStart, spanLength, windowLow, codes, indexAllFrom, callStart);
      assert(consumed <= spanLength && (consumed == spanLength || spanStoppedForOutput));
      if (consumed > 0) {
        checkValue = adler ? adler32Fast(checkValue, source, consumed) : crc32Update(checkValue, source, consumed);
        if (multiple) {
          hazard(<i32>pb, <i32>input, <i32>consumed);
          // Second access: the history gets what memory holds now. The window still holds the first read,
          // so only a span that changed in between is copied over it; then it is indexed from what the
          // history now holds, as a rebuild would: later matches are found (and verified) against it.
          if (!sameBytes(source, input, consumed)) {
            memory.copy(source, input, consumed);
            recordGap(spanStart, spanStart + consumed);
          }
        }
        windowLength += consumed;
        input += <usize>consumed;
        remaining -= consumed;
        budget -= consumed;
      }
      if (spanStoppedForOutput) break;
    }
    // The consumed bytes join the history. The window holds (at least) their last 32 KiB, as read for
    // the history (the snapshot in `single`, the second read in `multiple`), so only those are copied.
    const total = r2Length - remaining;
    if (circular) {
      const kept = total < HISTORY_SIZE ? total : HISTORY_SIZE;
      historyAppendTail(pb, r3, window + <usize>(windowLength - kept), kept, <u64>total);
    } else {
      const grown = <u64>getHL(pb) + <u64>total;
      setHL(pb, grown > <u64>HISTORY_SIZE ? HISTORY_SIZE : <u32>grown);
    }
    // Index the positions this call skipped, in the last 32 KiB (see encodeSpan).
    const t = windowBase + windowLength;
    fillGaps(t - HISTORY_SIZE > windowLow ? t - HISTORY_SIZE : windowLow, t - 3);
  }

  // Close the block when asked and everything is consumed.
  const hadWork = r2Length > 0 || continuing;
  if (remaining == 0 && !writerSpilled && getFlagBCC(pb) && hadWork && blockOpen && blockCode != BLOCK_NONE) {
    const entry = load<u32>(codes + END_OF_BLOCK_ENTRY);
    writerPut(<u64>(entry & 0xffffff), entry >> 24);
    blockOpen = false;
    setBCF(pb, false);
    store<u8>(pb + STATE_BLOCK_CODE, BLOCK_NONE);
  }

  // Finish the output: queued bits stay in the CSB; otherwise the partial byte is stored at R1.
  let cc: i32;
  assert(writerBitCount < 8 && writerOut <= writerEnd);
  assert(writerQueueBits <= STATE_QUEUE_BYTES * 8);
  if (writerSpilled) {
    setCF(pb, true);
    store<u32>(pb + STATE_QUEUED_BITS, writerQueueBits);
    setSBB(pb, 0);
    cc = CC_OP1_TOO_SHORT;
  } else {
    setCF(pb, false);
    store<u32>(pb + STATE_QUEUED_BITS, 0);
    if (writerBitCount != 0) store<u8>(writerOut, <u8>writerAccumulator);
    setSBB(pb, writerBitCount);
    if (remaining == 0) cc = CC_OK;
    else if (writerOut == writerEnd) cc = CC_OP1_TOO_SHORT;
    else cc = CC_AGAIN;
  }
  store<u32>(regs, <u32>writerOut);
  store<u32>(regs, <u32>(writerEnd - writerOut), 4);
  store<u32>(regs, <u32>input, 8);
  store<u32>(regs, remaining, 12);
  setCheckValue(pb, checkValue);
  setNT(pb, false);

  // Tag the matcher cache with this call's generation.
  if (matcherCurrent && circular) {
    generationCounter++;
    if (generationCounter == 0) generationCounter = 1;
    store<u32>(scratch() + CACHE_TAG_OFFSET, generationCounter);
    cacheValid = true;
    cachePb = pb;
    cacheHistory = r3;
    cacheGeneration = generationCounter;
    cacheHL = getHL(pb);
    cacheHO = getHO(pb);
    cacheCheckValue = load<u32>(pb + CV);
    if (blockOpen && blockCode == BLOCK_DYNAMIC) blockCodesGeneration = generationCounter;
    store<u32>(pb + STATE_OWNER, <u32>scratch());
    store<u32>(pb + STATE_GENERATION, generationCounter);
  } else {
    store<u32>(pb + STATE_OWNER, 0);
    store<u32>(pb + STATE_GENERATION, 0);
  }
  return cc;
}

// @ts-ignore: decorator
@inline function getFlagBCC(pb: usize): bool {
  return (load<u8>(pb + FLAGS_BYTE) & BCC_MASK) != 0;
}
