/**
 * The DFLTCC format-0 parameter block (1536 bytes, big-endian fields at the
 * architected offsets; dfltcc-spec.md section 2.2), read and written in
 * place in machine memory. Field names are the architecture's.
 */
import type { Machine } from './machine.js';

/**
 * The memory a parameter block lives in: the Machine's methods it uses. The
 * test harnesses that load the emulator on their own memory provide the same.
 */
export type ParameterBlockMemory = Pick<
  Machine,
  'u8' | 'setU8' | 'u16be' | 'setU16be' | 'u32' | 'setU32' | 'u32be' | 'setU32be' | 'copy' | 'fill'
>;

export const PARAMETER_BLOCK_BYTES = 1536;
export const PARAMETER_BLOCK_ALIGNMENT = 8;
export const HISTORY_BYTES = 32 * 1024;
export const HISTORY_ALIGNMENT = 4096;

/** Byte offsets and masks (spec 2.2). */
export const ParameterBlockLayout = {
  PBVN: 0, // Parameter-Block-Version Number (16 bits)
  MVN: 2, // Model-Version Number
  RIBM: 3, // Reserved for IBM use
  CF_BYTE: 7, // Continuation Flag: mask 0x01
  FLAGS_BYTE: 16, // NT 0x80, CVT 0x20, HTT 0x08, BCF 0x04, BCC 0x02, BHF 0x01
  DHTGC_BYTE: 17, // DHT-Generation Control: mask 0x20
  SBB_BYTE: 18, // Sub-Byte Boundary: mask 0x07
  OESC: 19, // Operation-Ending-Supplemental Code
  HL: 44, // History Length (16 bits)
  HO: 46, // History Offset (15 bits)
  CV: 48, // Check Value (32 bits; CRC-32 stored little-endian, Adler-32 big-endian)
  EOBS: 52, // End-of-Block Symbol (15 bits, left-aligned)
  EOBL_BYTE: 54, // End-of-Block Length: high nibble
  CDHTL: 56, // Compressed-DHT Length in bits (low 12 bits)
  CDHT: 64, // Compressed Dynamic-Huffman Table (288 bytes)
  CSB: 384, // Continuation-State Buffer (1152 bytes)
} as const;

/** The masks of the flags byte (ParameterBlockLayout.FLAGS_BYTE). */
export const ParameterBlockFlag = { NT: 0x80, CVT: 0x20, HTT: 0x08, BCF: 0x04, BCC: 0x02, BHF: 0x01 } as const;
const Flag = ParameterBlockFlag;

export class ParameterBlock {
  constructor(
    protected readonly machine: ParameterBlockMemory,
    readonly address: number,
  ) {}

  /** What every client does at init and reset: zero the block, NT=1, RIBM. */
  reset(ribm: number): void {
    this.machine.fill(this.address, PARAMETER_BLOCK_BYTES, 0);
    this.nt = true;
    this.machine.setU8(this.address + ParameterBlockLayout.RIBM, ribm & 0xff);
  }

  get nt(): boolean {
    return this.flag(Flag.NT);
  }
  set nt(on: boolean) {
    this.setFlag(Flag.NT, on);
  }
  /** Check-value type: false = CRC-32, true = Adler-32. */
  get cvt(): boolean {
    return this.flag(Flag.CVT);
  }
  set cvt(on: boolean) {
    this.setFlag(Flag.CVT, on);
  }
  /** Huffman-table type: false = fixed, true = dynamic (the CDHT). */
  get htt(): boolean {
    return this.flag(Flag.HTT);
  }
  set htt(on: boolean) {
    this.setFlag(Flag.HTT, on);
  }
  /** Block-continuation flag: a block is open. */
  get bcf(): boolean {
    return this.flag(Flag.BCF);
  }
  set bcf(on: boolean) {
    this.setFlag(Flag.BCF, on);
  }
  /** Block-closing control. */
  get bcc(): boolean {
    return this.flag(Flag.BCC);
  }
  set bcc(on: boolean) {
    this.setFlag(Flag.BCC, on);
  }
  /** Block-header final: BFINAL of the headers CMPR writes. */
  get bhf(): boolean {
    return this.flag(Flag.BHF);
  }
  set bhf(on: boolean) {
    this.setFlag(Flag.BHF, on);
  }

  /** Continuation flag: the machine holds state in the CSB and must be called again. */
  get cf(): boolean {
    return (this.machine.u8(this.address + ParameterBlockLayout.CF_BYTE) & 0x01) !== 0;
  }

  get sbb(): number {
    return this.machine.u8(this.address + ParameterBlockLayout.SBB_BYTE) & 0x07;
  }
  set sbb(bits: number) {
    const at = this.address + ParameterBlockLayout.SBB_BYTE;
    this.machine.setU8(at, (this.machine.u8(at) & ~0x07) | (bits & 0x07));
  }

  get oesc(): number {
    return this.machine.u8(this.address + ParameterBlockLayout.OESC);
  }

  get hl(): number {
    return this.machine.u16be(this.address + ParameterBlockLayout.HL);
  }
  set hl(length: number) {
    this.machine.setU16be(this.address + ParameterBlockLayout.HL, length);
  }

  get ho(): number {
    return this.machine.u16be(this.address + ParameterBlockLayout.HO) & 0x7fff;
  }
  set ho(offset: number) {
    this.machine.setU16be(this.address + ParameterBlockLayout.HO, offset & 0x7fff);
  }

  /** The check value as an integer, in the byte order its type uses (spec 5.1). */
  get checkValue(): number {
    const at = this.address + ParameterBlockLayout.CV;
    return this.cvt ? this.machine.u32be(at) : this.machine.u32(at);
  }
  set checkValue(value: number) {
    const at = this.address + ParameterBlockLayout.CV;
    if (this.cvt) this.machine.setU32be(at, value);
    else this.machine.setU32(at, value);
  }

  /** The end-of-block code of the open block, as DEFLATE bits (LSB-first) and their count. */
  endOfBlock(): { bits: number; length: number } {
    const length = this.machine.u8(this.address + ParameterBlockLayout.EOBL_BYTE) >>> 4;
    const symbol = (this.machine.u16be(this.address + ParameterBlockLayout.EOBS) >>> 1) >>> (15 - length);
    // EOBS holds the Huffman code MSB-first; DEFLATE sends Huffman codes MSB-first too, so reverse it into LSB-first bits.
    let reversed = 0;
    for (let bit = 0; bit < length; bit++) reversed |= ((symbol >>> bit) & 1) << (length - 1 - bit);
    return { bits: reversed, length };
  }

  /** Append bytes to the circular history (what *SetDictionary does; spec 4.1). */
  appendHistory(history: number, source: number, length: number): void {
    const take = Math.min(length, HISTORY_BYTES);
    const from = source + length - take;
    const hl = this.hl;
    const ho = this.ho;
    let at = (ho + hl) % HISTORY_BYTES;
    let done = 0;
    while (done < take) {
      const piece = Math.min(take - done, HISTORY_BYTES - at);
      this.machine.copy(history + at, from + done, piece);
      done += piece;
      at = (at + piece) % HISTORY_BYTES;
    }
    // Counted with the clamped length, as zlib-ng's append_history does.
    if (hl + take > HISTORY_BYTES) {
      this.ho = (ho + (hl + take - HISTORY_BYTES)) % HISTORY_BYTES;
      this.hl = HISTORY_BYTES;
    } else {
      this.hl = hl + take;
    }
  }

  protected flag(mask: number): boolean {
    return (this.machine.u8(this.address + ParameterBlockLayout.FLAGS_BYTE) & mask) !== 0;
  }

  protected setFlag(mask: number, on: boolean): void {
    const at = this.address + ParameterBlockLayout.FLAGS_BYTE;
    const byte = this.machine.u8(at);
    this.machine.setU8(at, on ? byte | mask : byte & ~mask);
  }
}
