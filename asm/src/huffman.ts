// Length-limited Huffman code construction and canonical code assignment (RFC 1951 §3.2.2).

/** Work space buildCodeLengths needs for an alphabet of `count` symbols. */
export function huffmanWorkSize(count: u32): usize {
  return <usize>count * 24 + 256;
}

// Sort `n` u64 keys in place (heap sort; alphabets here have at most 316 symbols).
function sortKeys(keys: usize, n: u32): void {
  if (n < 2) return;
  // Build a max-heap.
  for (let start = <i32>(n >> 1) - 1; start >= 0; start--) siftDown(keys, <u32>start, n);
  for (let end = n - 1; end > 0; end--) {
    const top = load<u64>(keys);
    store<u64>(keys, load<u64>(keys + (<usize>end << 3)));
    store<u64>(keys + (<usize>end << 3), top);
    siftDown(keys, 0, end);
  }
}

function siftDown(keys: usize, start: u32, n: u32): void {
  let root = start;
  while (true) {
    let child = root * 2 + 1;
    if (child >= n) return;
    let childKey = load<u64>(keys + (<usize>child << 3));
    if (child + 1 < n) {
      const right = load<u64>(keys + (<usize>(child + 1) << 3));
      if (right > childKey) { child++; childKey = right; }
    }
    const rootKey = load<u64>(keys + (<usize>root << 3));
    if (rootKey >= childKey) return;
    store<u64>(keys + (<usize>root << 3), childKey);
    store<u64>(keys + (<usize>child << 3), rootKey);
    root = child;
  }
}

/**
 * Compute Huffman code lengths (u8 per symbol, 0 = unused) for the u32 `frequencies` of `count`
 * symbols, no code longer than `maxBits`. Symbols with frequency 0 get no code; a lone used symbol
 * gets length 1. `work` must hold huffmanWorkSize(count) bytes.
 */
export function buildCodeLengths(frequencies: usize, count: u32, maxBits: u32, lengths: usize, work: usize): void {
  const keys = work; // u64[count]: (frequency << 16) | symbol, ascending after sorting
  const leafParent = keys + (<usize>count << 3); // u16[count]
  const nodeWeight = leafParent + (<usize>count << 1); // u32[count]
  const nodeParent = nodeWeight + (<usize>count << 2); // u16[count]
  const nodeDepth = nodeParent + (<usize>count << 1); // u16[count]
  const lengthCount = nodeDepth + (<usize>count << 1); // u32[16]

  let used: u32 = 0;
  for (let s: u32 = 0; s < count; s++) {
    store<u8>(lengths + s, 0);
    const f = load<u32>(frequencies + (<usize>s << 2));
    if (f != 0) {
      store<u64>(keys + (<usize>used << 3), (<u64>f << 16) | <u64>s);
      used++;
    }
  }
  if (used == 0) return;
  if (used == 1) {
    store<u8>(lengths + <usize>(load<u64>(keys) & 0xffff), 1);
    return;
  }
  sortKeys(keys, used);

  // Two-queue Huffman: leaves in ascending weight, internal nodes are created in ascending weight.
  let leaf: u32 = 0;
  let node: u32 = 0;
  for (let made: u32 = 0; made < used - 1; made++) {
    let weight: u64 = 0;
    for (let pick = 0; pick < 2; pick++) {
      const leafWeight = leaf < used ? load<u64>(keys + (<usize>leaf << 3)) >> 16 : <u64>-1;
      const nodeWeightNext = node < made ? <u64>load<u32>(nodeWeight + (<usize>node << 2)) : <u64>-1;
      if (leaf < used && leafWeight <= nodeWeightNext) {
        store<u16>(leafParent + (<usize>leaf << 1), <u16>made);
        weight += leafWeight;
        leaf++;
      } else {
        store<u16>(nodeParent + (<usize>node << 1), <u16>made);
        weight += nodeWeightNext;
        node++;
      }
    }
    // Weights stay below 2^32 for every caller (frequencies are bounded by the sample sizes).
    store<u32>(nodeWeight + (<usize>made << 2), <u32>weight);
  }
  const root = used - 2;
  store<u16>(nodeDepth + (<usize>root << 1), 0);
  for (let k = <i32>root - 1; k >= 0; k--) {
    const parent = <u32>load<u16>(nodeParent + (<usize>k << 1));
    store<u16>(nodeDepth + (<usize>k << 1), load<u16>(nodeDepth + (<usize>parent << 1)) + 1);
  }

  for (let l: u32 = 0; l <= 15; l++) store<u32>(lengthCount + (<usize>l << 2), 0);
  let overflow = false;
  for (let i: u32 = 0; i < used; i++) {
    let depth = <u32>load<u16>(nodeDepth + (<usize>load<u16>(leafParent + (<usize>i << 1)) << 1)) + 1;
    if (depth > maxBits) { depth = maxBits; overflow = true; }
    const at = lengthCount + (<usize>depth << 2);
    store<u32>(at, load<u32>(at) + 1);
  }

  if (overflow) {
    // Clamping made the Kraft sum exceed 1. Each round removes one leaf at maxBits and splits the
    // longest shorter leaf into two one level deeper, lowering the sum by 2^-maxBits.
    let total: u32 = 0;
    for (let l: u32 = 1; l <= maxBits; l++) total += load<u32>(lengthCount + (<usize>l << 2)) << (maxBits - l);
    const full: u32 = <u32>1 << maxBits;
    while (total > full) {
      const last = lengthCount + (<usize>maxBits << 2);
      store<u32>(last, load<u32>(last) - 1);
      for (let l = maxBits - 1; l > 0; l--) {
        const at = lengthCount + (<usize>l << 2);
        const c = load<u32>(at);
        if (c != 0) {
          store<u32>(at, c - 1);
          store<u32>(at + 4, load<u32>(at + 4) + 2);
          break;
        }
      }
      total--;
    }
  }

  // Hand out the lengths: the rarest symbols get the longest codes.
  let i: u32 = 0;
  for (let l = maxBits; l > 0; l--) {
    let c = load<u32>(lengthCount + (<usize>l << 2));
    while (c > 0) {
      store<u8>(lengths + <usize>(load<u64>(keys + (<usize>i << 3)) & 0xffff), <u8>l);
      i++;
      c--;
    }
  }
}

/**
 * Kraft balance of a set of code lengths: 0 = complete, > 0 incomplete, < 0 over-subscribed.
 * (Returned in units of 2^-15.)
 */
export function kraftBalance(lengths: usize, count: u32): i32 {
  let sum: i32 = 0;
  for (let s: u32 = 0; s < count; s++) {
    const l = <u32>load<u8>(lengths + s);
    if (l != 0) sum += <i32>(<u32>1 << (15 - l));
  }
  return 32768 - sum;
}

/** Reverse the low `length` bits of `code` (DEFLATE sends Huffman codes most-significant bit first). */
export function reverseBits(code: u32, length: u32): u32 {
  let v = code;
  let r: u32 = 0;
  for (let i: u32 = 0; i < length; i++) {
    r = (r << 1) | (v & 1);
    v >>= 1;
  }
  return r;
}

/**
 * Canonical codes for `lengths` (u8 per symbol): writes u16 natural-order (MSB-first) codes to
 * `codes`. `work` needs 64 bytes.
 */
export function canonicalCodes(lengths: usize, count: u32, codes: usize, work: usize): void {
  const nextCode = work; // u32[16]
  for (let l: u32 = 0; l < 16; l++) store<u32>(nextCode + (<usize>l << 2), 0);
  for (let s: u32 = 0; s < count; s++) {
    const l = <usize>load<u8>(lengths + s);
    store<u32>(nextCode + (l << 2), load<u32>(nextCode + (l << 2)) + 1);
  }
  // nextCode[l] currently holds the count of length l; turn it into the first code of length l.
  let code: u32 = 0;
  let previousCount: u32 = 0;
  store<u32>(nextCode, 0);
  for (let l: u32 = 1; l < 16; l++) {
    const c = load<u32>(nextCode + (<usize>l << 2));
    code = (code + previousCount) << 1;
    store<u32>(nextCode + (<usize>l << 2), code);
    previousCount = c;
  }
  for (let s: u32 = 0; s < count; s++) {
    const l = <usize>load<u8>(lengths + s);
    if (l == 0) {
      store<u16>(codes + (<usize>s << 1), 0);
      continue;
    }
    const at = nextCode + (l << 2);
    const c = load<u32>(at);
    store<u16>(codes + (<usize>s << 1), <u16>c);
    store<u32>(at, c + 1);
  }
}
