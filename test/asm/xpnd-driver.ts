/**
 * Test support for DFLTCC-XPND: loads asm/build/dfltcc.wasm into a shared memory and drives the
 * expand function the way IBM's zlib does (loop while CC3, feed input on CC2/OESC 0, drain output on
 * CC1, then skip the partial byte after CC0 and check the zlib/gzip trailer in software).
 */
import { type Emulator, FC_XPND, HISTORY_SIZE, PARAM_BLOCK_SIZE, PB, loadEmulator, type Registers } from './harness.js';
import { yieldToLoop } from '../support/yield-to-loop.js';

export { FC_XPND, PB };
export const PB_SIZE = PARAM_BLOCK_SIZE;
export const HIST_SIZE = HISTORY_SIZE;

/** Reusable buffers per emulator (the harness allocator only grows). */
interface Buffers extends StreamAreas {
  inCap: number;
}

export class XpndDriver {
  readonly emu: Emulator;
  private bufs: Buffers;

  constructor(options: { cpuAmount?: number } = {}) {
    // XPND_WASM selects another build of the module (e.g. a private XPND-only build).
    this.emu = loadEmulator({ cpuAmount: options.cpuAmount ?? 0, wasmPath: process.env.XPND_WASM || undefined });
    const e = this.emu;
    this.bufs = {
      pb: e.paramBlock(),
      pbCopy: e.paramBlock(),
      hist: e.historyBuffer(),
      histCopy: e.historyBuffer(),
      outCap: (1 << 20) + 64,
      out: 0,
      inCap: 0,
      inA: 0,
      inB: 0,
    };
    this.bufs.out = e.alloc(this.bufs.outCap, 64);
  }

  get buffers(): Buffers {
    return this.bufs;
  }

  /** Input areas of at least `size` bytes (reallocated, larger, when needed). */
  inputAreas(size: number): [number, number] {
    if (size > this.bufs.inCap) {
      const cap = Math.max(size, this.bufs.inCap * 2, 4096);
      this.bufs.inA = this.emu.alloc(cap, 64);
      this.bufs.inB = this.emu.alloc(cap, 64);
      this.bufs.inCap = cap;
    }
    return [this.bufs.inA, this.bufs.inB];
  }

  u8(): Uint8Array {
    return this.emu.u8;
  }

  dv(): DataView {
    return this.emu.view;
  }

  alloc(size: number, align = 8): number {
    return this.emu.alloc(size, align);
  }

  setCpuAmount(amount: number): void {
    this.emu.configure(0, amount);
  }

  xpnd(pb: number, regs: Registers, hbt = true): { cc: number; regs: Registers } {
    return this.emu.call(FC_XPND, hbt, pb, regs);
  }
}

export function loadXpndDriver(options: { cpuAmount?: number } = {}): XpndDriver {
  return new XpndDriver(options);
}

export type Regs = Registers;

export const pbField = {
  hl: (m: XpndDriver, pb: number) => m.dv().getUint16(pb + PB.HL, false),
  ho: (m: XpndDriver, pb: number) => m.dv().getUint16(pb + PB.HO, false) & 0x7fff,
  cf: (m: XpndDriver, pb: number) => m.u8()[pb + PB.CF] & 1,
  nt: (m: XpndDriver, pb: number) => (m.u8()[pb + PB.FLAGS] & 0x80) !== 0,
  sbb: (m: XpndDriver, pb: number) => m.u8()[pb + PB.SBB] & 7,
  oesc: (m: XpndDriver, pb: number) => m.u8()[pb + PB.OESC],
  cvLE: (m: XpndDriver, pb: number) => m.dv().getUint32(pb + PB.CV, true),
  cvBE: (m: XpndDriver, pb: number) => m.dv().getUint32(pb + PB.CV, false),
};

/** Fresh parameter block as zlib's reset leaves it: zeroed, NT=1, CVT as given. */
export function resetParamBlock(m: XpndDriver, pb: number, adler: boolean): void {
  const u8 = m.u8();
  u8.fill(0, pb, pb + PB_SIZE);
  u8[pb + PB.FLAGS] = 0x80 | (adler ? 0x20 : 0);
  if (adler) m.dv().setUint32(pb + PB.CV, 1, false);
}

/** zlib's append_history for a preset dictionary (only its last 32 KiB survive). */
export function appendHistory(m: XpndDriver, pb: number, hist: number, data: Uint8Array): void {
  const dv = m.dv();
  const u8 = m.u8();
  let hl = dv.getUint16(pb + PB.HL, false);
  let ho = dv.getUint16(pb + PB.HO, false) & 0x7fff;
  let src = data;
  let skipped = 0;
  if (src.length > HIST_SIZE) {
    skipped = src.length - HIST_SIZE;
    src = src.subarray(skipped);
  }
  let at = (ho + hl + skipped) % HIST_SIZE;
  for (let i = 0; i < src.length; i++) {
    u8[hist + at] = src[i];
    at = (at + 1) % HIST_SIZE;
  }
  const total = hl + data.length;
  if (total > HIST_SIZE) {
    ho = (ho + total - HIST_SIZE) % HIST_SIZE;
    hl = HIST_SIZE;
  } else hl = total;
  dv.setUint16(pb + PB.HL, hl, false);
  dv.setUint16(pb + PB.HO, ho | (dv.getUint16(pb + PB.HO, false) & 0x8000), false);
}

export function adler32(data: Uint8Array, start = 1): number {
  let a = start & 0xffff;
  let b = start >>> 16;
  for (let i = 0; i < data.length; ) {
    const end = Math.min(data.length, i + 5552);
    for (; i < end; i++) {
      a += data[i];
      b += a;
    }
    a %= 65521;
    b %= 65521;
  }
  return ((b << 16) | a) >>> 0;
}

export interface InflateOptions {
  /** Bytes of new input made available each time XPND asks for more (CC2, OESC 0). */
  inChunk?: number | (() => number);
  /** Size of the output buffer handed to each call. */
  outChunk?: number | (() => number);
  /** Check-value type: Adler-32 (zlib streams) or CRC-32 (gzip). */
  adler?: boolean;
  /** Move the unread input to a different address before each call and poison the old copy. */
  moveInput?: boolean;
  /** Preset dictionary, appended to the history with NT=0 like inflateSetDictionary. */
  dictionary?: Uint8Array;
  /** Before each call except the first, copy the parameter block + history and continue with the copy. */
  copyState?: boolean;
  /** Upper bound on DFLTCC calls (an infinite loop fails instead of hanging). */
  maxCalls?: number;
  /** Called after every XPND with the condition code and register deltas. */
  onCall?: (info: CallInfo) => void;
}

export interface CallInfo {
  cc: number;
  oesc: number;
  consumed: number;
  produced: number;
  inLen: number;
  outLen: number;
  after: Regs;
  cf: number;
  sbb: number;
  pb: number;
  hist: number;
}

export interface InflateResult {
  /** 0 = stream end, 'oesc' = data error, 'truncated' = input exhausted without the end. */
  status: 'end' | 'error' | 'truncated';
  oesc: number;
  output: Uint8Array;
  /** Stream position (bytes) of the first byte after the deflate data (the partial byte skipped). */
  end: number;
  /** Check value after the last call, as an integer (CRC from LE, Adler from BE). */
  check: number;
  calls: number;
  pb: number;
  hist: number;
}

const pick = (v: number | (() => number) | undefined, dflt: number) =>
  v === undefined ? dflt : typeof v === 'number' ? v : v();

/** Private buffers for one stream (so several streams can interleave on one machine). */
export function privateAreas(m: XpndDriver, inputSize: number, outCap = 1 << 16): StreamAreas {
  const e = m.emu;
  return {
    pb: e.paramBlock(),
    pbCopy: e.paramBlock(),
    hist: e.historyBuffer(),
    histCopy: e.historyBuffer(),
    out: e.alloc(outCap + 64, 64),
    outCap,
    inA: e.alloc(inputSize + 16, 64),
    inB: e.alloc(inputSize + 16, 64),
  };
}

export interface StreamAreas {
  pb: number;
  pbCopy: number;
  hist: number;
  histCopy: number;
  out: number;
  outCap: number;
  inA: number;
  inB: number;
}

/**
 * One raw deflate stream decoded by XPND, a call at a time (step()), emulating zlib's use:
 * input arrives in chunks, each call gets a fresh output buffer at the same address.
 */
export class XpndStream {
  readonly adler: boolean;
  pb: number;
  hist: number;
  private pbCopy: number;
  private histCopy: number;
  private readonly outBuf: number;
  private readonly maxOut: number;
  private readonly inBufs: [number, number];
  private which = 0;
  private readonly outputs: Uint8Array[] = [];
  /** Stream offset of the byte at R2. */
  pos = 0;
  private fed: number;
  private sbb = 0;
  calls = 0;
  result: InflateResult | undefined;

  constructor(
    readonly m: XpndDriver,
    readonly data: Uint8Array,
    readonly opt: InflateOptions = {},
    areas?: StreamAreas,
  ) {
    this.adler = opt.adler ?? true;
    let a: StreamAreas;
    if (areas) a = areas;
    else {
      const b = m.buffers;
      const [inA, inB] = m.inputAreas(data.length + 16);
      a = {
        pb: b.pb,
        pbCopy: b.pbCopy,
        hist: b.hist,
        histCopy: b.histCopy,
        out: b.out,
        outCap: b.outCap - 64,
        inA,
        inB,
      };
    }
    this.pb = a.pb;
    this.hist = a.hist;
    this.pbCopy = a.pbCopy;
    this.histCopy = a.histCopy;
    this.outBuf = a.out;
    this.maxOut = a.outCap;
    this.inBufs = [a.inA, a.inB];
    m.u8().set(data, this.inBufs[0]);
    resetParamBlock(m, this.pb, this.adler);
    if (opt.dictionary) {
      appendHistory(m, this.pb, this.hist, opt.dictionary);
      m.u8()[this.pb + PB.FLAGS] &= ~0x80; // NT=0: honour the history
    }
    this.fed = Math.min(data.length, pick(opt.inChunk, data.length));
  }

  /** Issue one XPND; returns the final result once the stream ended, failed or ran dry. */
  step(): InflateResult | undefined {
    if (this.result) return this.result;
    const m = this.m;
    const opt = this.opt;
    const maxCalls = opt.maxCalls ?? 10_000_000;
    if (++this.calls > maxCalls) throw new Error(`more than ${maxCalls} XPND calls`);
    if (opt.copyState && this.calls > 1) {
      // Continue with a copy of the parameter block and history; poison the original.
      const u8 = m.u8();
      u8.copyWithin(this.pbCopy, this.pb, this.pb + PB_SIZE);
      u8.copyWithin(this.histCopy, this.hist, this.hist + HIST_SIZE);
      u8.fill(0xa5, this.pb, this.pb + PB_SIZE);
      u8.fill(0x5a, this.hist, this.hist + HIST_SIZE);
      [this.pb, this.pbCopy] = [this.pbCopy, this.pb];
      [this.hist, this.histCopy] = [this.histCopy, this.hist];
    }
    const pb = this.pb;
    const inCap = this.data.length + 16;
    let inAddr = this.inBufs[this.which] + this.pos;
    if (opt.moveInput) {
      const next = 1 - this.which;
      const u8 = m.u8();
      u8.fill(0xee, this.inBufs[next], this.inBufs[next] + inCap);
      u8.set(this.data.subarray(this.pos, this.fed), this.inBufs[next] + this.pos);
      u8.fill(0xcc, this.inBufs[this.which], this.inBufs[this.which] + inCap);
      this.which = next;
      inAddr = this.inBufs[this.which] + this.pos;
    }
    const outLen = Math.max(1, Math.min(this.maxOut, pick(opt.outChunk, 65536)));
    const inLen = this.fed - this.pos;
    m.u8()[pb + PB.SBB] = (m.u8()[pb + PB.SBB] & ~7) | this.sbb;
    const outBuf = this.outBuf;
    const { cc, regs: after } = m.xpnd(pb, { r1: outBuf, r1len: outLen, r2: inAddr, r2len: inLen, r3: this.hist });
    const produced = after.r1 - outBuf;
    const consumed = after.r2 - inAddr;
    if (after.r1len !== outLen - produced) throw new Error('R1+1 inconsistent with R1');
    if (after.r2len !== inLen - consumed) throw new Error('R2+1 inconsistent with R2');
    if (after.r3 !== this.hist) throw new Error('R3 changed');
    if (produced < 0 || produced > outLen || consumed < 0 || consumed > inLen) {
      throw new Error(`registers out of range: produced ${produced} consumed ${consumed}`);
    }
    this.outputs.push(m.u8().slice(outBuf, outBuf + produced));
    this.pos += consumed;
    const sbb = pbField.sbb(m, pb);
    this.sbb = sbb;
    const oesc = pbField.oesc(m, pb);
    opt.onCall?.({
      cc,
      oesc,
      consumed,
      produced,
      inLen,
      outLen,
      after,
      cf: pbField.cf(m, pb),
      sbb,
      pb,
      hist: this.hist,
    });
    if (pbField.nt(m, pb)) throw new Error('NT still set after XPND');
    if (cc === 0) {
      if (pbField.cf(m, pb) !== 0) throw new Error('CC0 with CF set');
      return this.finish('end', 0, this.pos + (sbb !== 0 ? 1 : 0));
    }
    if (cc === 1) {
      if (after.r1len !== 0) throw new Error(`CC1 with op1 length ${after.r1len}`);
      if (pbField.cf(m, pb) !== 1) throw new Error('CC1 without CF');
      return undefined;
    }
    if (cc === 3) {
      if (produced === 0 && consumed === 0) throw new Error('CC3 without progress');
      return undefined;
    }
    if (cc === 2) {
      if (oesc !== 0) return this.finish('error', oesc, this.pos);
      if (after.r2len !== 0 || sbb !== 0) throw new Error(`CC2/OESC0 with op2 length ${after.r2len} sbb ${sbb}`);
      if (pbField.cf(m, pb) !== 1) throw new Error('CC2/OESC0 without CF');
      if (this.fed >= this.data.length) return this.finish('truncated', 0, this.pos);
      this.fed = Math.min(this.data.length, this.fed + Math.max(1, pick(opt.inChunk, this.data.length)));
      return undefined;
    }
    throw new Error(`bad condition code ${cc}`);
  }

  run(): InflateResult {
    for (;;) {
      const r = this.step();
      if (r) return r;
    }
  }

  /** Output produced so far. */
  output(): Uint8Array {
    let total = 0;
    for (const o of this.outputs) total += o.length;
    const output = new Uint8Array(total);
    let at = 0;
    for (const o of this.outputs) {
      output.set(o, at);
      at += o.length;
    }
    return output;
  }

  private finish(status: InflateResult['status'], oesc: number, end: number): InflateResult {
    const check = this.adler ? pbField.cvBE(this.m, this.pb) : pbField.cvLE(this.m, this.pb);
    this.result = { status, oesc, output: this.output(), end, check, calls: this.calls, pb: this.pb, hist: this.hist };
    return this.result;
  }
}

/** Inflates the raw deflate data `data` (from byte 0, bit 0) with XPND. */
export function xpndInflateRaw(m: XpndDriver, data: Uint8Array, opt: InflateOptions = {}): InflateResult {
  return new XpndStream(m, data, opt).run();
}

/** XPND calls between two turns of the event loop in xpndInflateRawAsync: milliseconds of work on a quiet machine. */
const CALLS_PER_TURN = 1000;

/**
 * xpndInflateRaw, letting the event loop turn every CALLS_PER_TURN calls: a small CPU amount or tiny buffers make
 * a stream hundreds of thousands of calls, many seconds of synchronous work on a busy machine, which would keep
 * vitest's worker from answering its RPC.
 */
export async function xpndInflateRawAsync(
  m: XpndDriver,
  data: Uint8Array,
  opt: InflateOptions = {},
): Promise<InflateResult> {
  const stream = new XpndStream(m, data, opt);
  for (;;) {
    for (let call = 0; call < CALLS_PER_TURN; call++) {
      const result = stream.step();
      if (result) return result;
    }
    await yieldToLoop();
  }
}

/** Inflates a zlib stream (header, deflate data, Adler-32 trailer checked in software). */
export function xpndInflateZlib(m: XpndDriver, stream: Uint8Array, opt: InflateOptions = {}): Uint8Array {
  const cmf = stream[0];
  const flg = stream[1];
  if ((cmf & 0x0f) !== 8 || ((cmf << 8) | flg) % 31 !== 0) throw new Error('bad zlib header');
  let start = 2;
  if (flg & 0x20) {
    if (!opt.dictionary) throw new Error('dictionary required');
    const id = new DataView(stream.buffer, stream.byteOffset).getUint32(2, false);
    if (id !== adler32(opt.dictionary)) throw new Error('dictionary id mismatch');
    start = 6;
  }
  const r = xpndInflateRaw(m, stream.subarray(start), { ...opt, adler: true });
  if (r.status !== 'end') throw new Error(`XPND ${r.status} oesc 0x${r.oesc.toString(16)}`);
  const trailer = new DataView(stream.buffer, stream.byteOffset + start + r.end, 4).getUint32(0, false);
  if (trailer !== r.check) throw new Error(`adler mismatch: stream ${trailer.toString(16)} CV ${r.check.toString(16)}`);
  return r.output;
}

/** Inflates a gzip member (fixed 10-byte header assumed as node writes it; CRC-32 and ISIZE checked). */
export function xpndInflateGzip(m: XpndDriver, stream: Uint8Array, opt: InflateOptions = {}): Uint8Array {
  if (stream[0] !== 0x1f || stream[1] !== 0x8b || stream[2] !== 8) throw new Error('bad gzip header');
  if (stream[3] !== 0) throw new Error('gzip flags not supported by this test driver');
  const start = 10;
  const r = xpndInflateRaw(m, stream.subarray(start), { ...opt, adler: false });
  if (r.status !== 'end') throw new Error(`XPND ${r.status} oesc 0x${r.oesc.toString(16)}`);
  const dv = new DataView(stream.buffer, stream.byteOffset + start + r.end, 8);
  if (dv.getUint32(0, true) !== r.check) throw new Error('crc mismatch');
  if (dv.getUint32(4, true) !== r.output.length >>> 0) throw new Error('isize mismatch');
  return r.output;
}
