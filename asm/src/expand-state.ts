// Layout of the DFLTCC-XPND continuation state inside the parameter block's
// continuation-state buffer (CSB, bytes 384..1535 of the format-0 block).
//
// Everything the decoder needs to resume lives here, so a copy of the
// 1536-byte parameter block (plus the history buffer) resumes on its own.
// Decode tables are NOT stored here: they are a cache in the instance's
// expand scratch area, keyed by the exact code lengths kept below.
//
// All multi-byte fields of this private area are little-endian (it is opaque
// to programs, only this emulator reads it).
//
//   +0   u32  magic XPND_CSB_MAGIC (state written by this decoder)
//   +4   u8   mode (XM_*)
//   +5   u8   flags: bit 0 = BFINAL of the current block,
//                   bits 1-2 = BTYPE of the current block (1 fixed, 2 dynamic)
//   +6   u8   number of valid bits in the bit buffer (0..63)
//   +7   u8   pending extra-bit count (XM_LENEXT / XM_DISTEXT)
//   +8   u64  bit buffer; the low (+6) bits are the not yet used stream bits
//             of bytes already consumed from earlier second operands
//   +16  u32  length: pending match length, remaining stored length, or the
//             pending literal byte (XM_LIT)
//   +20  u32  distance of the pending match
//   +24  u16  HLIT (number of literal/length code lengths, 257..286)
//   +26  u8   HDIST (number of distance code lengths, 1..30)
//   +27  u8   HCLEN (number of code-length code lengths, 4..19)
//   +28  u16  index: code-length code lengths read (XM_LENLENS) or code
//             lengths read (XM_CODELENS)
//   +30  u8[19] code-length code lengths, indexed by symbol 0..18
//   +49  u8   reserved (0)
//   +50  u8[160] literal/length then distance code lengths, packed two per
//             byte (symbol i in byte i>>1, low nibble for even i), in the
//             order of the block header (HLIT lit/len lengths, then HDIST)
//   +210..1151 reserved (0)

const CSB_OFFSET: usize = 384;
export const CSB_SIZE: usize = 1152;

export const XPND_CSB_MAGIC: u32 = 0x31444e58; // "XND1" (bytes 58 4E 44 31)

export const CSB_MAGIC: usize = 0;
export const CSB_MODE: usize = 4;
export const CSB_FLAGS: usize = 5;
export const CSB_BITS: usize = 6;
export const CSB_EXTRA: usize = 7;
export const CSB_HOLD: usize = 8;
export const CSB_LENGTH: usize = 16;
export const CSB_DIST: usize = 20;
export const CSB_HLIT: usize = 24;
export const CSB_HDIST: usize = 26;
export const CSB_HCLEN: usize = 27;
export const CSB_INDEX: usize = 28;
export const CSB_CLLENS: usize = 30;
export const CSB_LENS: usize = 50;
/** Bytes of packed code lengths (316 symbols at most, rounded to 8 bytes). */
export const CSB_LENS_BYTES: usize = 160;
const CSB_USED: usize = CSB_LENS + CSB_LENS_BYTES;

// Decoder modes (CSB_MODE).
/** Expecting the 3-bit block header. */
export const XM_HEAD: u32 = 0;
/** Stored block: skip to the byte boundary and read LEN/NLEN. */
export const XM_STORED: u32 = 1;
/** Stored block: copying `length` bytes. */
export const XM_COPY: u32 = 2;
/** Dynamic block: reading HLIT/HDIST/HCLEN. */
export const XM_TABLE: u32 = 3;
/** Dynamic block: reading the code-length code lengths. */
export const XM_LENLENS: u32 = 4;
/** Dynamic block: reading the literal/length and distance code lengths. */
export const XM_CODELENS: u32 = 5;
/** Decoding a literal/length symbol. */
export const XM_LEN: u32 = 6;
/** Reading the extra bits of a length. */
export const XM_LENEXT: u32 = 7;
/** Decoding a distance symbol. */
export const XM_DIST: u32 = 8;
/** Reading the extra bits of a distance. */
export const XM_DISTEXT: u32 = 9;
/** Copying a match (length, distance). */
export const XM_MATCH: u32 = 10;
/** A decoded literal waiting for room in the first operand. */
export const XM_LIT: u32 = 11;
/** The final block's end-of-block symbol has been decoded. */
export const XM_DONE: u32 = 12;
export const XM_LAST_MODE: u32 = 12;

// Flags (CSB_FLAGS).
export const XF_LAST: u32 = 1;
export const XF_BTYPE_SHIFT: u32 = 1;
export const XF_BTYPE_MASK: u32 = 3;

/** Code length of symbol i in the packed array at `lens`. */
// @ts-ignore: decorator
@inline
export function packedLenGet(lens: usize, i: u32): u32 {
  return (<u32>load<u8>(lens + (i >> 1)) >> ((i & 1) << 2)) & 15;
}

/** Sets the code length of symbol i (the nibble must be 0 before). */
// @ts-ignore: decorator
@inline
export function packedLenOr(lens: usize, i: u32, v: u32): void {
  const p = lens + (i >> 1);
  store<u8>(p, load<u8>(p) | (v << ((i & 1) << 2)));
}
