// Fuzz worker for DFLTCC-XPND (started by xpnd-fuzz.test.ts). Plain JavaScript so that it runs in a
// worker thread without a TypeScript loader; the parent terminates it if it takes too long, so an
// infinite loop inside the emulator fails the test instead of hanging it.
//
// Each iteration mutates one valid deflate stream (bit flips, truncation, byte insertion or deletion,
// span overwrite, splice) and drives XPND over it with random operand sizes, random preset history and
// the instance's CPU amount, with guard bytes around the first and second operands, the parameter
// block and the history buffer. Every call must consume input or produce output or end the stream.

import { parentPort, workerData } from 'node:worker_threads';
import { readFileSync } from 'node:fs';

const { wasmPath, streams, iterations, seed, cpuAmounts } = workerData;

const PB_SIZE = 1536;
const HIST = 32768;
const GUARD = 64;
const G_PB = 0xa7;
const G_HIST = 0xb3;
const G_OUT = 0xc5;
const G_IN = 0xd9;

let rngState = seed >>> 0 || 1;
function rnd() {
  rngState ^= rngState << 13;
  rngState >>>= 0;
  rngState ^= rngState >>> 17;
  rngState ^= rngState << 5;
  rngState >>>= 0;
  return rngState;
}
const below = (n) => rnd() % n;

const memory = new WebAssembly.Memory({ initial: 64, maximum: 32768, shared: true });
const instance = new WebAssembly.Instance(new WebAssembly.Module(readFileSync(wasmPath)), {
  env: {
    memory,
    abort: (_message, _file, line, col) => {
      throw new Error(`wasm abort ${line}:${col}`);
    },
    hazard: () => {},
  },
});
const ex = instance.exports;
let top = ex.heap_base() >>> 0;
function alloc(size, align) {
  top = Math.ceil(top / align) * align;
  const at = top;
  top += size;
  const need = Math.ceil(top / 65536) - memory.buffer.byteLength / 65536;
  if (need > 0) memory.grow(need);
  return at;
}
const scratch = alloc(ex.dfltcc_scratch_size(), 4096);
const regs = alloc(32, 8);
// Layout: guard | pb | guard ... guard | hist | guard ... out region ... in region
const pbArea = alloc(PB_SIZE + 2 * GUARD, 8);
const pb = pbArea + GUARD;
const histArea = alloc(HIST + 2 * 4096, 4096);
const hist = histArea + 4096;
const OUT_MAX = 8192;
const outArea = alloc(OUT_MAX + 2 * GUARD, 64);
const IN_MAX = 16384;
const inArea = alloc(IN_MAX + 2 * GUARD, 64);

let u8 = new Uint8Array(memory.buffer);
let dv = new DataView(memory.buffer);
const refresh = () => {
  if (u8.buffer !== memory.buffer || u8.length !== memory.buffer.byteLength) {
    u8 = new Uint8Array(memory.buffer);
    dv = new DataView(memory.buffer);
  }
};

function fillGuards() {
  u8.fill(G_PB, pb - GUARD, pb);
  u8.fill(G_PB, pb + PB_SIZE, pb + PB_SIZE + GUARD);
  u8.fill(G_HIST, hist - GUARD, hist);
  u8.fill(G_HIST, hist + HIST, hist + HIST + GUARD);
}

function checkRange(from, to, value, what) {
  for (let i = from; i < to; i++) {
    if (u8[i] !== value) throw new Error(`guard ${what} overwritten at ${i - from}`);
  }
}

function checkGuards() {
  checkRange(pb - GUARD, pb, G_PB, 'before pb');
  checkRange(pb + PB_SIZE, pb + PB_SIZE + GUARD, G_PB, 'after pb');
  checkRange(hist - GUARD, hist, G_HIST, 'before history');
  checkRange(hist + HIST, hist + HIST + GUARD, G_HIST, 'after history');
}

function mutate(src) {
  let d = Uint8Array.from(src);
  const kinds = 1 + below(3);
  for (let k = 0; k < kinds; k++) {
    const what = below(7);
    if (what <= 1 && d.length) {
      const flips = 1 + below(4);
      for (let f = 0; f < flips; f++) d[below(d.length)] ^= 1 << below(8);
    } else if (what === 2 && d.length) {
      d = d.subarray(0, below(d.length + 1));
    } else if (what === 3) {
      const at = below(d.length + 1);
      const n = 1 + below(8);
      const ins = new Uint8Array(n);
      for (let i = 0; i < n; i++) ins[i] = rnd() & 255;
      const out = new Uint8Array(d.length + n);
      out.set(d.subarray(0, at));
      out.set(ins, at);
      out.set(d.subarray(at), at + n);
      d = out;
    } else if (what === 4 && d.length > 1) {
      const at = below(d.length);
      const n = 1 + below(Math.min(8, d.length - at));
      const out = new Uint8Array(d.length - n);
      out.set(d.subarray(0, at));
      out.set(d.subarray(at + n), at);
      d = out;
    } else if (what === 5 && d.length) {
      const at = below(d.length);
      const n = 1 + below(Math.min(16, d.length - at));
      for (let i = 0; i < n; i++) d[at + i] = rnd() & 255;
    } else {
      const other = streams[below(streams.length)];
      const a = below(d.length + 1);
      const b = below(other.length + 1);
      const out = new Uint8Array(a + other.length - b);
      out.set(d.subarray(0, a));
      out.set(other.subarray(b), a);
      d = out;
    }
  }
  return d.length > IN_MAX ? d.subarray(0, IN_MAX) : d;
}

const OUTPUT_CAP = 1 << 18;
const stats = { capped: 0, streams: 0, calls: 0, end: 0, error: 0, truncated: 0, cc3: 0, oesc: {} };

function runStream(data) {
  refresh();
  // Parameter block: fresh (NT=1), or NT=0 with random history (HL, HO, contents).
  u8.fill(0, pb, pb + PB_SIZE);
  const adler = (rnd() & 1) === 1;
  u8[pb + 16] = adler ? 0x20 : 0;
  if (below(4) === 0) {
    const hl = below(HIST + 1);
    dv.setUint16(pb + 44, hl);
    dv.setUint16(pb + 46, below(HIST));
    for (let i = 0; i < 64; i++) u8[hist + below(HIST)] = rnd() & 255;
  } else {
    u8[pb + 16] |= 0x80;
  }
  if (adler) dv.setUint32(pb + 48, 1);
  fillGuards();
  let pos = 0;
  let fed = Math.min(data.length, 1 + below(data.length + 1));
  let sbb = 0;
  // Every call consumes input, produces output or ends the stream: this bounds the calls.
  const maxCalls = data.length + OUTPUT_CAP + 64;
  let totalOut = 0;
  for (let calls = 0; ; calls++) {
    if (calls > maxCalls) throw new Error('too many calls');
    const outLen = 1 + below(below(4) === 0 ? 16 : OUT_MAX);
    const out = outArea + GUARD + (OUT_MAX - outLen);
    u8.fill(G_OUT, out - GUARD, out);
    u8.fill(G_OUT, out + outLen, out + outLen + GUARD);
    const inLen = fed - pos;
    const inp = inArea + GUARD + (IN_MAX - inLen);
    u8.fill(G_IN, inp - GUARD, inp);
    u8.set(data.subarray(pos, fed), inp);
    u8.fill(G_IN, inp + inLen, inp + inLen + GUARD);
    u8[pb + 18] = (u8[pb + 18] & ~7) | sbb;
    dv.setUint32(regs, out, true);
    dv.setUint32(regs + 4, outLen, true);
    dv.setUint32(regs + 8, inp, true);
    dv.setUint32(regs + 12, inLen, true);
    dv.setUint32(regs + 16, hist, true);
    const cc = ex.dfltcc(4 | 0x80, pb, regs);
    refresh();
    stats.calls++;
    const r1 = dv.getUint32(regs, true);
    const r1len = dv.getUint32(regs + 4, true);
    const r2 = dv.getUint32(regs + 8, true);
    const r2len = dv.getUint32(regs + 12, true);
    const produced = r1 - out;
    const consumed = r2 - inp;
    if (produced < 0 || produced > outLen || r1len !== outLen - produced) throw new Error('bad R1/R1+1');
    if (consumed < 0 || consumed > inLen || r2len !== inLen - consumed) throw new Error('bad R2/R2+1');
    if (dv.getUint32(regs + 16, true) !== hist) throw new Error('R3 changed');
    checkRange(out - GUARD, out, G_OUT, 'before op1');
    checkRange(out + outLen, out + outLen + GUARD, G_OUT, 'after op1');
    checkRange(inp - GUARD, inp, G_IN, 'before op2');
    checkRange(inp + inLen, inp + inLen + GUARD, G_IN, 'after op2');
    for (let i = 0; i < inLen; i++) if (u8[inp + i] !== data[pos + i]) throw new Error('op2 modified');
    if (u8[pb + 16] & 0x80) throw new Error('NT not cleared');
    totalOut += produced;
    pos += consumed;
    if (totalOut > OUTPUT_CAP) {
      stats.capped++;
      break;
    }
    sbb = u8[pb + 18] & 7;
    const oesc = u8[pb + 19];
    const cf = u8[pb + 7] & 1;
    const hl = dv.getUint16(pb + 44);
    if (hl > HIST) throw new Error('HL > 32768');
    if (cc === 0) {
      if (cf) throw new Error('CC0 with CF');
      stats.end++;
      break;
    }
    if (cc === 1) {
      if (r1len !== 0) throw new Error('CC1 with op1 length > 0');
      if (produced === 0) throw new Error('CC1 without output');
      continue;
    }
    if (cc === 3) {
      stats.cc3++;
      if (produced === 0 && consumed === 0) throw new Error('CC3 without progress');
      continue;
    }
    if (cc !== 2) throw new Error(`bad cc ${cc}`);
    if (oesc !== 0) {
      stats.error++;
      stats.oesc[oesc] = (stats.oesc[oesc] ?? 0) + 1;
      break;
    }
    if (r2len !== 0 || sbb !== 0) throw new Error('CC2/OESC0 with input left');
    if (!cf) throw new Error('CC2/OESC0 without CF');
    if (fed >= data.length) {
      stats.truncated++;
      break;
    }
    fed = Math.min(data.length, fed + 1 + below(1 + below(2) * 4000));
  }
  checkGuards();
  stats.streams++;
}

let configured = -1;
function main() {
  for (let i = 0; i < iterations; i++) {
    if (i % 2000 === 0) {
      const cpu = cpuAmounts[(i / 2000) % cpuAmounts.length];
      if (cpu !== configured) {
        ex.dfltcc_init(scratch, 0, cpu);
        configured = cpu;
      }
    }
    // Progress for the test's watchdog, which fails a worker that goes quiet (a hang), whatever the machine's load.
    if (i % 1000 === 0) parentPort.postMessage({ progress: i });
    const base = streams[below(streams.length)];
    const data = mutate(base);
    try {
      runStream(data);
    } catch (e) {
      parentPort.postMessage({
        failure: `${e.message} (iteration ${i}, seed ${seed}, cpu ${configured}, input ${Buffer.from(data).toString('hex')})`,
      });
      return;
    }
  }
  parentPort.postMessage({ stats });
}
main();
