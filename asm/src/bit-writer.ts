// The careful (byte-at-a-time) side of CMPR's output: used for block headers, the end-of-block
// symbol, draining the CSB queue and the symbols that land in the last few bytes of the first operand.
// The hot path in compress.ts keeps the same state in locals and writes 8 bytes at a time; it hands
// the state over through these globals when the first operand is nearly full.
//
// Bits are LSB-first. When the first operand is full every further bit goes, in order, to the queue
// in the CSB ("spilled"); the call then ends with CC1 and CF = 1.

export let writerAccumulator: u64 = 0; // pending bits, low `writerBitCount` valid
export let writerBitCount: u32 = 0; // 0..7 between calls of writerPut
export let writerOut: usize = 0; // next first-operand byte
export let writerEnd: usize = 0; // end of the first operand
export let writerSpilled: bool = false;
let writerQueue: usize = 0; // queue bytes in the CSB
export let writerQueueBits: u32 = 0;

export function writerStart(out: usize, end: usize, partialBits: u64, partialCount: u32, queue: usize): void {
  writerOut = out;
  writerEnd = end;
  writerAccumulator = partialBits;
  writerBitCount = partialCount;
  writerSpilled = false;
  writerQueue = queue;
  writerQueueBits = 0;
}

/** Hand the hot path's registers back to the writer. */
export function writerSync(accumulator: u64, bitCount: u32, out: usize): void {
  writerAccumulator = accumulator;
  writerBitCount = bitCount;
  writerOut = out;
}

function queuePut(bits: u64, count: u32): void {
  let value = bits;
  let remaining = count;
  while (remaining > 0) {
    const at = writerQueue + <usize>(writerQueueBits >> 3);
    const shift = writerQueueBits & 7;
    let take: u32 = 8 - shift;
    if (take > remaining) take = remaining;
    const existing: u32 = shift == 0 ? 0 : <u32>load<u8>(at);
    store<u8>(at, <u8>(existing | ((<u32>value & ((<u32>1 << take) - 1)) << shift)));
    value >>= <u64>take;
    remaining -= take;
    writerQueueBits += take;
  }
}

/** Append `count` (<= 56) bits. */
export function writerPut(bits: u64, count: u32): void {
  if (writerSpilled) {
    queuePut(bits, count);
    return;
  }
  let pending = writerAccumulator | (bits << <u64>writerBitCount);
  let n = writerBitCount + count;
  let out = writerOut;
  const end = writerEnd;
  while (n >= 8 && out < end) {
    store<u8>(out, <u8>pending);
    out++;
    pending >>= 8;
    n -= 8;
  }
  writerOut = out;
  if (out == end && n > 0) {
    writerSpilled = true;
    queuePut(pending, n);
    pending = 0;
    n = 0;
  }
  writerAccumulator = pending;
  writerBitCount = n;
}

/** Append `bitCount` bits stored LSB-first from `source`. */
export function writerPutStream(source: usize, bitCount: u32): void {
  let done: u32 = 0;
  while (bitCount - done >= 16) {
    writerPut(<u64>load<u16>(source + <usize>(done >> 3)), 16);
    done += 16;
  }
  while (done < bitCount) {
    const take = bitCount - done >= 8 ? 8 : bitCount - done;
    writerPut(<u64>(<u32>load<u8>(source + <usize>(done >> 3)) & ((<u32>1 << take) - 1)), take);
    done += take;
  }
}

/** The first operand has no room left (all later bits would be queued). */
// @ts-ignore: decorator
@inline export function writerFull(): bool {
  return writerSpilled || writerOut == writerEnd;
}
