// Adler-32 with 128-bit SIMD, used by XPND to fold its check value (checksum.ts has the scalar one;
// this one falls back to it when the module is built without SIMD).
//
// For a 16-byte block x[0..15] and running sums (a, b):
//   a' = a + sum x[i]
//   b' = b + 16 a + sum (16 - i) x[i]
// Over n blocks, with S(k) = the byte sum of the blocks before block k:
//   a_n = a + sum_k blocksum(k)
//   b_n = b + 16 n a + 16 sum_k S(k) + sum_k sum_i (16 - i) x[k][i]
// The three sums are kept in u32x4 lanes; `prev` accumulates S(k) by adding the running byte-sum
// vector before each block. With at most SIMD_BLOCKS blocks per run no lane overflows
// (prev <= 1020 n^2 / 2 < 2^32), and the final combination is done in 64 bits.

import { adler32Update } from "./checksum";

const ADLER_MOD: u32 = 65521;
const SIMD_BLOCKS: usize = 2048; // 32 KiB per run

/** Running Adler-32 over `len` bytes at `ptr` (pass 1 to start). */
export function adler32Fast(adler: u32, ptr: usize, len: usize): u32 {
  if (!ASC_FEATURE_SIMD || len < 64) return adler32Update(adler, ptr, len);
  let a = <u64>(adler & 0xffff);
  let b = <u64>(adler >>> 16);
  let p = ptr;
  let blocks = len >> 4;
  // Weights 16..1 for bytes 0..15 of a block, as 16-bit lanes for the two halves. i32x4.dot_i16x8_s
  // (one pmaddwd on x86) does the multiply and the pairwise add; every 16-bit lane it sees is small
  // (bytes, pair sums <= 510), so the signed product is exact.
  const weightsLow = i16x8(16, 15, 14, 13, 12, 11, 10, 9);
  const weightsHigh = i16x8(8, 7, 6, 5, 4, 3, 2, 1);
  const ones = i16x8.splat(1);
  while (blocks != 0) {
    const n = blocks < SIMD_BLOCKS ? blocks : SIMD_BLOCKS;
    blocks -= n;
    let sum = i32x4.splat(0);
    let prev = i32x4.splat(0);
    let weighted = i32x4.splat(0);
    // Two blocks per iteration: prev gains sum before each, i.e. 2 sum + (first block's sums).
    const end = p + (n << 4);
    const pairsEnd = p + ((n >> 1) << 5);
    while (p < pairsEnd) {
      const x = v128.load(p);
      const y = v128.load(p, 16);
      p += 32;
      const sx = i32x4.dot_i16x8_s(i16x8.extadd_pairwise_i8x16_u(x), ones);
      const sy = i32x4.dot_i16x8_s(i16x8.extadd_pairwise_i8x16_u(y), ones);
      prev = i32x4.add(prev, i32x4.add(i32x4.shl(sum, 1), sx));
      sum = i32x4.add(sum, i32x4.add(sx, sy));
      const wx = i32x4.add(
        i32x4.dot_i16x8_s(i16x8.extend_low_i8x16_u(x), weightsLow),
        i32x4.dot_i16x8_s(i16x8.extend_high_i8x16_u(x), weightsHigh),
      );
      const wy = i32x4.add(
        i32x4.dot_i16x8_s(i16x8.extend_low_i8x16_u(y), weightsLow),
        i32x4.dot_i16x8_s(i16x8.extend_high_i8x16_u(y), weightsHigh),
      );
      weighted = i32x4.add(weighted, i32x4.add(wx, wy));
    }
    if (p < end) {
      const x = v128.load(p);
      p += 16;
      prev = i32x4.add(prev, sum);
      sum = i32x4.add(sum, i32x4.dot_i16x8_s(i16x8.extadd_pairwise_i8x16_u(x), ones));
      const low = i32x4.dot_i16x8_s(i16x8.extend_low_i8x16_u(x), weightsLow);
      const high = i32x4.dot_i16x8_s(i16x8.extend_high_i8x16_u(x), weightsHigh);
      weighted = i32x4.add(weighted, i32x4.add(low, high));
    }
    const sumAll =
      <u64>i32x4.extract_lane(sum, 0) + <u64>i32x4.extract_lane(sum, 1) +
      <u64>i32x4.extract_lane(sum, 2) + <u64>i32x4.extract_lane(sum, 3);
    const prevAll =
      <u64>i32x4.extract_lane(prev, 0) + <u64>i32x4.extract_lane(prev, 1) +
      <u64>i32x4.extract_lane(prev, 2) + <u64>i32x4.extract_lane(prev, 3);
    const weightedAll =
      <u64>i32x4.extract_lane(weighted, 0) + <u64>i32x4.extract_lane(weighted, 1) +
      <u64>i32x4.extract_lane(weighted, 2) + <u64>i32x4.extract_lane(weighted, 3);
    b = (b + (<u64>n << 4) * a + (prevAll << 4) + weightedAll) % ADLER_MOD;
    a = (a + sumAll) % ADLER_MOD;
  }
  const rest = len & 15;
  const value = (<u32>b << 16) | <u32>a;
  return rest != 0 ? adler32Update(value, p, rest) : value;
}
