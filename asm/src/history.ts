// The 32 KiB circular history buffer addressed by R3 when GR0 bit 56 (HBT) is 1 (spec §4.1).
//
// The buffer holds HL valid bytes; the oldest is at offset HO and they run in stream order through
// offset (HO + HL - 1) mod 32768, wrapping. Appending N bytes copies the last min(N, 32768) of them to
// offset (HO + HL) mod 32768 onwards (wrapping), then HL' = min(32768, HL + N) and, when HL + N
// exceeds 32768, HO' = (HO + HL + N - 32768) mod 32768.
//
// In-line history (HBT = 0, spec §4.2): no known client uses it. This emulator supports it for CMPR
// as a best effort following Valgrind's model: the history is the HL bytes immediately before the
// second-operand address, HO is ignored and left unchanged, and HL grows to min(32768, HL + consumed)
// because the consumed input now precedes the updated second-operand address. XPND's in-line
// behaviour is defined in expand.ts.

import { HISTORY_MASK, HISTORY_SIZE, getHL, getHO, setHL, setHO } from "./param-block";

/** Append `len` bytes at `src` to the circular history `hist`, updating HL and HO in `pb`. */
export function historyAppend(pb: usize, hist: usize, src: usize, len: usize): void {
  if (len == 0) return;
  const kept = len < <usize>HISTORY_SIZE ? len : <usize>HISTORY_SIZE;
  historyAppendTail(pb, hist, src + (len - kept), <u32>kept, <u64>len);
}

/**
 * Append `total` bytes to the history when only their last `kept` = min(total, 32768) bytes (at
 * `last`) are at hand: the result is the same as appending all of them.
 */
export function historyAppendTail(pb: usize, hist: usize, last: usize, kept: u32, total: u64): void {
  if (total == 0) return;
  const hl = getHL(pb);
  const ho = getHO(pb);
  const count = <usize>kept;
  // The kept bytes end where the whole append ends.
  const writeAt = <u32>((<u64>ho + <u64>hl + total - <u64>kept) & <u64>HISTORY_MASK);
  const first = <usize>(HISTORY_SIZE - writeAt);
  if (count <= first) {
    memory.copy(hist + writeAt, last, count);
  } else {
    memory.copy(hist + writeAt, last, first);
    memory.copy(hist, last + first, count - first);
  }
  const grown = <u64>hl + total;
  if (grown > <u64>HISTORY_SIZE) {
    setHL(pb, HISTORY_SIZE);
    setHO(pb, <u32>((<u64>ho + grown - <u64>HISTORY_SIZE) & <u64>HISTORY_MASK));
  } else {
    setHL(pb, <u32>grown);
  }
}


/** Copy the last `count` (<= HL) history bytes, oldest first, into the linear buffer `destination`. */
export function historyCopyOut(pb: usize, hist: usize, destination: usize, count: u32): void {
  if (count == 0) return;
  ringCopyOut(destination, hist, (getHO(pb) + getHL(pb) - count) & HISTORY_MASK, count);
}

/** Copy `count` (<= 32768) bytes of the circular buffer `hist` from offset `start`, wrapping, into `destination`. */
// @ts-ignore: decorator
@inline export function ringCopyOut(destination: usize, hist: usize, start: u32, count: u32): void {
  const first = HISTORY_SIZE - start;
  if (count <= first) {
    memory.copy(destination, hist + start, count);
  } else {
    memory.copy(destination, hist + start, first);
    memory.copy(destination + first, hist, count - first);
  }
}
