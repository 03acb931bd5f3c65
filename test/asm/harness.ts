// Test harness for the DFLTCC emulator (asm/build/dfltcc.wasm).
//
// Each loadEmulator() call creates a fresh shared memory, instantiates the module against it, places a
// scratch region above heap_base() and calls dfltcc_init. It offers a bump allocator, typed views that
// follow memory growth, and call() that fills and reads back the five-word register block.
//
// The module is (re)built on first use when asm/src is newer than asm/build/dfltcc.wasm (build.ts).

import { readFileSync } from 'node:fs';
import { emulatorWasm, ensureBuilt } from './build';
import {
  HISTORY_BYTES,
  PARAMETER_BLOCK_BYTES,
  ParameterBlock,
  ParameterBlockFlag,
  ParameterBlockLayout,
  type ParameterBlockMemory,
} from '../../src/machine/parameter-block.js';

export const FC_QAF = 0;
export const FC_GDHT = 1;
export const FC_CMPR = 2;
export const FC_XPND = 4;
export const HBT_CIRCULAR = 0x80;

export const PARAM_BLOCK_SIZE = PARAMETER_BLOCK_BYTES;
export const HISTORY_SIZE = HISTORY_BYTES;

export type HazardHook = (pb: number, addr: number, len: number) => void;

export interface EmulatorOptions {
  /** 0 = single (snapshot reads), 1 = multiple (history re-reads the input). Default 0. */
  model?: 0 | 1;
  /** Second-operand bytes processed before CC3; 0 = unbounded. Default 0. */
  cpuAmount?: number;
  /** Called between the encode read and the history read in the multiple model. */
  hazard?: HazardHook;
  /** Path of the wasm file (default asm/build/dfltcc.wasm). */
  wasmPath?: string;
}

export interface Registers {
  r1: number;
  r1len: number;
  r2: number;
  r2len: number;
  r3: number;
}

export interface CallResult {
  cc: number;
  regs: Registers;
}

interface DfltccExports {
  dfltcc(gr0: number, gr1: number, regs: number): number;
  dfltcc_scratch_size(): number;
  dfltcc_init(scratch: number, model: number, cpuAmount: number): void;
  heap_base(): number;
}

/** DFLTCC_WASM=asm/build/dfltcc.debug.wasm runs the tests against the debug build (build it first). */
const defaultWasm = process.env.DFLTCC_WASM ?? emulatorWasm;
const moduleCache = new Map<string, WebAssembly.Module>();

function compiledModule(path: string): WebAssembly.Module {
  if (path === emulatorWasm) ensureBuilt();
  let module = moduleCache.get(path);
  if (!module) {
    module = new WebAssembly.Module(readFileSync(path));
    moduleCache.set(path, module);
  }
  return module;
}

export class Emulator {
  readonly memory: WebAssembly.Memory;
  readonly exports: DfltccExports;
  readonly scratch: number;
  readonly scratchSize: number;
  /** Replaceable at any time. */
  hazard: HazardHook = () => {};
  private top: number;
  private readonly regsAddr: number;

  constructor(options: EmulatorOptions = {}) {
    this.memory = new WebAssembly.Memory({ initial: 64, maximum: 32768, shared: true });
    if (options.hazard) this.hazard = options.hazard;
    const instance = new WebAssembly.Instance(compiledModule(options.wasmPath ?? defaultWasm), {
      env: {
        memory: this.memory,
        abort: (msg: number, file: number, line: number, col: number) => {
          throw new Error(`dfltcc abort at ${line}:${col} (msg ptr ${msg}, file ptr ${file})`);
        },
        hazard: (pb: number, addr: number, len: number) => this.hazard(pb >>> 0, addr >>> 0, len >>> 0),
      },
    });
    this.exports = instance.exports as unknown as DfltccExports;
    this.top = this.exports.heap_base() >>> 0;
    this.regsAddr = this.alloc(32, 8);
    this.scratchSize = this.exports.dfltcc_scratch_size() >>> 0;
    this.scratch = this.alloc(this.scratchSize, 4096);
    this.exports.dfltcc_init(this.scratch, options.model ?? 0, options.cpuAmount ?? 0);
  }

  /** Re-run dfltcc_init on the same scratch with another model or CPU amount. */
  configure(model: 0 | 1, cpuAmount: number): void {
    this.exports.dfltcc_init(this.scratch, model, cpuAmount);
  }

  /** Bump allocation, zero-filled (fresh memory), growing the memory when needed. */
  alloc(size: number, align = 8): number {
    const start = Math.ceil(this.top / align) * align;
    const end = start + size;
    const have = this.memory.buffer.byteLength;
    if (end > have) this.memory.grow(Math.ceil((end - have) / 65536));
    this.top = end;
    return start;
  }

  get u8(): Uint8Array {
    return new Uint8Array(this.memory.buffer);
  }

  get view(): DataView {
    return new DataView(this.memory.buffer);
  }

  /** Copy `data` to a new allocation and return its address. */
  put(data: Uint8Array, align = 8): number {
    const addr = this.alloc(Math.max(data.length, 1), align);
    this.u8.set(data, addr);
    return addr;
  }

  /** A copy of `len` bytes at `addr`. */
  read(addr: number, len: number): Uint8Array {
    return this.u8.slice(addr, addr + len);
  }

  /** A zeroed 1536-byte parameter block (8-byte aligned). */
  paramBlock(): number {
    return this.alloc(PARAM_BLOCK_SIZE, 8);
  }

  /** A zeroed 32 KiB history buffer (4 KiB aligned). */
  historyBuffer(): number {
    return this.alloc(HISTORY_SIZE, 4096);
  }

  /** Issue DFLTCC with function code `fc`, HBT flag and the given registers. */
  call(fc: number, hbt: boolean, pb: number, regs: Partial<Registers> = {}): CallResult {
    const v = this.view;
    const r = this.regsAddr;
    v.setUint32(r, regs.r1 ?? 0, true);
    v.setUint32(r + 4, regs.r1len ?? 0, true);
    v.setUint32(r + 8, regs.r2 ?? 0, true);
    v.setUint32(r + 12, regs.r2len ?? 0, true);
    v.setUint32(r + 16, regs.r3 ?? 0, true);
    const gr0 = (fc & 0x7f) | (hbt ? HBT_CIRCULAR : 0);
    const cc = this.exports.dfltcc(gr0, pb, r);
    const w = this.view;
    return {
      cc,
      regs: {
        r1: w.getUint32(r, true),
        r1len: w.getUint32(r + 4, true),
        r2: w.getUint32(r + 8, true),
        r2len: w.getUint32(r + 12, true),
        r3: w.getUint32(r + 16, true),
      },
    };
  }
}

export function loadEmulator(options: EmulatorOptions = {}): Emulator {
  return new Emulator(options);
}

// ---- parameter-block field access: the library's one layout (src/machine/parameter-block.ts) ----------

/** The memory of an emulator, as the library's ParameterBlock reads and writes it. */
export function emulatorMemory(emu: Emulator): ParameterBlockMemory {
  const view = () => emu.view;
  return {
    u8: (address) => view().getUint8(address),
    setU8: (address, value) => view().setUint8(address, value),
    u16be: (address) => view().getUint16(address),
    setU16be: (address, value) => view().setUint16(address, value),
    u32: (address) => view().getUint32(address, true),
    setU32: (address, value) => view().setUint32(address, value, true),
    u32be: (address) => view().getUint32(address),
    setU32be: (address, value) => view().setUint32(address, value),
    copy: (target, source, length) => emu.u8.copyWithin(target, source, source + length),
    fill: (address, length, value) => {
      emu.u8.fill(value, address, address + length);
    },
  };
}

/** Byte offsets of the format-0 fields, under the names the tests use (all from ParameterBlockLayout). */
export const PB = {
  ...ParameterBlockLayout,
  CF: ParameterBlockLayout.CF_BYTE,
  FLAGS: ParameterBlockLayout.FLAGS_BYTE,
  SBB: ParameterBlockLayout.SBB_BYTE,
} as const;

export const FLAG = ParameterBlockFlag;

/** The library's ParameterBlock on an emulator's memory, plus raw views of fields the library does not need. */
export class ParamBlock extends ParameterBlock {
  constructor(
    readonly emu: Emulator,
    readonly addr: number,
  ) {
    super(emulatorMemory(emu), addr);
  }
  private get v(): DataView {
    return this.emu.view;
  }
  override flag(mask: number): boolean {
    return super.flag(mask);
  }
  override setFlag(mask: number, on: boolean): void {
    super.setFlag(mask, on);
  }
  override get cf() {
    return super.cf;
  }
  set cf(on: boolean) {
    const b = this.v.getUint8(this.addr + PB.CF_BYTE);
    this.v.setUint8(this.addr + PB.CF_BYTE, on ? b | 1 : b & ~1);
  }
  /** CV field as a big-endian integer (Adler-32 order). */
  get cvBigEndian() {
    return this.v.getUint32(this.addr + PB.CV);
  }
  /** CV field as a little-endian integer (CRC-32 order). */
  get cvLittleEndian() {
    return this.v.getUint32(this.addr + PB.CV, true);
  }
  /** EOBS (15 bits, left-aligned natural-order code). */
  get eobs() {
    return this.v.getUint16(this.addr + PB.EOBS) >>> 1;
  }
  get eobl() {
    return this.v.getUint8(this.addr + PB.EOBL_BYTE) >>> 4;
  }
  get cdhtl() {
    return this.v.getUint16(this.addr + PB.CDHTL) & 0xfff;
  }
  /** The end-of-block code in DEFLATE (LSB-first) order, and its length. */
  endOfBlockBits(): { bits: number; length: number } {
    return this.endOfBlock();
  }
}
