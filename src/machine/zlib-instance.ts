/**
 * One instance of the zlib module in this thread, on one Machine: its own
 * stack region, and typed access to the z_stream fields the glue exposes.
 */
import { ZaccelError } from '../errors.js';
import type { Machine, Region } from './machine.js';
import { WebAssembly } from './webassembly.js';

/** Stack for one instance. zlib needs a few KiB; inflate_table's arrays are the largest frame. */
const STACK_BYTES = 64 * 1024;

/** The exports of wasm/build/zlib.wasm that the host calls (zlib's own API plus our glue). */
export interface ZlibExports {
  deflate(strm: number, flush: number): number;
  deflateEnd(strm: number): number;
  deflateReset(strm: number): number;
  deflateParams(strm: number, level: number, strategy: number): number;
  deflateSetDictionary(strm: number, dictionary: number, length: number): number;
  deflateGetDictionary(strm: number, dictionary: number, lengthAddress: number): number;
  deflateBound(strm: number, sourceLength: number): number;
  deflatePrime(strm: number, bits: number, value: number): number;
  deflatePending(strm: number, pendingAddress: number, bitsAddress: number): number;
  inflate(strm: number, flush: number): number;
  inflateEnd(strm: number): number;
  inflateReset(strm: number): number;
  inflateReset2(strm: number, windowBits: number): number;
  inflateSetDictionary(strm: number, dictionary: number, length: number): number;
  inflateGetDictionary(strm: number, dictionary: number, lengthAddress: number): number;
  inflateSync(strm: number): number;
  zlibVersion(): number;
  crc32(crc: number, buffer: number, length: number): number;
  adler32(adler: number, buffer: number, length: number): number;
  zaccel_stream_layout(): number;
  zaccel_stream_layout_length(): number;
  zaccel_deflate_arena_size(windowBits: number, memLevel: number): number;
  zaccel_inflate_arena_size(): number;
  zaccel_deflate_init(
    arena: number,
    size: number,
    level: number,
    windowBits: number,
    memLevel: number,
    strategy: number,
  ): number;
  zaccel_inflate_init(arena: number, size: number, windowBits: number): number;
  zaccel_arena_peak(arena: number): number;
  zaccel_deflate_snapshot_size(strm: number): number;
  zaccel_deflate_snapshot(strm: number, out: number): number;
  zaccel_deflate_restore(arena: number, size: number, blob: number, length: number): number;
  zaccel_inflate_snapshot_size(strm: number): number;
  zaccel_inflate_snapshot(strm: number, out: number): number;
  zaccel_inflate_restore(arena: number, size: number, blob: number, length: number): number;
  stackSave(): number;
  stackRestore(address: number): void;
}

/** Field offsets inside z_stream, in the order the glue's table lists them. */
interface StreamLayout {
  size: number;
  nextIn: number;
  availIn: number;
  totalIn: number;
  nextOut: number;
  availOut: number;
  totalOut: number;
  message: number;
  adler: number;
  dataType: number;
}

export class ZlibInstance {
  readonly exports: ZlibExports;
  readonly version: string;
  private readonly layout: StreamLayout;
  private readonly stack: Region;

  private constructor(private readonly machine: Machine) {
    const module = machine.module('zlib');
    if (module === undefined) throw new ZaccelError('ZACCEL_NOT_BUILT', 'zlib module missing from this machine');
    const instance = new WebAssembly.Instance(module, { env: { memory: machine.memory } });
    this.exports = instance.exports as unknown as ZlibExports;
    this.stack = machine.alloc(STACK_BYTES, 16);
    this.exports.stackRestore(this.stack.address + this.stack.size);
    const table = this.exports.zaccel_stream_layout();
    const words = this.exports.zaccel_stream_layout_length();
    const offsets: number[] = [];
    for (let index = 0; index < words; index++) offsets.push(machine.u32(table + index * 4));
    const [size, nextIn, availIn, totalIn, nextOut, availOut, totalOut, message, adler, dataType] = offsets;
    this.layout = { size, nextIn, availIn, totalIn, nextOut, availOut, totalOut, message, adler, dataType };
    this.version = machine.cString(this.exports.zlibVersion()) ?? 'unknown';
  }

  /** This thread's instance on `machine`, created on first use. */
  static of(machine: Machine): ZlibInstance {
    let instance = instances.get(machine);
    if (instance === undefined) {
      instance = new ZlibInstance(machine);
      instances.set(machine, instance);
    }
    return instance;
  }

  setInput(strm: number, address: number, length: number): void {
    this.machine.setU32(strm + this.layout.nextIn, address);
    this.machine.setU32(strm + this.layout.availIn, length);
  }

  setOutput(strm: number, address: number, length: number): void {
    this.machine.setU32(strm + this.layout.nextOut, address);
    this.machine.setU32(strm + this.layout.availOut, length);
  }

  availIn(strm: number): number {
    return this.machine.u32(strm + this.layout.availIn);
  }

  availOut(strm: number): number {
    return this.machine.u32(strm + this.layout.availOut);
  }

  totalIn(strm: number): number {
    return this.machine.u32(strm + this.layout.totalIn);
  }

  totalOut(strm: number): number {
    return this.machine.u32(strm + this.layout.totalOut);
  }

  adler(strm: number): number {
    return this.machine.u32(strm + this.layout.adler);
  }

  /** zlib's msg, verbatim, or undefined. */
  message(strm: number): string | undefined {
    return this.machine.cString(this.machine.u32(strm + this.layout.message));
  }

  /** A scratch word pair on this instance's stack, for out-parameters. Not reentrant. */
  withOutWords<T>(body: (first: number, second: number) => T): T {
    const saved = this.exports.stackSave();
    const address = (saved - 16) & ~15;
    this.exports.stackRestore(address);
    try {
      return body(address, address + 8);
    } finally {
      this.exports.stackRestore(saved);
    }
  }
}

const instances = new WeakMap<Machine, ZlibInstance>();
