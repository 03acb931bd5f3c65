// DFLTCC-XPND (function code 4): DEFLATE decoding (spec §3.5, §4, §5.1, §5.3, §6, §12.4).
//
// Structure
//   expand()        register/parameter-block plumbing: entry (NT, CF, SBB) and exit (registers, SBB,
//                   CF, OESC, check value, history, continuation state)
//   run()           the resumable state machine (one DEFLATE element per step); it reads input a byte
//                   at a time and is used near the ends of the operands and for block headers
//   inflateFast()   the hot loop for literal/length/distance symbols while at least FAST_IN input bytes
//                   remain: 64-bit bit buffer refilled with one 8-byte load, one table lookup per
//                   symbol (up to three literals per refill), chunked match copies (16-byte SIMD when
//                   there is room, exact copies near the end of the first operand)
//   checkpoint()    folds the check value over the output produced since the last fold; run() calls it
//                   every CHECK_CHUNK bytes so the checksum reads output that is still in cache
//
// Continuation state lives only in the parameter block (CSB layout in expand-state.ts). The decode
// tables of a dynamic block are rebuilt from the code lengths kept in the CSB whenever the tables in
// this instance's expand scratch were built from other lengths (the scratch keeps a copy of the
// lengths as the cache tag), so a copied parameter block, another stream or another instance all
// decode correctly.
//
// History
//   HBT = 1 (circular): back-references reach into the HL bytes of the 32 KiB circular buffer at R3
//     (oldest at HO) followed by the output of this call; at exit the output is appended to the buffer
//     (history.ts, §4.1).
//   HBT = 0 (in-line, a best-effort choice; no known client uses it for XPND): the history is the HL
//     bytes immediately BEFORE the first-operand address, i.e. the output already produced into the
//     same linear buffer. HO is not used; at exit HL := min(32768, HL + bytes produced).
//   NT = 1: the history is ignored (HL := 0, HO := 0) and the check value starts afresh.
//
// Work bound: when the instance's cpuAmount() is nonzero, a call stops with CC3 after producing that
// many output bytes (elements that produce no output are still processed, so a stream that ends there
// ends with CC0).

import {
  CF_BYTE,
  CF_MASK,
  CSB,
  CC_AGAIN,
  CC_OK,
  CC_OP1_TOO_SHORT,
  CC_OP2_TOO_SHORT,
  HBT_CIRCULAR,
  HISTORY_MASK,
  HISTORY_SIZE,
  getCVT,
  getHL,
  getHO,
  getNT,
  getSBB,
  setHL,
  setHO,
  setNT,
  setOESC,
  setSBB,
  getCheckValue,
  setCheckValue,
} from "./param-block";
import { adler32Fast } from "./adler32-simd";
import { crc32Update } from "./checksum";
import { historyAppend, ringCopyOut } from "./history";
import { cpuAmount, expandScratch } from "./instance";
import {
  XPND_OESC_BAD_BLOCK_TYPE,
  XPND_OESC_BAD_CL_CODE,
  XPND_OESC_BAD_CL_SET,
  XPND_OESC_BAD_CSB,
  XPND_OESC_BAD_DIST_CODE,
  XPND_OESC_BAD_DIST_SET,
  XPND_OESC_BAD_LITLEN_SET,
  XPND_OESC_BAD_STORED_LEN,
  XPND_OESC_DIST_TOO_FAR,
  XPND_OESC_NO_EOB,
  XPND_OESC_REPEAT_NO_PREV,
  XPND_OESC_REPEAT_OVERFLOW,
  XPND_OESC_TOO_MANY_SYMBOLS,
} from "./expand-errors";
import {
  CSB_BITS,
  CSB_CLLENS,
  CSB_DIST,
  CSB_EXTRA,
  CSB_FLAGS,
  CSB_HCLEN,
  CSB_HDIST,
  CSB_HLIT,
  CSB_HOLD,
  CSB_INDEX,
  CSB_LENGTH,
  CSB_LENS,
  CSB_LENS_BYTES,
  CSB_MAGIC,
  CSB_MODE,
  XF_BTYPE_MASK,
  XF_BTYPE_SHIFT,
  XF_LAST,
  XM_CODELENS,
  XM_COPY,
  XM_DIST,
  XM_DISTEXT,
  XM_DONE,
  XM_HEAD,
  XM_LAST_MODE,
  XM_LEN,
  XM_LENEXT,
  XM_LENLENS,
  XM_LIT,
  XM_MATCH,
  XM_STORED,
  XM_TABLE,
  XPND_CSB_MAGIC,
  packedLenGet,
  packedLenOr,
} from "./expand-state";
import {
  BUILD_OK,
  BUILD_OVER,
  CODELEN_ROOT,
  DIST_DYN_ENTRIES,
  DIST_ROOT,
  E_AUX_SHIFT,
  E_KIND_MASK,
  E_LEN_MASK,
  E_LITS_SHIFT,
  K_BAD,
  K_BASE,
  K_EOB,
  K_LINK,
  K_LIT,
  LITLEN_DYN_ENTRIES,
  LITLEN_ROOT,
  SCR_CL_TABLE,
  SCR_DYN_DIST,
  SCR_DYN_LIT,
  SCR_FIXED_DIST,
  SCR_FIXED_LIT,
  SCR_LENS,
  SCR_TAG_HLIT,
  SCR_TAG_LENS,
  SCR_TAG_VALID,
  TK_CODELEN,
  TK_DIST,
  TK_LITLEN,
  buildTable,
  clOrder,
  ensureFixedTables,
  literalEntry,
  pairLiterals,
} from "./inflate-tables";

// Why run() stopped.
const R_DONE: i32 = 0; // end of the final block
const R_OUT: i32 = 1; // needs room in the first operand (or the work bound was reached)
const R_IN: i32 = 2; // needs more second-operand bytes
const R_ERR: i32 = 3; // invalid data; gOesc holds the code

/** Input bytes the fast loop needs: one 8-byte refill. */
const FAST_IN: usize = 8;
/** Output room below which the fast loop stops (six two-byte literal stores must fit). */
const FAST_OUT_MIN: usize = 12;
/** Longest match (DEFLATE length 258). */
const MAX_MATCH: u32 = 258;
/** Output bytes the fast loop produces before it returns, so the check value is folded cache-hot. */
const FAST_SPAN: usize = 65536;
/** Fold the check value whenever this much unchecked output has accumulated. */
const CHECK_CHUNK: usize = 65536;

// ---- per-call state (wasm globals are private to each instance) ------------------------------------

let gPb: usize = 0;
let gCsb: usize = 0;
let gScratch: usize = 0;
let gIn: usize = 0; // next unread second-operand byte
let gInEnd: usize = 0;
let gOut: usize = 0; // next first-operand byte to store
let gOutEnd: usize = 0; // where this call must stop storing (operand end or the work bound)
let gOutStart: usize = 0; // first-operand address at entry
let gHold: u64 = 0; // bit buffer: the low gBits bits are the next stream bits
let gBits: u32 = 0;
let gMode: u32 = XM_HEAD;
let gFlags: u32 = 0; // XF_LAST | btype << XF_BTYPE_SHIFT
let gExtra: u32 = 0;
let gLength: u32 = 0;
let gDist: u32 = 0;
let gLitTab: usize = 0; // root LITLEN_ROOT
let gDistTab: usize = 0; // root DIST_ROOT
let gWhave: u32 = 0; // history bytes that precede this call's output
let gCircular: bool = true;
let gHist: usize = 0; // circular history buffer (R3)
let gHistEnd: u32 = 0; // (HO + HL) mod 32768 at entry: where this call's output would be appended
let gOesc: u32 = 0;
let gAdler: bool = false; // CVT: Adler-32 (else CRC-32)
let gCheck: u32 = 0; // check value over the output up to gCheckDone
let gCheckDone: usize = 0;

// ---- entry point ------------------------------------------------------------------------------------

/**
 * DFLTCC-XPND. `regs` points to five little-endian u32 words: R1 (output address), R1+1 (output
 * length), R2 (input address), R2+1 (input length), R3 (circular history address when HBT = 1).
 * Returns the condition code.
 */
export function expand(gr0: u32, pb: usize, regs: usize): i32 {
  const r1 = <usize>load<u32>(regs);
  const r1len = <usize>load<u32>(regs, 4);
  const r2 = <usize>load<u32>(regs, 8);
  const r2len = <usize>load<u32>(regs, 12);
  const r3 = <usize>load<u32>(regs, 16);

  gPb = pb;
  gCsb = pb + CSB;
  gScratch = expandScratch();
  gCircular = (gr0 & HBT_CIRCULAR) != 0;
  gHist = r3;
  gOesc = 0;

  const newTask = getNT(pb);
  if (newTask) {
    setHL(pb, 0);
    setHO(pb, 0);
  }
  const hl = getHL(pb);
  let whave = hl > HISTORY_SIZE ? HISTORY_SIZE : hl;
  // In-line history cannot start below address 0.
  if (!gCircular && <usize>whave > r1) whave = <u32>r1;
  gWhave = whave;
  gHistEnd = (getHO(pb) + whave) & HISTORY_MASK;
  gAdler = getCVT(pb);
  gCheck = newTask ? (gAdler ? 1 : 0) : getCheckValue(pb);

  gIn = r2;
  gInEnd = r2 + r2len;
  gOutStart = r1;
  gOut = r1;
  gCheckDone = r1;
  const outLimit = r1 + r1len;
  const budget = <usize>cpuAmount();
  gOutEnd = budget != 0 && budget < r1len ? r1 + budget : outLimit;

  let reason: i32;
  if (!newTask && (load<u8>(pb + CF_BYTE) & CF_MASK) != 0) {
    reason = loadState();
  } else {
    gMode = XM_HEAD;
    gFlags = 0;
    gHold = 0;
    gBits = 0;
    gExtra = 0;
    gLength = 0;
    gDist = 0;
    reason = -1;
  }

  // The low SBB bits of the first byte were used already.
  const sbbIn = getSBB(pb);
  let skip: u32 = 0; // bits of the first operand byte skipped because of SBB
  if (reason < 0 && sbbIn != 0 && gIn < gInEnd) {
    gHold |= (<u64>(load<u8>(gIn) >> <u8>sbbIn)) << gBits;
    gBits += 8 - sbbIn;
    gIn++;
    skip = sbbIn;
  }

  if (reason < 0) reason = run();

  // ---- output side: check value, history, registers
  const produced = gOut - r1;
  checkpoint();
  if (produced != 0) {
    if (gCircular) {
      historyAppend(pb, r3, r1, produced);
    } else {
      const total = <u64>hl + <u64>produced;
      setHL(pb, total > <u64>HISTORY_SIZE ? HISTORY_SIZE : <u32>total);
    }
  }
  setCheckValue(pb, gCheck);
  store<u32>(regs, <u32>gOut);
  store<u32>(regs, <u32>(r1len - produced), 4);

  // ---- input side: hand back whole unused bytes, report the bit position in SBB
  let newIn: usize;
  let newSbb: u32;
  if (reason == R_IN) {
    newIn = gInEnd;
    newSbb = 0;
    gHold &= gBits == 0 ? 0 : (<u64>-1) >> (64 - gBits);
  } else if (gIn == r2) {
    // Nothing read from this operand: it stays as it was; unused bits stay in the CSB.
    newIn = r2;
    newSbb = sbbIn;
  } else {
    // Bits taken from this call's second operand (the first byte counts from bit `skip`).
    const loaded = (<u64>(gIn - r2) << 3) - <u64>skip;
    if (<u64>gBits <= loaded) {
      const pos = <u64>skip + loaded - <u64>gBits;
      newIn = r2 + <usize>(pos >> 3);
      newSbb = <u32>(pos & 7);
      gBits = 0;
      gHold = 0;
    } else {
      // Some unused bits came from an earlier call's operand: keep them in the CSB.
      newIn = r2;
      newSbb = sbbIn;
      gBits -= <u32>loaded;
      gHold &= gBits == 0 ? 0 : (<u64>-1) >> (64 - gBits);
    }
  }
  store<u32>(regs, <u32>newIn, 8);
  store<u32>(regs, <u32>(r2len - (newIn - r2)), 12);
  setSBB(pb, newSbb);
  setNT(pb, false);

  let cc: i32;
  let cf = true;
  if (reason == R_DONE) {
    cc = CC_OK;
    cf = false;
    setOESC(pb, 0);
  } else if (reason == R_OUT) {
    cc = gOut == outLimit ? CC_OP1_TOO_SHORT : CC_AGAIN;
    setOESC(pb, 0);
  } else if (reason == R_IN) {
    cc = CC_OP2_TOO_SHORT;
    setOESC(pb, 0);
  } else {
    cc = CC_OP2_TOO_SHORT;
    cf = false;
    setOESC(pb, gOesc);
  }
  const cfByte = load<u8>(pb + CF_BYTE);
  store<u8>(pb + CF_BYTE, cf ? cfByte | CF_MASK : cfByte & ~CF_MASK);
  if (cf) saveState();
  return cc;
}

/** Folds the check value over the output produced since the last fold. */
function checkpoint(): void {
  const n = gOut - gCheckDone;
  if (n == 0) return;
  gCheck = gAdler
    ? adler32Fast(gCheck, gCheckDone, n)
    : crc32Update(gCheck, gCheckDone, n);
  gCheckDone = gOut;
}

// ---- continuation state ------------------------------------------------------------------------------

function saveState(): void {
  const csb = gCsb;
  store<u32>(csb + CSB_MAGIC, XPND_CSB_MAGIC);
  store<u8>(csb + CSB_MODE, <u8>gMode);
  store<u8>(csb + CSB_FLAGS, <u8>gFlags);
  store<u8>(csb + CSB_BITS, <u8>gBits);
  store<u8>(csb + CSB_EXTRA, <u8>gExtra);
  store<u64>(csb + CSB_HOLD, gHold);
  store<u32>(csb + CSB_LENGTH, gLength);
  store<u32>(csb + CSB_DIST, gDist);
}

/** Loads and checks the CSB; returns -1 to run, or R_ERR when the state is not usable. */
function loadState(): i32 {
  const csb = gCsb;
  if (load<u32>(csb + CSB_MAGIC) != XPND_CSB_MAGIC) return fail(XPND_OESC_BAD_CSB);
  gMode = load<u8>(csb + CSB_MODE);
  gFlags = load<u8>(csb + CSB_FLAGS);
  gBits = load<u8>(csb + CSB_BITS);
  gExtra = load<u8>(csb + CSB_EXTRA);
  gHold = load<u64>(csb + CSB_HOLD);
  gLength = load<u32>(csb + CSB_LENGTH);
  gDist = load<u32>(csb + CSB_DIST);
  if (gMode > XM_LAST_MODE || gBits > 48) return fail(XPND_OESC_BAD_CSB);
  gHold &= gBits == 0 ? 0 : (<u64>-1) >> (64 - gBits);
  const mode = gMode;
  if (mode == XM_COPY && gLength > 0xffff) return fail(XPND_OESC_BAD_CSB);
  if (mode == XM_TABLE || mode == XM_LENLENS || mode == XM_CODELENS) {
    const hlit = <u32>load<u16>(csb + CSB_HLIT);
    const hdist = <u32>load<u8>(csb + CSB_HDIST);
    const hclen = <u32>load<u8>(csb + CSB_HCLEN);
    const index = <u32>load<u16>(csb + CSB_INDEX);
    if (mode == XM_LENLENS && (hclen > 19 || index > hclen)) return fail(XPND_OESC_BAD_CSB);
    if (mode == XM_CODELENS) {
      if (hlit > 286 || hdist > 30 || index > hlit + hdist) return fail(XPND_OESC_BAD_CSB);
      if (!buildCodeLengthTable()) return fail(XPND_OESC_BAD_CSB);
    }
    return -1;
  }
  if (mode >= XM_LEN && mode <= XM_LIT) {
    if (mode == XM_LENEXT && (gExtra > 5 || gLength > 258)) return fail(XPND_OESC_BAD_CSB);
    if (mode == XM_DISTEXT && (gExtra > 13 || gLength > 258 || gDist > 32768)) return fail(XPND_OESC_BAD_CSB);
    if (mode == XM_MATCH && (gLength > 258 || gDist == 0 || gDist > 32768)) return fail(XPND_OESC_BAD_CSB);
    if (mode == XM_LIT && gLength > 255) return fail(XPND_OESC_BAD_CSB);
    const btype = (gFlags >> XF_BTYPE_SHIFT) & XF_BTYPE_MASK;
    if (btype == 1) {
      useFixedTables();
    } else if (btype == 2) {
      const e = useDynamicTables();
      if (e != 0) return fail(XPND_OESC_BAD_CSB);
    } else {
      return fail(XPND_OESC_BAD_CSB);
    }
  }
  return -1;
}

// @ts-ignore: decorator
@inline
function fail(oesc: u32): i32 {
  gOesc = oesc;
  return R_ERR;
}

// ---- tables ----------------------------------------------------------------------------------------

function useFixedTables(): void {
  ensureFixedTables(gScratch);
  gLitTab = gScratch + SCR_FIXED_LIT;
  gDistTab = gScratch + SCR_FIXED_DIST;
}

/**
 * Points the decoder at the dynamic tables for the code lengths in the CSB, building them unless the
 * cached ones were built from exactly these lengths. Returns 0 or the OESC of an invalid code.
 */
function useDynamicTables(): u32 {
  const csb = gCsb;
  const scr = gScratch;
  const hlit = <u32>load<u16>(csb + CSB_HLIT);
  const hdist = <u32>load<u8>(csb + CSB_HDIST);
  gLitTab = scr + SCR_DYN_LIT;
  gDistTab = scr + SCR_DYN_DIST;
  const key = hlit | (hdist << 16);
  if (load<u32>(scr + SCR_TAG_VALID) == 1 && load<u32>(scr + SCR_TAG_HLIT) == key) {
    let same = true;
    for (let i: usize = 0; i < CSB_LENS_BYTES; i += 8) {
      if (load<u64>(csb + CSB_LENS + i) != load<u64>(scr + SCR_TAG_LENS + i)) {
        same = false;
        break;
      }
    }
    if (same) return 0;
  }
  store<u32>(scr + SCR_TAG_VALID, 0);
  if (hlit < 257 || hlit > 286 || hdist < 1 || hdist > 30) return XPND_OESC_TOO_MANY_SYMBOLS;
  const lens = scr + SCR_LENS;
  const total = hlit + hdist;
  for (let i: u32 = 0; i < total; i++) store<u8>(lens + i, <u8>packedLenGet(csb + CSB_LENS, i));
  if (load<u8>(lens + 256) == 0) return XPND_OESC_NO_EOB;
  if (buildTable(lens, hlit, TK_LITLEN, gLitTab, LITLEN_ROOT, LITLEN_DYN_ENTRIES, scr) != BUILD_OK) {
    return XPND_OESC_BAD_LITLEN_SET;
  }
  pairLiterals(gLitTab);
  if (buildTable(lens + hlit, hdist, TK_DIST, gDistTab, DIST_ROOT, DIST_DYN_ENTRIES, scr) != BUILD_OK) {
    return XPND_OESC_BAD_DIST_SET;
  }
  memory.copy(scr + SCR_TAG_LENS, csb + CSB_LENS, CSB_LENS_BYTES);
  store<u32>(scr + SCR_TAG_HLIT, key);
  store<u32>(scr + SCR_TAG_VALID, 1);
  return 0;
}

/** Builds the code-length decode table from the CSB; false if the code is over-subscribed. */
function buildCodeLengthTable(): bool {
  const lens = gScratch + SCR_LENS;
  for (let i: u32 = 0; i < 19; i++) store<u8>(lens + i, load<u8>(gCsb + CSB_CLLENS + i) & 7);
  return buildTable(lens, 19, TK_CODELEN, gScratch + SCR_CL_TABLE, CODELEN_ROOT, 128, gScratch) != BUILD_OVER;
}

// ---- bit input for the slow path --------------------------------------------------------------------

/** Makes sure at least n (<= 32) bits are in the bit buffer; false if the input ran out first. */
// @ts-ignore: decorator
@inline
function need(n: u32): bool {
  while (gBits < n) {
    if (gIn >= gInEnd) return false;
    gHold |= (<u64>load<u8>(gIn)) << gBits;
    gIn++;
    gBits += 8;
  }
  return true;
}

// @ts-ignore: decorator
@inline
function drop(n: u32): void {
  gHold >>= <u64>n;
  gBits -= n;
}

// @ts-ignore: decorator
@inline
function peek(n: u32): u32 {
  return <u32>gHold & ((<u32>1 << n) - 1);
}

/**
 * Decodes one symbol with table `tab` (root bits `root`), reading input bytes as needed. Returns the
 * table entry (not yet consumed: drop(entry & E_LEN_MASK) does that), or 0xffffffff when the input ran
 * out before the code was complete.
 */
function decodeSlow(tab: usize, root: u32): u32 {
  const rootMask = (<u32>1 << root) - 1;
  for (;;) {
    // A two-literal entry is taken as its first literal: one symbol at a time.
    let e = literalEntry(load<u32>(tab + (<usize>(<u32>gHold & rootMask) << 2)));
    if ((e & E_KIND_MASK) == K_LINK) {
      const sub = (e >> E_AUX_SHIFT) & 15;
      const idx = (e >> 16) + (<u32>(gHold >> <u64>root) & ((<u32>1 << sub) - 1));
      e = load<u32>(tab + (<usize>idx << 2));
    }
    if ((e & E_LEN_MASK) <= gBits) return e;
    if (gIn >= gInEnd) return 0xffffffff;
    gHold |= (<u64>load<u8>(gIn)) << gBits;
    gIn++;
    gBits += 8;
  }
  return 0xffffffff; // not reached
}

// ---- match copies -----------------------------------------------------------------------------------

/**
 * Copies n bytes of the match at distance `dist` to gOut (exactly n bytes, no overrun). The distance
 * has been checked against the available history. Returns the new output pointer.
 */
function copyMatchExact(out: usize, dist: u32, n: u32): usize {
  const produced = <u32>(out - gOutStart);
  if (dist > produced && gCircular) {
    // The first bytes come from the circular history.
    const back = dist - produced; // 1..gWhave
    const pos = (gHistEnd - back) & HISTORY_MASK;
    let m = n < back ? n : back;
    ringCopyOut(out, gHist, pos, m);
    out += m;
    n -= m;
    if (n == 0) return out;
  }
  // The rest comes from the output itself (or, in-line, from the bytes just before it). Overlapping
  // copies repeat a period of `dist` bytes: copy it in doubling chunks from a fixed source.
  const src = out - <usize>dist;
  while (n > 0) {
    const gap = <u32>(out - src);
    const c = n < gap ? n : gap;
    memory.copy(out, src, c);
    out += c;
    n -= c;
  }
  return out;
}

/** Copies 16 bytes (SIMD when available). */
// @ts-ignore: decorator
@inline
function copy16(dst: usize, src: usize): void {
  if (ASC_FEATURE_SIMD) {
    v128.store(dst, v128.load(src));
  } else {
    store<u64>(dst, load<u64>(src));
    store<u64>(dst, load<u64>(src, 8), 8);
  }
}

/**
 * Copies a match of `len` bytes from `dist` bytes back in the output (or the in-line history) in
 * chunks; may write up to 15 bytes past the match, so the caller guarantees len + 16 bytes of room.
 * Returns the new output pointer.
 */
// @ts-ignore: decorator
@inline
function copyChunked(out: usize, dist: u32, len: u32): usize {
  let src = out - <usize>dist;
  const end = out + <usize>len;
  if (dist >= 16) {
    do {
      copy16(out, src);
      out += 16;
      src += 16;
    } while (out < end);
  } else if (dist >= 8) {
    do {
      store<u64>(out, load<u64>(src));
      out += 8;
      src += 8;
    } while (out < end);
  } else if (dist == 1) {
    const v = <u64>load<u8>(src) * 0x0101010101010101;
    do {
      store<u64>(out, v);
      store<u64>(out, v, 8);
      out += 16;
    } while (out < end);
  } else {
    // Period 2..7: write the first period byte by byte, then 8-byte chunks from a multiple of the
    // period at least 8 back.
    let step = dist;
    while (step < 8) step += dist;
    const first = len < step ? len : step;
    let k: u32 = 0;
    do {
      store<u8>(out + k, load<u8>(src + k));
      k++;
    } while (k < first);
    let o = out + <usize>first;
    while (o < end) {
      store<u64>(o, load<u64>(o - <usize>step));
      o += 8;
    }
  }
  return end;
}

/**
 * Fast-loop copy of n bytes of a match whose distance reaches back into the circular history
 * (dist > bytes produced by this call). Uses chunked copies when the history part does not wrap
 * and there are 16 bytes of slack after the match; otherwise copies exactly.
 */
function copyMatchHistory(out: usize, dist: u32, n: u32, room: u32): usize {
  const back = dist - <u32>(out - gOutStart);
  const pos = (gHistEnd - back) & HISTORY_MASK;
  const m = n < back ? n : back;
  if (n + 16 > room || pos + m + 16 > HISTORY_SIZE) return copyMatchExact(out, dist, n);
  let src = gHist + <usize>pos;
  const end = out + <usize>m;
  do {
    copy16(out, src);
    out += 16;
    src += 16;
  } while (out < end);
  return n > m ? copyChunked(end, dist, n - m) : end;
}

// ---- the fast loop ----------------------------------------------------------------------------------

/**
 * Decodes literal/length/distance symbols while at least FAST_IN input bytes and FAST_OUT_MIN bytes of
 * output room remain, and for at most FAST_SPAN output bytes (so that the caller can fold the check
 * value over output that is still in cache). Leaves gMode = XM_LEN, XM_MATCH (a match cut by the end
 * of the first operand) or XM_HEAD/XM_DONE after an end-of-block. Returns 0 or an OESC.
 *
 * The loop is written for the code V8 makes of it: few values live across iterations (the rare paths
 * read globals), the loop test as two plain branches, up to six literal entries per refill, extra-bit
 * masks from a table, and a match of at most 16 bytes copied with one 16-byte move outside any loop.
 */
function inflateFast(): u32 {
  let inp = gIn;
  const inLast = gInEnd - FAST_IN; // the 8-byte refill load must stay inside the operand
  let out = gOut;
  // Six literal entries fit whenever out < outLast; matches check their own room.
  let outLast = gOutEnd - FAST_OUT_MIN;
  if (outLast - out > FAST_SPAN) outLast = out + FAST_SPAN;
  let hold = gHold;
  let bits = gBits;
  const lt = gLitTab;
  const dt = gDistTab;
  const lmask: u32 = (<u32>1 << LITLEN_ROOT) - 1;
  const dmask: u32 = (<u32>1 << DIST_ROOT) - 1;
  const outStart = gOutStart;
  // Below this output address there is room for any match plus its copy overrun (0: nowhere).
  const outRoomy = gOutEnd > <usize>(MAX_MATCH + 16) ? gOutEnd - <usize>(MAX_MATCH + 16) : 0;
  let err: u32 = 0;

  for (;;) {
    if (inp > inLast) break;
    if (out >= outLast) break;
    // Refill to 56..63 bits. Bits above `bits` may hold a copy of the next unread byte; OR-ing the
    // same byte at the same position again is harmless.
    hold |= load<u64>(inp) << <u64>bits;
    inp += (63 - bits) >> 3;
    bits |= 56;

    let e = load<u32>(lt + (<usize>(<u32>hold & lmask) << 2));
    if ((e & E_KIND_MASK) == K_LIT) {
      // One or two literals per entry: both bytes are stored, the count says how many are output
      // (the second byte of a one-literal entry is overwritten next). A literal entry of the root
      // table takes at most LITLEN_ROOT bits (a longer code goes through a link), so five entries
      // always fit the 56 refilled bits, and a sixth when LITLEN_ROOT bits remain.
      let cl: u32;
      cl = e & E_LEN_MASK;
      hold >>= <u64>cl;
      bits -= cl;
      store<u16>(out, <u16>(e >> 16));
      out += <usize>((e >> E_LITS_SHIFT) & 3);
      e = load<u32>(lt + (<usize>(<u32>hold & lmask) << 2));
      if ((e & E_KIND_MASK) != K_LIT) continue;
      cl = e & E_LEN_MASK;
      hold >>= <u64>cl;
      bits -= cl;
      store<u16>(out, <u16>(e >> 16));
      out += <usize>((e >> E_LITS_SHIFT) & 3);
      e = load<u32>(lt + (<usize>(<u32>hold & lmask) << 2));
      if ((e & E_KIND_MASK) != K_LIT) continue;
      cl = e & E_LEN_MASK;
      hold >>= <u64>cl;
      bits -= cl;
      store<u16>(out, <u16>(e >> 16));
      out += <usize>((e >> E_LITS_SHIFT) & 3);
      e = load<u32>(lt + (<usize>(<u32>hold & lmask) << 2));
      if ((e & E_KIND_MASK) != K_LIT) continue;
      cl = e & E_LEN_MASK;
      hold >>= <u64>cl;
      bits -= cl;
      store<u16>(out, <u16>(e >> 16));
      out += <usize>((e >> E_LITS_SHIFT) & 3);
      e = load<u32>(lt + (<usize>(<u32>hold & lmask) << 2));
      if ((e & E_KIND_MASK) != K_LIT) continue;
      cl = e & E_LEN_MASK;
      hold >>= <u64>cl;
      bits -= cl;
      store<u16>(out, <u16>(e >> 16));
      out += <usize>((e >> E_LITS_SHIFT) & 3);
      if (bits < LITLEN_ROOT) continue;
      e = load<u32>(lt + (<usize>(<u32>hold & lmask) << 2));
      if ((e & E_KIND_MASK) != K_LIT) continue;
      cl = e & E_LEN_MASK;
      hold >>= <u64>cl;
      bits -= cl;
      store<u16>(out, <u16>(e >> 16));
      out += <usize>((e >> E_LITS_SHIFT) & 3);
      continue;
    }
    if ((e & E_KIND_MASK) != K_BASE) {
      if ((e & E_KIND_MASK) == K_LINK) {
        const sub = (e >> E_AUX_SHIFT) & 15;
        e = load<u32>(lt + (<usize>((e >> 16) + (<u32>(hold >> LITLEN_ROOT) & ((<u32>1 << sub) - 1))) << 2));
        if ((e & E_KIND_MASK) == K_LIT) {
          const cl = e & E_LEN_MASK;
          hold >>= <u64>cl;
          bits -= cl;
          store<u8>(out, <u8>(e >> 16));
          out++;
          continue;
        }
      }
      if ((e & E_KIND_MASK) != K_BASE) {
        const cl = e & E_LEN_MASK;
        hold >>= <u64>cl;
        bits -= cl;
        if ((e & E_KIND_MASK) == K_EOB) {
          gMode = (gFlags & XF_LAST) != 0 ? XM_DONE : XM_HEAD;
        } else {
          err = e >> 16; // K_BAD
        }
        break;
      }
    }

    // Length: code (<= 15 bits) + extra (<= 5); distance: code (<= 15) + extra (<= 13): 48 <= 56.
    let cl = e & E_LEN_MASK;
    hold >>= <u64>cl;
    let ex = (e >> E_AUX_SHIFT) & 15;
    const len = (e >> 16) + (<u32>hold & extraMask(ex));
    hold >>= <u64>ex;
    bits -= cl + ex;
    let d = load<u32>(dt + (<usize>(<u32>hold & dmask) << 2));
    if ((d & E_KIND_MASK) != K_BASE) {
      if ((d & E_KIND_MASK) == K_LINK) {
        const sub = (d >> E_AUX_SHIFT) & 15;
        d = load<u32>(dt + (<usize>((d >> 16) + (<u32>(hold >> DIST_ROOT) & ((<u32>1 << sub) - 1))) << 2));
      }
      if ((d & E_KIND_MASK) != K_BASE) {
        err = (d & E_KIND_MASK) == K_BAD ? d >> 16 : XPND_OESC_BAD_DIST_CODE;
        break;
      }
    }
    cl = d & E_LEN_MASK;
    hold >>= <u64>cl;
    ex = (d >> E_AUX_SHIFT) & 15;
    const dist = (d >> 16) + (<u32>hold & extraMask(ex));
    hold >>= <u64>ex;
    bits -= cl + ex;

    if (dist > <u32>(out - outStart) || out >= outRoomy) {
      // Rare: the match reaches into the history, or is near the end of the first operand.
      out = copyMatchCareful(out, dist, len, gOutEnd - out);
      if (gMode == XM_MATCH) break;
      if (gOesc != 0) {
        err = gOesc;
        break;
      }
      continue;
    }
    // The common case: behind the output of this call, with room to spare. Chunked copies may write
    // up to 15 bytes past the match; they stay inside the operand.
    const src = out - <usize>dist;
    if (dist >= 16) {
      copy16(out, src);
      if (len > 16) copyChunked16(out + 16, src + 16, len - 16);
      out += <usize>len;
      continue;
    }
    out = copyChunked(out, dist, len);
  }

  gIn = inp;
  gOut = out;
  gHold = bits == 0 ? 0 : hold & ((<u64>-1) >> <u64>(64 - bits));
  gBits = bits;
  return err;
}

/** (1 << n) - 1 for n = 0..13 (extra-bit masks), from a table instead of a variable shift. */
// @ts-ignore: decorator
@inline
function extraMask(n: u32): u32 {
  return load<u32>(EXTRA_MASKS + (<usize>n << 2));
}
const EXTRA_MASKS = memory.data<u32>([0, 1, 3, 7, 15, 31, 63, 127, 255, 511, 1023, 2047, 4095, 8191, 16383, 32767]);

/** Copies len (> 0) bytes from src (at least 16 bytes behind dst) in 16-byte chunks; may write 15 past. */
function copyChunked16(dst: usize, src: usize, len: u32): void {
  const end = dst + <usize>len;
  do {
    copy16(dst, src);
    dst += 16;
    src += 16;
  } while (dst < end);
}

/**
 * The fast loop's rare match cases, out of line: a match reaching back into the history (checked
 * against HL; circular history copied from R3's buffer) or one near the end of the first operand
 * (copied exactly; what does not fit stays pending in XM_MATCH). Sets gOesc on a distance too far back.
 * Returns the new output pointer.
 */
function copyMatchCareful(out: usize, dist: u32, len: u32, room: usize): usize {
  const produced = <u32>(out - gOutStart);
  if (dist > produced && dist - produced > gWhave) {
    gOesc = XPND_OESC_DIST_TOO_FAR;
    return out;
  }
  const n = <usize>len <= room ? len : <u32>room;
  if (dist > produced && gCircular) {
    out = copyMatchHistory(out, dist, n, <u32>room);
  } else if (<usize>len + 16 > room) {
    out = copyMatchExact(out, dist, n);
  } else {
    // In-line history reaching back before this call's output: the bytes are linear in memory.
    out = copyChunked(out, dist, len);
  }
  if (n < len) {
    gMode = XM_MATCH;
    gLength = len - n;
    gDist = dist;
  }
  return out;
}

// ---- the resumable state machine ----------------------------------------------------------------------

function run(): i32 {
  for (;;) {
    switch (gMode) {
      case XM_HEAD: {
        if (!need(3)) return R_IN;
        const h = peek(3);
        drop(3);
        const btype = h >> 1;
        gFlags = (h & 1) | (btype << XF_BTYPE_SHIFT);
        if (btype == 0) {
          gMode = XM_STORED;
        } else if (btype == 1) {
          useFixedTables();
          gMode = XM_LEN;
        } else if (btype == 2) {
          gMode = XM_TABLE;
        } else {
          return fail(XPND_OESC_BAD_BLOCK_TYPE);
        }
        break;
      }
      case XM_STORED: {
        drop(gBits & 7); // to the byte boundary
        if (!need(32)) return R_IN;
        const len = peek(16);
        const nlen = <u32>(gHold >> 16) & 0xffff;
        if (len != (~nlen & 0xffff)) return fail(XPND_OESC_BAD_STORED_LEN);
        drop(32);
        gLength = len;
        gMode = XM_COPY;
        break;
      }
      case XM_COPY: {
        // Whole bytes still in the bit buffer come first, then the operand.
        while (gLength != 0 && gBits >= 8) {
          if (gOut >= gOutEnd) return R_OUT;
          store<u8>(gOut, <u8>gHold);
          gOut++;
          drop(8);
          gLength--;
        }
        if (gLength != 0) {
          const outRoom = gOutEnd - gOut;
          const inRoom = gInEnd - gIn;
          let n = <usize>gLength;
          if (n > outRoom) n = outRoom;
          if (n > inRoom) n = inRoom;
          if (n > CHECK_CHUNK) n = CHECK_CHUNK;
          memory.copy(gOut, gIn, n);
          gOut += n;
          gIn += n;
          gLength -= <u32>n;
          if (gOut - gCheckDone >= CHECK_CHUNK) checkpoint();
          if (gLength != 0) {
            if (gOut >= gOutEnd) return R_OUT;
            if (gIn >= gInEnd) return R_IN;
            break; // next chunk
          }
        }
        gMode = (gFlags & XF_LAST) != 0 ? XM_DONE : XM_HEAD;
        break;
      }
      case XM_TABLE: {
        if (!need(14)) return R_IN;
        const hlit = peek(5) + 257;
        const hdist = (peek(10) >> 5) + 1;
        const hclen = (peek(14) >> 10) + 4;
        if (hlit > 286 || hdist > 30) return fail(XPND_OESC_TOO_MANY_SYMBOLS);
        drop(14);
        const csb = gCsb;
        store<u16>(csb + CSB_HLIT, <u16>hlit);
        store<u8>(csb + CSB_HDIST, <u8>hdist);
        store<u8>(csb + CSB_HCLEN, <u8>hclen);
        store<u16>(csb + CSB_INDEX, 0);
        memory.fill(csb + CSB_CLLENS, 0, 19);
        gMode = XM_LENLENS;
        break;
      }
      case XM_LENLENS: {
        const csb = gCsb;
        const hclen = <u32>load<u8>(csb + CSB_HCLEN);
        let index = <u32>load<u16>(csb + CSB_INDEX);
        while (index < hclen) {
          if (!need(3)) {
            store<u16>(csb + CSB_INDEX, <u16>index);
            return R_IN;
          }
          store<u8>(csb + CSB_CLLENS + clOrder(index), <u8>peek(3));
          drop(3);
          index++;
        }
        if (!buildCodeLengthTable()) return fail(XPND_OESC_BAD_CL_SET);
        store<u16>(csb + CSB_INDEX, 0);
        memory.fill(csb + CSB_LENS, 0, CSB_LENS_BYTES);
        gMode = XM_CODELENS;
        break;
      }
      case XM_CODELENS: {
        const r = readCodeLengths();
        if (r != -1) return r;
        const err = useDynamicTables();
        if (err != 0) return fail(err);
        gMode = XM_LEN;
        break;
      }
      case XM_LEN: {
        if (gInEnd - gIn >= FAST_IN && gOutEnd - gOut > FAST_OUT_MIN) {
          if (gOut - gCheckDone >= CHECK_CHUNK) checkpoint();
          const err = inflateFast();
          if (err != 0) return fail(err);
          break;
        }
        const e = decodeSlow(gLitTab, LITLEN_ROOT);
        if (e == 0xffffffff) return R_IN;
        const kind = e & E_KIND_MASK;
        if (kind == K_BAD) return fail(e >> 16);
        drop(e & E_LEN_MASK);
        if (kind == K_LIT) {
          if (gOut >= gOutEnd) {
            gLength = e >> 16;
            gMode = XM_LIT;
            return R_OUT;
          }
          store<u8>(gOut, <u8>(e >> 16));
          gOut++;
        } else if (kind == K_BASE) {
          gLength = e >> 16;
          gExtra = (e >> E_AUX_SHIFT) & 15;
          gMode = XM_LENEXT;
        } else {
          // K_EOB
          gMode = (gFlags & XF_LAST) != 0 ? XM_DONE : XM_HEAD;
        }
        break;
      }
      case XM_LENEXT: {
        if (gExtra != 0) {
          if (!need(gExtra)) return R_IN;
          gLength += peek(gExtra);
          drop(gExtra);
        }
        gMode = XM_DIST;
        break;
      }
      case XM_DIST: {
        const e = decodeSlow(gDistTab, DIST_ROOT);
        if (e == 0xffffffff) return R_IN;
        if ((e & E_KIND_MASK) != K_BASE) {
          return fail((e & E_KIND_MASK) == K_BAD ? e >> 16 : XPND_OESC_BAD_DIST_CODE);
        }
        drop(e & E_LEN_MASK);
        gDist = e >> 16;
        gExtra = (e >> E_AUX_SHIFT) & 15;
        gMode = XM_DISTEXT;
        break;
      }
      case XM_DISTEXT: {
        if (gExtra != 0) {
          if (!need(gExtra)) return R_IN;
          gDist += peek(gExtra);
          drop(gExtra);
        }
        gMode = XM_MATCH;
        break;
      }
      case XM_MATCH: {
        const produced = <u32>(gOut - gOutStart);
        if (gDist > produced && gDist - produced > gWhave) return fail(XPND_OESC_DIST_TOO_FAR);
        const room = gOutEnd - gOut;
        if (room == 0) return R_OUT;
        const n = <usize>gLength < room ? gLength : <u32>room;
        gOut = copyMatchExact(gOut, gDist, n);
        gLength -= n;
        if (gLength != 0) return R_OUT;
        gMode = XM_LEN;
        break;
      }
      case XM_LIT: {
        if (gOut >= gOutEnd) return R_OUT;
        store<u8>(gOut, <u8>gLength);
        gOut++;
        gMode = XM_LEN;
        break;
      }
      default: {
        // XM_DONE
        return R_DONE;
      }
    }
  }
  return R_ERR; // not reached
}

/** XM_CODELENS: reads code lengths into the CSB. Returns -1 when all were read, else R_IN / R_ERR. */
function readCodeLengths(): i32 {
  const csb = gCsb;
  const lens = csb + CSB_LENS;
  const tab = gScratch + SCR_CL_TABLE;
  const total = <u32>load<u16>(csb + CSB_HLIT) + <u32>load<u8>(csb + CSB_HDIST);
  let index = <u32>load<u16>(csb + CSB_INDEX);
  let result: i32 = -1;
  while (index < total) {
    const e = decodeSlow(tab, CODELEN_ROOT);
    if (e == 0xffffffff) {
      result = R_IN;
      break;
    }
    if ((e & E_KIND_MASK) == K_BAD) {
      result = fail(XPND_OESC_BAD_CL_CODE);
      break;
    }
    const cl = e & E_LEN_MASK;
    const sym = e >> 16;
    if (sym < 16) {
      drop(cl);
      packedLenOr(lens, index, sym);
      index++;
      continue;
    }
    const ex: u32 = sym == 16 ? 2 : sym == 17 ? 3 : 7;
    if (!need(cl + ex)) {
      result = R_IN;
      break;
    }
    drop(cl);
    let rep = peek(ex);
    drop(ex);
    let value: u32 = 0;
    if (sym == 16) {
      if (index == 0) {
        result = fail(XPND_OESC_REPEAT_NO_PREV);
        break;
      }
      value = packedLenGet(lens, index - 1);
      rep += 3;
    } else if (sym == 17) {
      rep += 3;
    } else {
      rep += 11;
    }
    if (index + rep > total) {
      result = fail(XPND_OESC_REPEAT_OVERFLOW);
      break;
    }
    if (value != 0) {
      for (let i: u32 = 0; i < rep; i++) packedLenOr(lens, index + i, value);
    }
    index += rep;
  }
  store<u16>(csb + CSB_INDEX, <u16>index);
  return result;
}
