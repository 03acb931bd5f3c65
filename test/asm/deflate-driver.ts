// A small streaming deflater that drives DFLTCC-CMPR the way IBM's zlib integration does (spec §3.3,
// §5, §8): a fixed-Huffman first block, then GDHT + dynamic blocks of at most `blockSize` input bytes,
// the partial output byte handed over through SBB, BCF set to 1 after CC1/CC3, end-of-block symbols
// and flush markers written in software from EOBS/EOBL after CC0, and a final block closed in software.
// CMPR is never called with an empty first operand.

import { type Emulator, FC_CMPR, FC_GDHT, ParamBlock, type Registers } from './harness';

export type Flush = 'none' | 'sync' | 'full' | 'finish';

export interface DeflaterOptions {
  /** First operand size per CMPR call (>= 1). Default 64 KiB. */
  outChunk?: number | (() => number);
  /** Input bytes that stay fixed-Huffman at the start of the stream (0 = dynamic from the start). */
  firstFixedBlock?: number;
  /** Input bytes per dynamic block. Default 1 MiB. */
  blockSize?: number;
  /** Use Adler-32 (true) or CRC-32 (false, default) for CV. */
  adler?: boolean;
  /** Always use the fixed table (Z_FIXED). */
  fixedOnly?: boolean;
  /** Called after every CMPR call (e.g. to move buffers around). */
  afterCall?: (cc: number, regs: Registers) => void;
  /** Existing parameter block / history to continue (for copies). */
  paramBlock?: number;
  history?: number;
}

export class DfltccDeflater {
  readonly pb: number;
  readonly hist: number;
  readonly param: ParamBlock;
  private outBuffer = 0;
  private outCapacity = 0;
  private inBuffer = 0;
  private inCapacity = 0;
  /** Software bit buffer: pending bits (< 8) of the last, incomplete output byte. */
  bitBuffer = 0;
  bitCount = 0;
  totalIn = 0;
  blockThreshold = 0;
  calls = 0;
  ccCounts = [0, 0, 0, 0];
  private chunks: Uint8Array[] = [];

  constructor(
    readonly emu: Emulator,
    readonly options: DeflaterOptions = {},
  ) {
    this.pb = options.paramBlock ?? emu.paramBlock();
    this.hist = options.history ?? emu.historyBuffer();
    this.param = new ParamBlock(emu, this.pb);
    if (options.paramBlock === undefined) {
      this.param.nt = true;
      this.param.cvt = !!options.adler;
      this.emu.view.setUint32(this.pb + 48, options.adler ? 1 : 0);
    }
    this.blockThreshold = options.firstFixedBlock ?? 4096;
  }

  /** Copy the whole state into a new deflater with its own parameter block and history. */
  copy(): DfltccDeflater {
    const pb = this.emu.paramBlock();
    const hist = this.emu.historyBuffer();
    this.emu.u8.copyWithin(pb, this.pb, this.pb + 1536);
    this.emu.u8.copyWithin(hist, this.hist, this.hist + 32768);
    const twin = new DfltccDeflater(this.emu, { ...this.options, paramBlock: pb, history: hist });
    twin.bitBuffer = this.bitBuffer;
    twin.bitCount = this.bitCount;
    twin.totalIn = this.totalIn;
    twin.blockThreshold = this.blockThreshold;
    return twin;
  }

  private outChunkSize(): number {
    const o = this.options.outChunk ?? 65536;
    return Math.max(1, typeof o === 'function' ? o() : o);
  }

  private ensureOut(size: number): number {
    if (size > this.outCapacity) {
      this.outCapacity = Math.max(size, 4096);
      this.outBuffer = this.emu.alloc(this.outCapacity, 8);
    }
    return this.outBuffer;
  }

  private ensureIn(size: number): number {
    if (size > this.inCapacity) {
      this.inCapacity = Math.max(size, 4096);
      this.inBuffer = this.emu.alloc(this.inCapacity, 8);
    }
    return this.inBuffer;
  }

  /** Append `length` bits (LSB-first) in software. */
  putBits(bits: number, length: number): void {
    let acc = this.bitBuffer | (bits << this.bitCount);
    let n = this.bitCount + length;
    const bytes: number[] = [];
    while (n >= 8) {
      bytes.push(acc & 0xff);
      acc >>>= 8;
      n -= 8;
    }
    if (bytes.length) this.chunks.push(Uint8Array.from(bytes));
    this.bitBuffer = acc & ((1 << n) - 1);
    this.bitCount = n;
  }

  private alignToByte(): void {
    if (this.bitCount > 0) this.putBits(0, 8 - this.bitCount);
  }

  private softwareEndOfBlock(): void {
    const { bits, length } = this.param.endOfBlockBits();
    this.putBits(bits, length);
    this.param.bcf = false;
  }

  /** One CMPR instruction (re-issued while CC3) on input at `inAddr`/`inLen`; returns bytes consumed. */
  private cmpr(inAddr: number, inLen: number): { consumed: number; cc: number } {
    let regs: Registers = { r1: 0, r1len: 0, r2: inAddr, r2len: inLen, r3: this.hist };
    let cc: number;
    do {
      const size = this.outChunkSize();
      const out = this.ensureOut(size);
      this.emu.u8[out] = this.bitBuffer;
      this.param.sbb = this.bitCount;
      regs = { ...regs, r1: out, r1len: size };
      const result = this.emu.call(FC_CMPR, true, this.pb, regs);
      cc = result.cc;
      regs = result.regs;
      this.calls++;
      this.ccCounts[cc]++;
      if (cc === 2) throw new Error(`CMPR returned CC2, OESC 0x${this.param.oesc.toString(16)}`);
      const produced = regs.r1 - out;
      if (produced > 0) this.chunks.push(this.emu.read(out, produced));
      this.bitCount = this.param.sbb;
      this.bitBuffer = this.bitCount ? this.emu.u8[regs.r1] & ((1 << this.bitCount) - 1) : 0;
      if (cc === 1 || cc === 3) this.param.bcf = true; // what zlib does
      this.options.afterCall?.(cc, regs);
    } while (cc === 3 || (cc === 1 && (regs.r2len > 0 || this.param.cf)));
    return { consumed: inLen - regs.r2len, cc };
  }

  /** Drain bits the machine still holds (CF = 1) by calling with no input. */
  private drain(): void {
    while (this.param.cf) this.cmpr(this.ensureIn(1), 0);
  }

  push(data: Uint8Array, flush: Flush = 'none'): void {
    const inAddr = this.ensureIn(Math.max(data.length, 1));
    this.emu.u8.set(data, inAddr);
    let offset = 0;
    while (offset < data.length) {
      const availIn = data.length - offset;
      const p = this.param;
      // Mid-stream switch to a new dynamic block.
      if (p.bcf && !p.bhf && this.totalIn >= this.blockThreshold && availIn >= 4096) {
        this.drain();
        this.softwareEndOfBlock();
      }
      if (!p.bcf) {
        const firstFixed = this.options.firstFixedBlock ?? 4096;
        const fixed = !!this.options.fixedOnly || (this.totalIn === 0 && firstFixed > 0);
        const blockSize = this.options.blockSize ?? 1 << 20;
        if (fixed) {
          p.htt = false;
          this.blockThreshold = this.options.fixedOnly ? Infinity : firstFixed;
        } else {
          this.blockThreshold = this.totalIn + blockSize;
          this.emu.call(FC_GDHT, false, this.pb, { r2: inAddr + offset, r2len: Math.min(availIn, blockSize) });
          p.htt = true;
        }
        p.bhf = flush === 'finish' && (fixed || availIn <= blockSize);
      }
      // Mask the input at the block threshold (the fixed first block takes whole calls).
      let len = availIn;
      const fixedBlock = !p.htt;
      const room = this.blockThreshold - this.totalIn;
      if (!fixedBlock && room > 0) len = Math.min(availIn, room);
      const { consumed } = this.cmpr(inAddr + offset, len);
      offset += consumed;
      this.totalIn += consumed;
    }
    this.drain();
    this.finishFlush(flush);
  }

  private finishFlush(flush: Flush): void {
    const p = this.param;
    if (flush === 'none') return;
    if (flush === 'sync' || flush === 'full') {
      if (p.bcf) this.softwareEndOfBlock();
      this.putBits(0, 3); // empty stored block
      this.alignToByte();
      this.putBits(0x0000, 16);
      this.putBits(0xffff, 16);
      if (flush === 'full') p.hl = 0;
      return;
    }
    // finish
    if (p.bcf && p.bhf) {
      this.softwareEndOfBlock();
    } else {
      if (p.bcf) this.softwareEndOfBlock();
      this.putBits(0b011, 3); // BFINAL=1, BTYPE=01
      this.putBits(0, 7); // end of block in the fixed code
    }
    this.alignToByte();
  }

  /** All output so far (whole bytes). */
  output(): Uint8Array {
    const total = this.chunks.reduce((s, c) => s + c.length, 0);
    const all = new Uint8Array(total);
    let at = 0;
    for (const c of this.chunks) {
      all.set(c, at);
      at += c.length;
    }
    return all;
  }

  /** Check value as an integer (CRC-32 read little-endian, Adler-32 big-endian). */
  checkValue(): number {
    return this.options.adler ? this.param.cvBigEndian : this.param.cvLittleEndian;
  }
}

/** Compress `data` in `inChunk`-byte pushes, finishing the stream. */
export function deflateWithDfltcc(
  emu: Emulator,
  data: Uint8Array,
  options: DeflaterOptions & { inChunk?: number } = {},
): {
  output: Uint8Array;
  deflater: DfltccDeflater;
} {
  const d = new DfltccDeflater(emu, options);
  const chunk = options.inChunk ?? data.length;
  if (data.length === 0) d.push(data, 'finish');
  for (let at = 0; at < data.length; at += Math.max(chunk, 1)) {
    const end = Math.min(data.length, at + Math.max(chunk, 1));
    d.push(data.subarray(at, end), end === data.length ? 'finish' : 'none');
  }
  return { output: d.output(), deflater: d };
}
