/**
 * Test support for DFLTCC-XPND: loads asm/build/dfltcc.wasm into a shared memory and drives the
 * expand function the way IBM's zlib does (loop while CC3, feed input on CC2/OESC 0, drain output on
 * CC1, then skip the partial byte after CC0 and check the zlib/gzip trailer in software).
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '../..');
export const wasmPath = join(root, 'asm/build/dfltcc.wasm');

export const FC_XPND = 4;
export const HBT_CIRCULAR = 0x80;
export const PB_SIZE = 1536;
export const HIST_SIZE = 32768;

// Parameter-block offsets (big-endian fields, spec §2.2).
export const PB = {
  CF: 7,
  FLAGS: 16, // NT 0x80, CVT 0x20
  SBB: 18,
  OESC: 19,
  HL: 44,
  HO: 46,
  CV: 48,
  CSB: 384,
} as const;

export interface Machine {
  memory: WebAssembly.Memory;
  exports: {
    dfltcc(gr0: number, gr1: number, regs: number): number;
    dfltcc_scratch_size(): number;
    dfltcc_init(scratch: number, model: number, cpuAmount: number): void;
    heap_base(): number;
  };
  scratch: number;
  /** Bump allocator over the shared memory (grows it as needed). */
  alloc(size: number, align?: number): number;
  /** Forget every allocation made after `mark`. */
  release(mark: number): void;
  mark(): number;
  u8(): Uint8Array;
  dv(): DataView;
  setCpuAmount(amount: number): void;
}

const PAGE = 65536;

export function loadMachine(options: { cpuAmount?: number; initialPages?: number } = {}): Machine {
  const bytes = readFileSync(wasmPath);
  const module = new WebAssembly.Module(bytes);
  const memory = new WebAssembly.Memory({ initial: options.initialPages ?? 256, maximum: 32768, shared: true });
  const instance = new WebAssembly.Instance(module, {
    env: {
      memory,
      abort(msg: number, file: number, line: number, column: number) {
        throw new Error(`wasm abort at ${line}:${column}`);
      },
      hazard() {},
    },
  });
  const exports = instance.exports as unknown as Machine['exports'];
  let top = (exports.heap_base() + 4095) & ~4095;
  const alloc = (size: number, align = 64) => {
    top = (top + align - 1) & ~(align - 1);
    const at = top;
    top += size;
    const needPages = Math.ceil(top / PAGE);
    const have = memory.buffer.byteLength / PAGE;
    if (needPages > have) memory.grow(needPages - have);
    return at;
  };
  const scratch = alloc(exports.dfltcc_scratch_size(), 4096);
  exports.dfltcc_init(scratch, 0, options.cpuAmount ?? 0);
  const machine: Machine = {
    memory,
    exports,
    scratch,
    alloc,
    mark: () => top,
    release: (mark: number) => {
      top = mark;
    },
    u8: () => new Uint8Array(memory.buffer),
    dv: () => new DataView(memory.buffer),
    setCpuAmount: (amount: number) => exports.dfltcc_init(scratch, 0, amount),
  };
  return machine;
}

/** Registers block: R1, R1+1, R2, R2+1, R3 as little-endian u32. */
export interface Regs {
  r1: number;
  r1len: number;
  r2: number;
  r2len: number;
  r3: number;
}

export function writeRegs(m: Machine, at: number, r: Regs): void {
  const dv = m.dv();
  dv.setUint32(at, r.r1, true);
  dv.setUint32(at + 4, r.r1len, true);
  dv.setUint32(at + 8, r.r2, true);
  dv.setUint32(at + 12, r.r2len, true);
  dv.setUint32(at + 16, r.r3, true);
}

export function readRegs(m: Machine, at: number): Regs {
  const dv = m.dv();
  return {
    r1: dv.getUint32(at, true),
    r1len: dv.getUint32(at + 4, true),
    r2: dv.getUint32(at + 8, true),
    r2len: dv.getUint32(at + 12, true),
    r3: dv.getUint32(at + 16, true),
  };
}

export function xpnd(m: Machine, pb: number, regs: number, hbt = true): number {
  return m.exports.dfltcc(FC_XPND | (hbt ? HBT_CIRCULAR : 0), pb, regs);
}

export const pbField = {
  hl: (m: Machine, pb: number) => m.dv().getUint16(pb + PB.HL, false),
  ho: (m: Machine, pb: number) => m.dv().getUint16(pb + PB.HO, false) & 0x7fff,
  cf: (m: Machine, pb: number) => m.u8()[pb + PB.CF] & 1,
  nt: (m: Machine, pb: number) => (m.u8()[pb + PB.FLAGS] & 0x80) !== 0,
  sbb: (m: Machine, pb: number) => m.u8()[pb + PB.SBB] & 7,
  oesc: (m: Machine, pb: number) => m.u8()[pb + PB.OESC],
  cvLE: (m: Machine, pb: number) => m.dv().getUint32(pb + PB.CV, true),
  cvBE: (m: Machine, pb: number) => m.dv().getUint32(pb + PB.CV, false),
};

/** Fresh parameter block as zlib's reset leaves it: zeroed, NT=1, CVT as given. */
export function resetParamBlock(m: Machine, pb: number, adler: boolean): void {
  const u8 = m.u8();
  u8.fill(0, pb, pb + PB_SIZE);
  u8[pb + PB.FLAGS] = 0x80 | (adler ? 0x20 : 0);
  if (adler) m.dv().setUint32(pb + PB.CV, 1, false);
}

/** zlib's append_history for a preset dictionary (only its last 32 KiB survive). */
export function appendHistory(m: Machine, pb: number, hist: number, data: Uint8Array): void {
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

/**
 * Inflates the raw deflate data `data` (from byte 0, bit 0) with XPND.
 * Allocations are released afterwards.
 */
export function xpndInflateRaw(m: Machine, data: Uint8Array, opt: InflateOptions = {}): InflateResult {
  const mark = m.mark();
  try {
    return inflateLoop(m, data, opt);
  } finally {
    m.release(mark);
  }
}

function inflateLoop(m: Machine, data: Uint8Array, opt: InflateOptions): InflateResult {
  const adler = opt.adler ?? true;
  let pb = m.alloc(PB_SIZE, 8);
  let hist = m.alloc(HIST_SIZE, 4096);
  const regs = m.alloc(20, 8);
  const maxOut = 1 << 20;
  const outBuf = m.alloc(maxOut + 64);
  // Two input areas, so that input can move between calls.
  const inCap = data.length + 16;
  const inBufs = [m.alloc(inCap), opt.moveInput ? m.alloc(inCap) : 0];
  let which = 0;
  m.u8().set(data, inBufs[0]);
  resetParamBlock(m, pb, adler);
  if (opt.dictionary) {
    appendHistory(m, pb, hist, opt.dictionary);
    m.u8()[pb + PB.FLAGS] &= ~0x80; // NT=0: honour the history
  }
  const outputs: Uint8Array[] = [];
  let pos = 0; // stream offset of the byte at R2
  let fed = Math.min(data.length, pick(opt.inChunk, data.length));
  let sbb = 0;
  let calls = 0;
  const maxCalls = opt.maxCalls ?? 10_000_000;
  let copyPb = 0;
  let copyHist = 0;
  if (opt.copyState) {
    copyPb = m.alloc(PB_SIZE, 8);
    copyHist = m.alloc(HIST_SIZE, 4096);
  }
  for (;;) {
    if (++calls > maxCalls) throw new Error(`more than ${maxCalls} XPND calls`);
    if (opt.copyState && calls > 1) {
      // Continue with a copy of the parameter block and history; poison the original.
      const u8 = m.u8();
      u8.copyWithin(copyPb, pb, pb + PB_SIZE);
      u8.copyWithin(copyHist, hist, hist + HIST_SIZE);
      u8.fill(0xa5, pb, pb + PB_SIZE);
      u8.fill(0x5a, hist, hist + HIST_SIZE);
      [pb, copyPb] = [copyPb, pb];
      [hist, copyHist] = [copyHist, hist];
    }
    let inAddr = inBufs[which] + pos;
    if (opt.moveInput) {
      const next = 1 - which;
      const u8 = m.u8();
      u8.fill(0xee, inBufs[next], inBufs[next] + inCap);
      // Same offset relative to a different base.
      u8.set(data.subarray(pos, fed), inBufs[next] + pos);
      u8.fill(0xcc, inBufs[which], inBufs[which] + inCap);
      which = next;
      inAddr = inBufs[which] + pos;
    }
    const outLen = Math.max(1, Math.min(maxOut, pick(opt.outChunk, 65536)));
    const inLen = fed - pos;
    m.u8()[pb + PB.SBB] = (m.u8()[pb + PB.SBB] & ~7) | sbb;
    writeRegs(m, regs, { r1: outBuf, r1len: outLen, r2: inAddr, r2len: inLen, r3: hist });
    const cc = xpnd(m, pb, regs, true);
    const after = readRegs(m, regs);
    const produced = after.r1 - outBuf;
    const consumed = after.r2 - inAddr;
    if (after.r1len !== outLen - produced) throw new Error('R1+1 inconsistent with R1');
    if (after.r2len !== inLen - consumed) throw new Error('R2+1 inconsistent with R2');
    if (produced < 0 || produced > outLen || consumed < 0 || consumed > inLen) {
      throw new Error(`registers out of range: produced ${produced} consumed ${consumed}`);
    }
    outputs.push(m.u8().slice(outBuf, outBuf + produced));
    pos += consumed;
    sbb = pbField.sbb(m, pb);
    const oesc = pbField.oesc(m, pb);
    opt.onCall?.({ cc, oesc, consumed, produced, inLen, outLen, after, cf: pbField.cf(m, pb), sbb });
    if (pbField.nt(m, pb)) throw new Error('NT still set after XPND');
    if (cc === 0) {
      const end = pos + (sbb !== 0 ? 1 : 0);
      return result('end', 0, end);
    }
    if (cc === 1) {
      if (after.r1len !== 0) throw new Error(`CC1 with op1 length ${after.r1len}`);
      continue;
    }
    if (cc === 3) {
      if (produced === 0 && consumed === 0) throw new Error('CC3 without progress');
      continue;
    }
    if (cc === 2) {
      if (oesc !== 0) return result('error', oesc, pos);
      if (after.r2len !== 0 || sbb !== 0) throw new Error(`CC2/OESC0 with op2 length ${after.r2len} sbb ${sbb}`);
      if (pbField.cf(m, pb) !== 1) throw new Error('CC2/OESC0 without CF');
      if (fed >= data.length) return result('truncated', 0, pos);
      fed = Math.min(data.length, fed + Math.max(1, pick(opt.inChunk, data.length)));
      continue;
    }
    throw new Error(`bad condition code ${cc}`);
  }

  function result(status: InflateResult['status'], oesc: number, end: number): InflateResult {
    let total = 0;
    for (const o of outputs) total += o.length;
    const output = new Uint8Array(total);
    let at = 0;
    for (const o of outputs) {
      output.set(o, at);
      at += o.length;
    }
    const check = adler ? pbField.cvBE(m, pb) : pbField.cvLE(m, pb);
    return { status, oesc, output, end, check, calls, pb, hist };
  }
}

/** Inflates a zlib stream (header, deflate data, Adler-32 trailer checked in software). */
export function xpndInflateZlib(m: Machine, stream: Uint8Array, opt: InflateOptions = {}): Uint8Array {
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
export function xpndInflateGzip(m: Machine, stream: Uint8Array, opt: InflateOptions = {}): Uint8Array {
  if (stream[0] !== 0x1f || stream[1] !== 0x8b || stream[2] !== 8) throw new Error('bad gzip header');
  if (stream[3] !== 0) throw new Error('gzip flags not supported by this test driver');
  const start = 10;
  const r = xpndInflateRaw(m, stream.subarray(start), { ...opt, adler: false });
  if (r.status !== 'end') throw new Error(`XPND ${r.status} oesc 0x${r.oesc.toString(16)}`);
  const dv = new DataView(stream.buffer, stream.byteOffset + start + r.end, 8);
  if (dv.getUint32(0, true) !== r.check) throw new Error('crc mismatch');
  if (dv.getUint32(4, true) !== (r.output.length >>> 0)) throw new Error('isize mismatch');
  return r.output;
}
