// Operation-ending supplemental codes (OESC) reported by DFLTCC-XPND.
//
// Only 0x12 and 0x27 are known from public material (spec §6); the rest is
// this emulator's mapping, kept in param-block.ts and asm/README.md. This file
// gives them the names the XPND code uses and adds XPND-only codes.
// Every nonzero OESC comes with condition code 2; CC2 with OESC 0 only ever
// means "second operand exhausted".

import {
  OESC_DISTANCE_TOO_FAR_BACK,
  OESC_INVALID_BLOCK_TYPE,
  OESC_INVALID_CODE_LENGTH_CODE_SET,
  OESC_INVALID_DISTANCE_SET,
  OESC_INVALID_DISTANCE_SYMBOL,
  OESC_INVALID_LITERAL_LENGTH_SET,
  OESC_INVALID_LITERAL_LENGTH_SYMBOL,
  OESC_MISSING_END_OF_BLOCK,
  OESC_REPEAT_OVERFLOW,
  OESC_REPEAT_WITHOUT_PREVIOUS,
  OESC_STORED_LENGTH_MISMATCH,
  OESC_TOO_MANY_LENGTHS_OR_DISTANCES,
  OESC_UNDECODABLE_CODE_LENGTH_CODE,
} from "./param-block";

/** 0x10: BTYPE = 11 (reserved block type). zlib: "invalid block type". */
export const XPND_OESC_BAD_BLOCK_TYPE: u8 = OESC_INVALID_BLOCK_TYPE;
/** 0x12: stored block whose NLEN is not the one's complement of LEN. */
export const XPND_OESC_BAD_STORED_LEN: u8 = OESC_STORED_LENGTH_MISMATCH;
/** 0x20: HLIT > 286 or HDIST > 30. */
export const XPND_OESC_TOO_MANY_SYMBOLS: u8 = OESC_TOO_MANY_LENGTHS_OR_DISTANCES;
/**
 * 0x21: over-subscribed code-length code set. An *incomplete* code-length
 * code is accepted when the header is read; a code that falls into its hole
 * is then reported as 0x27 (that is what the hardware reports for the
 * haskell/zlib "not-gzip" input, whose code-length code is incomplete).
 */
export const XPND_OESC_BAD_CL_SET: u8 = OESC_INVALID_CODE_LENGTH_CODE_SET;
/** 0x22: repeat code 16 as the first code length. */
export const XPND_OESC_REPEAT_NO_PREV: u8 = OESC_REPEAT_WITHOUT_PREVIOUS;
/** 0x23: repeat code running past the HLIT + HDIST lengths. */
export const XPND_OESC_REPEAT_OVERFLOW: u8 = OESC_REPEAT_OVERFLOW;
/** 0x24: symbol 256 (end of block) has code length 0. */
export const XPND_OESC_NO_EOB: u8 = OESC_MISSING_END_OF_BLOCK;
/** 0x25: incomplete or over-subscribed literal/length code. */
export const XPND_OESC_BAD_LITLEN_SET: u8 = OESC_INVALID_LITERAL_LENGTH_SET;
/** 0x26: incomplete or over-subscribed distance code. */
export const XPND_OESC_BAD_DIST_SET: u8 = OESC_INVALID_DISTANCE_SET;
/** 0x27: a code in the code-length sequence that matches none of the code-length codes. */
export const XPND_OESC_BAD_CL_CODE: u8 = OESC_UNDECODABLE_CODE_LENGTH_CODE;
/** 0x30: literal/length symbol 286 or 287, or a bit pattern matching no literal/length code. */
export const XPND_OESC_BAD_LITLEN_CODE: u8 = OESC_INVALID_LITERAL_LENGTH_SYMBOL;
/** 0x31: distance symbol 30 or 31, or a bit pattern matching no distance code. */
export const XPND_OESC_BAD_DIST_CODE: u8 = OESC_INVALID_DISTANCE_SYMBOL;
/** 0x32: distance larger than the history plus the output produced so far. */
export const XPND_OESC_DIST_TOO_FAR: u8 = OESC_DISTANCE_TOO_FAR_BACK;
/** 0x3F (XPND only): CF = 1 but the continuation-state buffer holds no valid XPND state. */
export const XPND_OESC_BAD_CSB: u8 = 0x3f;
