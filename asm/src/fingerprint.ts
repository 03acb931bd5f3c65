// A fast position-sensitive fingerprint of a byte range, used by CMPR's `multiple` access model to
// notice that a span changed between the encode read and the history read.
//
// Four 32-bit lanes each run lanes = lanes * K + word over every 16-byte block (K odd, so a change in any
// single word always changes the result); the tail bytes are folded in one at a time.

const MULTIPLIER: i32 = 0x01000193;

export function fingerprint(ptr: usize, len: usize): u64 {
  let p = ptr;
  const end = ptr + len;
  let lanes = i32x4.splat(<i32>0x9e3779b1);
  const k = i32x4.splat(MULTIPLIER);
  while (end - p >= 16) {
    lanes = i32x4.add(i32x4.mul(lanes, k), v128.load(p));
    p += 16;
  }
  let h: u64 =
    (<u64>(<u32>i32x4.extract_lane(lanes, 0)) << 32 | <u64>(<u32>i32x4.extract_lane(lanes, 1))) ^
    ((<u64>(<u32>i32x4.extract_lane(lanes, 2)) << 32 | <u64>(<u32>i32x4.extract_lane(lanes, 3))) * 0x9e3779b97f4a7c15);
  while (p < end) {
    h = (h ^ <u64>load<u8>(p)) * 0x100000001b3;
    p++;
  }
  return h;
}
