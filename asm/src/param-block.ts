// Format-0 DFLTCC parameter block (z/Architecture Principles of Operation, chapter 26), as laid out in
// dfltcc-spec.md §2. Every multi-byte architected field is BIG-endian; bit numbers count from the most
// significant bit of byte 0. The constants below are byte offsets from the start of the block and the
// masks select the field's bits inside that byte.
//
// The continuation-state buffer (CSB, bytes 384..1535) is ours: its private layout is defined by the
// module that owns the stream direction (compress-state.ts for CMPR, expand.ts for XPND) and is stored
// in little-endian (wasm native) order, since no program ever reads it.

// ---- sizes ------------------------------------------------------------------------------------------

/** Size of the format-0 parameter block used by GDHT, CMPR and XPND. */
export const PARAM_BLOCK_SIZE: usize = 1536;
/** Size of the DFLTCC-QAF parameter block. */
export const QAF_BLOCK_SIZE: usize = 32;
/** GDHT uses only the bytes before the CSB. */
const GDHT_BLOCK_SIZE: usize = 384;
/** Size of the circular history buffer addressed by R3 (HB_SIZE). */
export const HISTORY_SIZE: u32 = 32768;
export const HISTORY_MASK: u32 = 32767;

// ---- function codes (GR0 bits 57-63) and history-buffer type (GR0 bit 56) ---------------------------

export const FUNCTION_CODE_MASK: u32 = 0x7f;
/** GR0 bit 56: 1 = circular history in the third operand, 0 = in-line history. */
export const HBT_CIRCULAR: u32 = 0x80;
export const FC_QAF: u32 = 0; // DFLTCC-QAF  Query Available Functions
export const FC_GDHT: u32 = 1; // DFLTCC-GDHT Generate Dynamic-Huffman Table
export const FC_CMPR: u32 = 2; // DFLTCC-CMPR Compress
export const FC_XPND: u32 = 4; // DFLTCC-XPND Expand

// ---- condition codes ------------------------------------------------------------------------------

export const CC_OK: i32 = 0; // normal completion
export const CC_OP1_TOO_SHORT: i32 = 1; // first operand (output) full; its length is then always 0
export const CC_OP2_TOO_SHORT: i32 = 2; // XPND: input exhausted (OESC 0) or data error (OESC != 0)
export const CC_OP2_CORRUPT: i32 = 2; // same value as CC_OP2_TOO_SHORT
export const CC_AGAIN: i32 = 3; // CPU-determined amount processed, call again

// ---- QAF block (32 bytes) ---------------------------------------------------------------------------

/** Bytes 0-15: installed-functions vector; bit n (byte n/8, mask 0x80 >> n%8) = FC n installed. */
export const QAF_FUNCTIONS: usize = 0;
/** Bytes 24-25: installed-parameter-block-formats vector; bit 0 (byte 24 mask 0x80) = format 0. */
export const QAF_FORMATS: usize = 24;
/** FC 0, 1, 2 and 4 installed. */
export const QAF_FUNCTIONS_BYTE0: u8 = 0xe8;
/** Format 0 installed. */
export const QAF_FORMATS_BYTE0: u8 = 0x80;

// ---- format-0 block fields (offset, then mask for sub-byte fields) ----------------------------------

/** Bytes 0-1: PBVN, Parameter-Block-Version Number (program; 0 = format 0). */
export const PBVN: usize = 0;
/** Byte 2: MVN, Model-Version Number (machine). */
export const MVN: usize = 2;
/** Byte 3: RIBM, reserved for IBM use (program writes DFLTCC_RIBM; ignored here). */
export const RIBM: usize = 3;
/** Byte 7, bit 63 (mask 0x01): CF, Continuation Flag (machine). */
export const CF_BYTE: usize = 7;
export const CF_MASK: u8 = 0x01;
/** Byte 16 holds NT, CVT, HTT, BCF, BCC and BHF. */
export const FLAGS_BYTE: usize = 16;
/** Byte 16 bit 128 (mask 0x80): NT, New Task. */
const NT_MASK: u8 = 0x80;
/** Byte 16 bit 130 (mask 0x20): CVT, Check-Value Type (0 = CRC-32, 1 = Adler-32). */
const CVT_MASK: u8 = 0x20;
/** Byte 16 bit 132 (mask 0x08): HTT, Huffman-Table Type (0 = fixed, 1 = dynamic from CDHT). */
const HTT_MASK: u8 = 0x08;
/** Byte 16 bit 133 (mask 0x04): BCF, Block-Continuation Flag. */
const BCF_MASK: u8 = 0x04;
/** Byte 16 bit 134 (mask 0x02): BCC, Block-Closing Control. */
export const BCC_MASK: u8 = 0x02;
/** Byte 16 bit 135 (mask 0x01): BHF, Block-Header Final. */
const BHF_MASK: u8 = 0x01;
/** Byte 17 bit 138 (mask 0x20): DHTGC, DHT-Generation Control (GDHT; ignored here). */
export const DHTGC_BYTE: usize = 17;
export const DHTGC_MASK: u8 = 0x20;
/** Byte 18 bits 149-151 (mask 0x07): SBB, Sub-Byte Boundary. */
const SBB_BYTE: usize = 18;
const SBB_MASK: u8 = 0x07;
/** Byte 19: OESC, Operation-Ending-Supplemental Code. */
export const OESC: usize = 19;
/** Byte 21 bits 172-175 (low nibble): IFS, Incomplete-Function Status. */
const IFS_BYTE: usize = 21;
const IFS_MASK: u8 = 0x0f;
/** Bytes 22-23: IFL, Incomplete-Function Length. */
const IFL: usize = 22;
/** Bytes 44-45: HL, History Length (0..32768). */
export const HL: usize = 44;
/** Bytes 46-47, bits 369-383 (15 bits; bit 368 reserved): HO, History Offset of the oldest byte. */
export const HO: usize = 46;
const HO_MASK: u32 = 0x7fff;
/** Bytes 48-51: CV, Check Value (CRC-32 stored byte-swapped, i.e. little-endian; Adler-32 big-endian). */
export const CV: usize = 48;
/** Bytes 52-53, bits 416-430: EOBS, End-of-Block Symbol, 15 bits left-aligned (bit 431 reserved). */
export const EOBS: usize = 52;
/** Byte 54 bits 432-435 (high nibble): EOBL, End-of-Block Length in bits. */
const EOBL_BYTE: usize = 54;
const EOBL_SHIFT: u32 = 4;
/** Bytes 56-57 bits 452-463 (low 12 bits): CDHTL, Compressed-DHT Length in bits. */
export const CDHTL: usize = 56;
const CDHTL_MASK: u32 = 0x0fff;
/** Bytes 64-351: CDHT, Compressed Dynamic-Huffman Table (DEFLATE header body, LSB-first). */
export const CDHT: usize = 64;
export const CDHT_SIZE: usize = 288;
/** Largest CDHTL that fits in the CDHT field. */
export const CDHT_MAX_BITS: u32 = 2304;
/** Bytes 384-1535: CSB, Continuation-State Buffer (machine-private). */
export const CSB: usize = 384;
export const CSB_SIZE: usize = 1152;

// ---- Operation-Ending-Supplemental Codes (spec §6) -------------------------------------------------
// 0x12 and 0x27 are the architected values seen in the field; the rest is this emulator's mapping,
// one distinct code per software-zlib error class (documented in asm/README.md).

export const OESC_NONE: u8 = 0x00;
/** BTYPE = 11 ("invalid block type"). */
export const OESC_INVALID_BLOCK_TYPE: u8 = 0x10;
/** Stored block whose NLEN is not the one's complement of LEN ("invalid stored block lengths"). */
export const OESC_STORED_LENGTH_MISMATCH: u8 = 0x12;
/** HLIT > 286 or HDIST > 30 ("too many length or distance symbols"). */
export const OESC_TOO_MANY_LENGTHS_OR_DISTANCES: u8 = 0x20;
/** Code-length code over-subscribed or incomplete ("invalid code lengths set"). */
export const OESC_INVALID_CODE_LENGTH_CODE_SET: u8 = 0x21;
/** Repeat code 16 with no previous length ("invalid bit length repeat"). */
export const OESC_REPEAT_WITHOUT_PREVIOUS: u8 = 0x22;
/** Repeat code running past HLIT+HDIST lengths ("invalid bit length repeat"). */
export const OESC_REPEAT_OVERFLOW: u8 = 0x23;
/** Literal/length code has no code for symbol 256 ("invalid code -- missing end-of-block"). */
export const OESC_MISSING_END_OF_BLOCK: u8 = 0x24;
/** Literal/length code lengths over-subscribed or incomplete ("invalid literal/lengths set"). */
export const OESC_INVALID_LITERAL_LENGTH_SET: u8 = 0x25;
/** Distance code lengths over-subscribed or incomplete ("invalid distances set"). */
export const OESC_INVALID_DISTANCE_SET: u8 = 0x26;
/** A code in the code-length sequence matches no code-length code (architected 0x27). */
export const OESC_UNDECODABLE_CODE_LENGTH_CODE: u8 = 0x27;
/** Literal/length symbol 286 or 287 ("invalid literal/length code"). */
export const OESC_INVALID_LITERAL_LENGTH_SYMBOL: u8 = 0x30;
/** Distance symbol 30 or 31 ("invalid distance code"). */
export const OESC_INVALID_DISTANCE_SYMBOL: u8 = 0x31;
/** Distance beyond the history plus the output produced so far ("invalid distance too far back"). */
export const OESC_DISTANCE_TOO_FAR_BACK: u8 = 0x32;
/** CMPR: CDHTL is 0, above 2304, or differs from the number of bits the CDHT header occupies. */
export const OESC_CDHT_LENGTH_INVALID: u8 = 0x40;
/** CMPR: CDHT describes a valid table that lacks a code for some literal, length or distance symbol. */
export const OESC_CDHT_NOT_UNIVERSAL: u8 = 0x41;

// ---- big-endian loads and stores ----------------------------------------------------------------------

// @ts-ignore: decorator
@inline function loadBigEndian16(address: usize): u32 {
  return (<u32>load<u8>(address) << 8) | <u32>load<u8>(address, 1);
}

// @ts-ignore: decorator
@inline export function storeBigEndian16(address: usize, value: u32): void {
  store<u8>(address, <u8>(value >> 8));
  store<u8>(address, <u8>value, 1);
}

// @ts-ignore: decorator
@inline function loadBigEndian32(address: usize): u32 {
  return bswap<u32>(load<u32>(address));
}

// @ts-ignore: decorator
@inline function storeBigEndian32(address: usize, value: u32): void {
  store<u32>(address, bswap<u32>(value));
}

// ---- flag bits ------------------------------------------------------------------------------------

// @ts-ignore: decorator
@inline function getFlag(pb: usize, byteOffset: usize, mask: u8): bool {
  return (load<u8>(pb + byteOffset) & mask) != 0;
}

// @ts-ignore: decorator
@inline export function setFlag(pb: usize, byteOffset: usize, mask: u8, on: bool): void {
  const b = load<u8>(pb + byteOffset);
  store<u8>(pb + byteOffset, on ? b | mask : b & ~mask);
}

// @ts-ignore: decorator
@inline export function getNT(pb: usize): bool { return getFlag(pb, FLAGS_BYTE, NT_MASK); }
// @ts-ignore: decorator
@inline export function setNT(pb: usize, on: bool): void { setFlag(pb, FLAGS_BYTE, NT_MASK, on); }
// @ts-ignore: decorator
@inline export function getCVT(pb: usize): bool { return getFlag(pb, FLAGS_BYTE, CVT_MASK); }
// @ts-ignore: decorator
@inline export function setCVT(pb: usize, on: bool): void { setFlag(pb, FLAGS_BYTE, CVT_MASK, on); }
// @ts-ignore: decorator
@inline export function getHTT(pb: usize): bool { return getFlag(pb, FLAGS_BYTE, HTT_MASK); }
// @ts-ignore: decorator
@inline export function setHTT(pb: usize, on: bool): void { setFlag(pb, FLAGS_BYTE, HTT_MASK, on); }
// @ts-ignore: decorator
@inline export function getBCF(pb: usize): bool { return getFlag(pb, FLAGS_BYTE, BCF_MASK); }
// @ts-ignore: decorator
@inline export function setBCF(pb: usize, on: bool): void { setFlag(pb, FLAGS_BYTE, BCF_MASK, on); }
// @ts-ignore: decorator
@inline export function getBCC(pb: usize): bool { return getFlag(pb, FLAGS_BYTE, BCC_MASK); }
// @ts-ignore: decorator
@inline export function setBCC(pb: usize, on: bool): void { setFlag(pb, FLAGS_BYTE, BCC_MASK, on); }
// @ts-ignore: decorator
@inline export function getBHF(pb: usize): bool { return getFlag(pb, FLAGS_BYTE, BHF_MASK); }
// @ts-ignore: decorator
@inline export function setBHF(pb: usize, on: bool): void { setFlag(pb, FLAGS_BYTE, BHF_MASK, on); }
// @ts-ignore: decorator
@inline export function getCF(pb: usize): bool { return getFlag(pb, CF_BYTE, CF_MASK); }
// @ts-ignore: decorator
@inline export function setCF(pb: usize, on: bool): void { setFlag(pb, CF_BYTE, CF_MASK, on); }
// @ts-ignore: decorator
@inline export function getDHTGC(pb: usize): bool { return getFlag(pb, DHTGC_BYTE, DHTGC_MASK); }

// ---- multi-bit fields -------------------------------------------------------------------------------

// @ts-ignore: decorator
@inline export function getSBB(pb: usize): u32 { return <u32>(load<u8>(pb + SBB_BYTE) & SBB_MASK); }
// @ts-ignore: decorator
@inline export function setSBB(pb: usize, value: u32): void {
  store<u8>(pb + SBB_BYTE, (load<u8>(pb + SBB_BYTE) & ~SBB_MASK) | (<u8>value & SBB_MASK));
}

// @ts-ignore: decorator
@inline export function getOESC(pb: usize): u32 { return <u32>load<u8>(pb + OESC); }
// @ts-ignore: decorator
@inline export function setOESC(pb: usize, code: u32): void { store<u8>(pb + OESC, <u8>code); }

// @ts-ignore: decorator
@inline export function getIFS(pb: usize): u32 { return <u32>(load<u8>(pb + IFS_BYTE) & IFS_MASK); }
// @ts-ignore: decorator
@inline export function setIFS(pb: usize, value: u32): void {
  store<u8>(pb + IFS_BYTE, (load<u8>(pb + IFS_BYTE) & ~IFS_MASK) | (<u8>value & IFS_MASK));
}
// @ts-ignore: decorator
@inline export function getIFL(pb: usize): u32 { return loadBigEndian16(pb + IFL); }
// @ts-ignore: decorator
@inline export function setIFL(pb: usize, value: u32): void { storeBigEndian16(pb + IFL, value); }

/** History length: 0..32768 valid bytes in the history buffer. */
// @ts-ignore: decorator
@inline export function getHL(pb: usize): u32 { return loadBigEndian16(pb + HL); }
// @ts-ignore: decorator
@inline export function setHL(pb: usize, value: u32): void { storeBigEndian16(pb + HL, value); }

/** History offset: 15-bit offset of the oldest history byte; the reserved top bit is preserved. */
// @ts-ignore: decorator
@inline export function getHO(pb: usize): u32 { return loadBigEndian16(pb + HO) & HO_MASK; }
// @ts-ignore: decorator
@inline export function setHO(pb: usize, value: u32): void {
  storeBigEndian16(pb + HO, (loadBigEndian16(pb + HO) & ~HO_MASK) | (value & HO_MASK));
}

/** Raw CV field as a big-endian integer (the Adler-32 view). */
// @ts-ignore: decorator
@inline export function getCVBigEndian(pb: usize): u32 { return loadBigEndian32(pb + CV); }
// @ts-ignore: decorator
@inline export function setCVBigEndian(pb: usize, value: u32): void { storeBigEndian32(pb + CV, value); }

/** Check value in its arithmetic form: CRC-32 is stored little-endian, Adler-32 big-endian (§5.1). */
// @ts-ignore: decorator
@inline export function getCheckValue(pb: usize): u32 {
  return getCVT(pb) ? loadBigEndian32(pb + CV) : load<u32>(pb + CV);
}
// @ts-ignore: decorator
@inline export function setCheckValue(pb: usize, value: u32): void {
  if (getCVT(pb)) storeBigEndian32(pb + CV, value);
  else store<u32>(pb + CV, value);
}
/** Initial check value for the selected CVT: CRC-32 0, Adler-32 1. */
// @ts-ignore: decorator
@inline export function initialCheckValue(pb: usize): u32 { return getCVT(pb) ? 1 : 0; }

/** EOBS: 15-bit field, left-aligned code of symbol 256 in natural (MSB-first) bit order. */
// @ts-ignore: decorator
@inline export function getEOBS(pb: usize): u32 { return loadBigEndian16(pb + EOBS) >> 1; }
// @ts-ignore: decorator
@inline export function setEOBS(pb: usize, value: u32): void {
  storeBigEndian16(pb + EOBS, (loadBigEndian16(pb + EOBS) & 1) | ((value & 0x7fff) << 1));
}
// @ts-ignore: decorator
@inline export function getEOBL(pb: usize): u32 { return <u32>load<u8>(pb + EOBL_BYTE) >> EOBL_SHIFT; }
// @ts-ignore: decorator
@inline export function setEOBL(pb: usize, value: u32): void {
  store<u8>(pb + EOBL_BYTE, (load<u8>(pb + EOBL_BYTE) & 0x0f) | <u8>((value & 0xf) << EOBL_SHIFT));
}
/** Set EOBS/EOBL from a natural-order code of `length` bits (left-aligns it into the 15-bit field). */
// @ts-ignore: decorator
@inline export function setEndOfBlockCode(pb: usize, naturalCode: u32, length: u32): void {
  setEOBS(pb, naturalCode << (15 - length));
  setEOBL(pb, length);
}

/** CDHTL: CDHT length in bits (low 12 bits of bytes 56-57; the high nibble is reserved). */
// @ts-ignore: decorator
@inline export function getCDHTL(pb: usize): u32 { return loadBigEndian16(pb + CDHTL) & CDHTL_MASK; }
// @ts-ignore: decorator
@inline export function setCDHTL(pb: usize, value: u32): void {
  storeBigEndian16(pb + CDHTL, (loadBigEndian16(pb + CDHTL) & ~CDHTL_MASK) | (value & CDHTL_MASK));
}
