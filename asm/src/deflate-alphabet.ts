// The DEFLATE (RFC 1951) alphabets: length and distance symbol bases and extra bits, the permuted
// order of the code-length code lengths, and the fixed Huffman code lengths. These are read-only
// static data (identical bytes in every instance).

export const LITERAL_LENGTH_SYMBOLS: u32 = 286; // 0-255 literals, 256 end of block, 257-285 lengths
export const DISTANCE_SYMBOLS: u32 = 30;
export const CODE_LENGTH_SYMBOLS: u32 = 19;
export const END_OF_BLOCK: u32 = 256;
export const FIRST_LENGTH_SYMBOL: u32 = 257;
export const MIN_MATCH: u32 = 3;
export const MAX_MATCH: u32 = 258;
export const MAX_DISTANCE: u32 = 32768;
export const MAX_CODE_BITS: u32 = 15;
export const MAX_CODE_LENGTH_CODE_BITS: u32 = 7;

/** Base match length of length symbols 257..285 (index symbol - 257). */
const LENGTH_BASE: usize = memory.data<u16>([
  3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131,
  163, 195, 227, 258,
]);
/** Extra bits of length symbols 257..285. */
const LENGTH_EXTRA: usize = memory.data<u8>([
  0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0,
]);
/** Base distance of distance symbols 0..29. */
const DISTANCE_BASE: usize = memory.data<u16>([
  1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049,
  3073, 4097, 6145, 8193, 12289, 16385, 24577,
]);
/** Extra bits of distance symbols 0..29. */
const DISTANCE_EXTRA: usize = memory.data<u8>([
  0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13,
]);
/** Order in which the code-length code lengths appear in a dynamic block header. */
const CODE_LENGTH_ORDER: usize = memory.data<u8>([
  16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15,
]);

// @ts-ignore: decorator
@inline export function lengthBase(index: u32): u32 { return <u32>load<u16>(LENGTH_BASE + (<usize>index << 1)); }
// @ts-ignore: decorator
@inline export function lengthExtra(index: u32): u32 { return <u32>load<u8>(LENGTH_EXTRA + <usize>index); }
// @ts-ignore: decorator
@inline export function distanceBase(index: u32): u32 { return <u32>load<u16>(DISTANCE_BASE + (<usize>index << 1)); }
// @ts-ignore: decorator
@inline export function distanceExtra(index: u32): u32 { return <u32>load<u8>(DISTANCE_EXTRA + <usize>index); }
// @ts-ignore: decorator
@inline export function codeLengthOrder(i: u32): u32 { return <u32>load<u8>(CODE_LENGTH_ORDER + <usize>i); }

/** Length of the fixed literal/length code for `symbol` (0..287). */
export function fixedLiteralLengthBits(symbol: u32): u32 {
  if (symbol < 144) return 8;
  if (symbol < 256) return 9;
  if (symbol < 280) return 7;
  return 8;
}
/** Every fixed distance code is 5 bits long. */
export const FIXED_DISTANCE_BITS: u32 = 5;

/** Length symbol index (0..28, i.e. symbol - 257) for a match length 3..258. */
export function lengthIndexOf(length: u32): u32 {
  let index: u32 = 28;
  while (lengthBase(index) > length) index--;
  return index;
}

/** Distance symbol (0..29) for a distance 1..32768. */
export function distanceSymbolOf(distance: u32): u32 {
  let symbol: u32 = 29;
  while (distanceBase(symbol) > distance) symbol--;
  return symbol;
}
