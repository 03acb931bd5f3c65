// Whether two byte ranges are equal: CMPR's `multiple` access model compares the history read of a span
// with the encode read (kept at the window's end) to notice that the span changed in between.
//
// 64 bytes per step as four 16-byte lanes; a step's differences are ORed and tested once.

export function sameBytes(a: usize, b: usize, length: usize): bool {
  let offset: usize = 0;
  while (length - offset >= 64) {
    const difference = v128.or(
      v128.or(v128.xor(v128.load(a + offset), v128.load(b + offset)),
        v128.xor(v128.load(a + offset, 16), v128.load(b + offset, 16))),
      v128.or(v128.xor(v128.load(a + offset, 32), v128.load(b + offset, 32)),
        v128.xor(v128.load(a + offset, 48), v128.load(b + offset, 48))),
    );
    if (v128.any_true(difference)) return false;
    offset += 64;
  }
  while (offset < length) {
    if (load<u8>(a + offset) != load<u8>(b + offset)) return false;
    offset++;
  }
  return true;
}
