/**
 * The Machine: one shared WebAssembly.Memory that every engine instance in
 * every thread runs against, and the only code in zaccel that creates views
 * of it or does arithmetic on its addresses.
 *
 * Layout of the memory:
 *
 *   0 .. 64 KiB            zlib module's static data (emscripten starts at 1024)
 *   64 KiB .. heap base    the DFLTCC emulator's static data (asc --memoryBase 65536)
 *   control block          magic, the partition bump pointer, the last owner id,
 *                          and the partition table (shared, atomic; see below)
 *   partitions ...         carved on demand, each owned by one thread's handle
 *
 * A thread attaches to a Machine and gets its own handle, with an owner id of
 * its own. The handle carves whole partitions from the shared bump pointer
 * with one atomic operation and then allocates regions inside them with a
 * private allocator, so no allocator state is shared between threads.
 *
 * The partition table records every partition with its owner:
 *
 *   word 0 magic | 1 bump pointer | 2 maximum bytes | 3 last owner id | 4 entries used | 5..7 reserved
 *   word 8 + 3i:  partition i's address, size, owner (0 while the carving thread has not published it)
 *
 * It is what lets memory outlive a thread: when a thread ends for good (a
 * worker that crashed), none of its regions can be in use any more, so a
 * handle started in its place adopts its partitions (adoptPartitions) instead
 * of carving new ones. The table has room for every partition the maximum
 * size allows, because no partition is smaller than PARTITION_GRANULE.
 */
import { ZaccelError } from '../errors.js';
import { adoptModule, compileModule, isModuleBuilt, type ModuleName } from './modules.js';
import { alignUp, RegionAllocator } from './region-allocator.js';
import { WebAssembly } from './webassembly.js';

export const WASM_PAGE = 65_536;
/** Where the emulator's static data starts; zlib's must end below it. */
export const EMULATOR_MEMORY_BASE = 65_536;
const CONTROL_MAGIC = 0x7a61_6363; // "zacc"
/** Control words, by index: see the layout in the header. */
const CONTROL = { magic: 0, bump: 1, maximum: 2, lastOwner: 3, entries: 4 } as const;
const CONTROL_HEADER_WORDS = 8;
const ENTRY_WORDS = 3;
const ENTRY = { address: 0, size: 1, owner: 2 } as const;
/** The owner id of the handle that created the Machine; attached handles get the next ones. */
const CREATOR_OWNER = 1;
const PARTITION_GRANULE = WASM_PAGE;
const DEFAULT_PARTITION_BYTES = 4 * 1024 * 1024;
const GUARD_PATTERN = 0xa5;
/** Guards are rounded up to this, the largest alignment any region needs (DFLTCC history: 4 KiB). */
const GUARD_GRANULE = 4096;

/** Words of the control block for a Machine of this maximum size: the header and a full partition table. */
function controlWords(maximumBytes: number): number {
  return CONTROL_HEADER_WORDS + ENTRY_WORDS * Math.ceil(maximumBytes / PARTITION_GRANULE);
}

export interface MachineOptions {
  /** Bytes of memory to start with. Default 16 MiB. */
  initialBytes?: number;
  /** The most the memory may grow to, at most 2 GiB. Default 1 GiB. */
  maximumBytes?: number;
  /** Bytes of guard pattern before and after every region (rounded up to 4 KiB), checked by checkGuards(). Default 0. */
  guardBytes?: number;
  /** Size of the partitions this handle carves. Default 4 MiB. */
  partitionBytes?: number;
}

export interface AttachOptions extends Omit<MachineOptions, 'initialBytes' | 'maximumBytes'> {
  /**
   * The owner id this handle carves and adopts as, from {@link Machine.reserveOwner} on any handle (so a pool can
   * know a worker's id before the worker starts). Default: a new id.
   */
  owner?: number;
}

/** Everything another thread needs to attach to the same Machine. Structured-cloneable. */
export interface MachineDescriptor {
  memory: WebAssembly.Memory;
  modules: Partial<Record<ModuleName, WebAssembly.Module>>;
  controlAddress: number;
  maximumBytes: number;
  staticEnds: Partial<Record<ModuleName, number>>;
}

/** A range of machine memory owned by one handle. */
export interface Region {
  readonly address: number;
  readonly size: number;
}

export interface MachineStats {
  /** Bytes in live regions of this handle (guards included). */
  bytesInUse: number;
  /** Live regions of this handle. */
  liveRegions: number;
  /** Bytes of partitions this handle has carved. */
  bytesOwned: number;
  /** The shared memory's current size. */
  memoryBytes: number;
  /** The top of the carved partitions, across all threads. */
  carvedTop: number;
  /** This handle's owner id in the partition table. */
  owner: number;
  /** Partitions this handle owns (carved or adopted). */
  partitions: number;
  /** Regions freed with damaged guard bytes (only counted with guardBytes > 0). */
  guardViolations: number;
}

export class Machine {
  readonly memory: WebAssembly.Memory;
  readonly descriptor: MachineDescriptor;
  private readonly allocator = new RegionAllocator();
  private readonly guardBytes: number;
  private readonly partitionBytes: number;
  private bytesView: Uint8Array;
  private guardViolations = 0;
  private control: Int32Array;
  private partitionCount = 0;
  /** This handle's id in the partition table. */
  readonly owner: number;

  private constructor(descriptor: MachineDescriptor, options: MachineOptions, owner: number) {
    this.descriptor = descriptor;
    this.memory = descriptor.memory;
    this.owner = owner;
    this.guardBytes = alignUp(options.guardBytes ?? 0, GUARD_GRANULE);
    this.partitionBytes = alignUp(options.partitionBytes ?? DEFAULT_PARTITION_BYTES, PARTITION_GRANULE);
    this.bytesView = new Uint8Array(this.memory.buffer);
    this.control = this.controlView();
    for (const [name, module] of Object.entries(descriptor.modules)) adoptModule(name as ModuleName, module);
  }

  /** A new Machine with every built module compiled and its static data placed. */
  static create(options: MachineOptions = {}): Machine {
    const maximumBytes = alignUp(options.maximumBytes ?? 1024 * 1024 * 1024, WASM_PAGE);
    const initialBytes = alignUp(options.initialBytes ?? 16 * 1024 * 1024, WASM_PAGE);
    if (maximumBytes > 2 ** 31 || initialBytes > maximumBytes || initialBytes < 4 * WASM_PAGE) {
      throw new ZaccelError(
        'ZACCEL_BAD_OPTION',
        `invalid machine size: initial ${initialBytes}, maximum ${maximumBytes}`,
      );
    }
    const memory = new WebAssembly.Memory({
      initial: initialBytes / WASM_PAGE,
      maximum: maximumBytes / WASM_PAGE,
      shared: true,
    });
    const modules: MachineDescriptor['modules'] = { zlib: compileModule('zlib') };
    if (isModuleBuilt('dfltcc')) modules.dfltcc = compileModule('dfltcc');

    // Instantiate each module once: this places its static data and tells us where it ends.
    const staticEnds: MachineDescriptor['staticEnds'] = {};
    const zlib = new WebAssembly.Instance(modules.zlib!, { env: { memory } });
    staticEnds.zlib = (zlib.exports.stackSave as () => number)();
    if (staticEnds.zlib > EMULATOR_MEMORY_BASE) {
      throw new ZaccelError(
        'ZACCEL_INTERNAL',
        `zlib's static data ends at ${staticEnds.zlib}, above ${EMULATOR_MEMORY_BASE}`,
      );
    }
    if (modules.dfltcc !== undefined) {
      const emulator = new WebAssembly.Instance(
        modules.dfltcc,
        emulatorImports(memory, () => {}),
      );
      staticEnds.dfltcc = (emulator.exports.heap_base as () => number)();
    }
    const controlAddress = alignUp(Math.max(EMULATOR_MEMORY_BASE, ...Object.values(staticEnds)), WASM_PAGE);
    // Partitions start on the page after the control block (header and partition table).
    const partitionBase = controlAddress + alignUp(controlWords(maximumBytes) * 4, WASM_PAGE);
    if (partitionBase > memory.buffer.byteLength)
      memory.grow(Math.ceil((partitionBase - memory.buffer.byteLength) / WASM_PAGE));
    const control = new Int32Array(memory.buffer, controlAddress, controlWords(maximumBytes));
    control[CONTROL.magic] = CONTROL_MAGIC;
    control[CONTROL.bump] = partitionBase;
    control[CONTROL.maximum] = maximumBytes | 0;
    control[CONTROL.lastOwner] = CREATOR_OWNER;
    return new Machine({ memory, modules, controlAddress, maximumBytes, staticEnds }, options, CREATOR_OWNER);
  }

  /** Attach this thread to a Machine made elsewhere (the descriptor came through postMessage). */
  static attach(descriptor: MachineDescriptor, options: AttachOptions = {}): Machine {
    const control = new Int32Array(
      descriptor.memory.buffer,
      descriptor.controlAddress,
      controlWords(descriptor.maximumBytes),
    );
    if (Atomics.load(control, CONTROL.magic) !== CONTROL_MAGIC) {
      throw new ZaccelError('ZACCEL_INTERNAL', 'not a zaccel machine: control block missing');
    }
    const owner = options.owner ?? Atomics.add(control, CONTROL.lastOwner, 1) + 1;
    if (!Number.isInteger(owner) || owner <= CREATOR_OWNER || owner > Atomics.load(control, CONTROL.lastOwner)) {
      throw new ZaccelError('ZACCEL_BAD_OPTION', `invalid owner: ${owner} (reserve one with reserveOwner())`);
    }
    return new Machine(descriptor, options, owner);
  }

  /** A new owner id for a handle that another thread will attach with (Machine.attach's `owner`). */
  reserveOwner(): number {
    return Atomics.add(this.control, CONTROL.lastOwner, 1) + 1;
  }

  /**
   * Take over every partition owned by `previousOwner`, whose thread has ended for good: its regions can no
   * longer be in use, so each partition comes back whole, as free space of this handle. Returns the bytes
   * adopted (0 when it owned none, or they were adopted already). The caller vouches that the previous
   * owner's thread is gone (the pool does so after the worker's `exit` event); adopting a live thread's
   * partitions would hand the same memory out twice.
   */
  adoptPartitions(previousOwner: number): number {
    if (!Number.isInteger(previousOwner) || previousOwner <= 0 || previousOwner === this.owner) {
      throw new ZaccelError('ZACCEL_BAD_OPTION', `invalid owner to adopt from: ${previousOwner}`);
    }
    const control = this.control;
    const used = Math.min(Atomics.load(control, CONTROL.entries), this.tableCapacity());
    let adopted = 0;
    for (let index = 0; index < used; index++) {
      const base = CONTROL_HEADER_WORDS + index * ENTRY_WORDS;
      if (Atomics.compareExchange(control, base + ENTRY.owner, previousOwner, this.owner) !== previousOwner) continue;
      const address = Atomics.load(control, base + ENTRY.address) >>> 0;
      const size = Atomics.load(control, base + ENTRY.size) >>> 0;
      this.allocator.addRange(address, size);
      this.partitionCount++;
      adopted += size;
    }
    return adopted;
  }

  /** The compiled module, when it was built. */
  module(name: ModuleName): WebAssembly.Module | undefined {
    return this.descriptor.modules[name];
  }

  // --- regions ---------------------------------------------------------

  /** Allocate `size` bytes aligned to `alignment` (a power of two). Throws ZACCEL_MEMORY_EXHAUSTED. */
  alloc(size: number, alignment = 16): Region {
    if (!Number.isInteger(size) || size <= 0 || alignment <= 0 || (alignment & (alignment - 1)) !== 0) {
      throw new ZaccelError('ZACCEL_INTERNAL', `bad allocation: ${size} bytes aligned to ${alignment}`);
    }
    const guard = this.guardBytes;
    const span = size + 2 * guard;
    const innerAlignment = Math.max(alignment, 16);
    if (guard > 0 && innerAlignment > GUARD_GRANULE) {
      throw new ZaccelError('ZACCEL_INTERNAL', `alignment ${alignment} is larger than the guard granule`);
    }
    // Guards are whole multiples of the largest alignment, so an aligned start aligns the user part.
    let start = this.allocator.allocate(span, innerAlignment);
    if (start < 0) {
      this.carvePartition(span + innerAlignment);
      start = this.allocator.allocate(span, innerAlignment);
      if (start < 0) throw new ZaccelError('ZACCEL_INTERNAL', 'allocator failed after carving a partition');
    }
    const address = start + guard;
    if (guard > 0) {
      this.fill(start, guard, GUARD_PATTERN);
      this.fill(address + size, guard, GUARD_PATTERN);
    }
    return { address, size };
  }

  /**
   * Return a region. Throws ZACCEL_INTERNAL on a double free or a foreign
   * region. With guards, a region whose guards were overwritten is counted in
   * stats().guardViolations.
   */
  free(region: Region): void {
    if (this.guardBytes > 0 && this.allocator.sizeOf(region.address - this.guardBytes) !== undefined) {
      if (!this.guardsIntact(region.address - this.guardBytes, region.size)) this.guardViolations++;
    }
    if (!this.allocator.release(region.address - this.guardBytes)) {
      throw new ZaccelError('ZACCEL_INTERNAL', `free of a region that is not live: ${region.address}`);
    }
  }

  /** Throws unless the region is live in this handle: every entry point that takes a region checks it. */
  assertLive(region: Region): void {
    const size = this.allocator.sizeOf(region.address - this.guardBytes);
    if (size !== region.size + 2 * this.guardBytes) {
      throw new ZaccelError('ZACCEL_INTERNAL', `region ${region.address} (${region.size} bytes) is not live`);
    }
  }

  /** Regions whose guard bytes were overwritten: an out-of-bounds write happened next to them. */
  checkGuards(): Region[] {
    if (this.guardBytes === 0) return [];
    const damaged: Region[] = [];
    for (const span of this.allocator.liveSpans()) {
      const userSize = span.size - 2 * this.guardBytes;
      if (!this.guardsIntact(span.address, userSize))
        damaged.push({ address: span.address + this.guardBytes, size: userSize });
    }
    return damaged;
  }

  private guardsIntact(start: number, userSize: number): boolean {
    const front = this.view(start, this.guardBytes);
    const back = this.view(start + this.guardBytes + userSize, this.guardBytes);
    for (let index = 0; index < this.guardBytes; index++) {
      if (front[index] !== GUARD_PATTERN || back[index] !== GUARD_PATTERN) return false;
    }
    return true;
  }

  stats(): MachineStats {
    const own = this.allocator.stats();
    return {
      bytesInUse: own.bytesInUse,
      liveRegions: own.liveRegions,
      bytesOwned: own.bytesOwned,
      memoryBytes: this.memory.buffer.byteLength,
      carvedTop: Atomics.load(this.control, CONTROL.bump) >>> 0,
      guardViolations: this.guardViolations,
      owner: this.owner,
      partitions: this.partitionCount,
    };
  }

  // --- access ----------------------------------------------------------

  /** Copy bytes from JavaScript into machine memory. */
  write(address: number, source: Uint8Array, sourceOffset = 0, length = source.length - sourceOffset): void {
    this.ensure(address + length);
    if (address < 0 || length < 0) throw new ZaccelError('ZACCEL_INTERNAL', `machine write out of bounds: ${address}`);
    // Straight into the cached view at an offset: no view of the target range is made for a write.
    this.bytesView.set(
      sourceOffset === 0 && length === source.length ? source : source.subarray(sourceOffset, sourceOffset + length),
      address,
    );
  }

  /** Copy bytes out of machine memory into a new Buffer that user code may keep. */
  read(address: number, length: number): Buffer {
    const copy = Buffer.allocUnsafe(length);
    copy.set(this.view(address, length));
    return copy;
  }

  /** Copy into an existing JavaScript buffer. */
  readInto(address: number, target: Uint8Array, targetOffset: number, length: number): void {
    target.set(this.view(address, length), targetOffset);
  }

  /** memmove inside machine memory. */
  copy(target: number, source: number, length: number): void {
    this.ensure(Math.max(target, source) + length);
    this.bytesView.copyWithin(target, source, source + length);
  }

  fill(address: number, length: number, value: number): void {
    this.view(address, length).fill(value);
  }

  u8(address: number): number {
    this.ensure(address + 1);
    return this.bytesView[address];
  }

  setU8(address: number, value: number): void {
    this.ensure(address + 1);
    this.bytesView[address] = value;
  }

  /** Little-endian u32, as wasm stores it. */
  u32(address: number): number {
    this.ensure(address + 4);
    const bytes = this.bytesView;
    return (bytes[address] | (bytes[address + 1] << 8) | (bytes[address + 2] << 16) | (bytes[address + 3] << 24)) >>> 0;
  }

  setU32(address: number, value: number): void {
    this.ensure(address + 4);
    const bytes = this.bytesView;
    bytes[address] = value & 0xff;
    bytes[address + 1] = (value >>> 8) & 0xff;
    bytes[address + 2] = (value >>> 16) & 0xff;
    bytes[address + 3] = (value >>> 24) & 0xff;
  }

  /** Big-endian u16 and u32, for the DFLTCC parameter block. */
  u16be(address: number): number {
    this.ensure(address + 2);
    return (this.bytesView[address] << 8) | this.bytesView[address + 1];
  }

  setU16be(address: number, value: number): void {
    this.ensure(address + 2);
    this.bytesView[address] = (value >>> 8) & 0xff;
    this.bytesView[address + 1] = value & 0xff;
  }

  u32be(address: number): number {
    this.ensure(address + 4);
    const bytes = this.bytesView;
    return ((bytes[address] << 24) | (bytes[address + 1] << 16) | (bytes[address + 2] << 8) | bytes[address + 3]) >>> 0;
  }

  setU32be(address: number, value: number): void {
    this.ensure(address + 4);
    const bytes = this.bytesView;
    bytes[address] = (value >>> 24) & 0xff;
    bytes[address + 1] = (value >>> 16) & 0xff;
    bytes[address + 2] = (value >>> 8) & 0xff;
    bytes[address + 3] = value & 0xff;
  }

  /** A NUL-terminated C string, or undefined for a null pointer. */
  cString(address: number, limit = 256): string | undefined {
    if (address === 0) return undefined;
    this.ensure(address + 1);
    const bytes = this.bytesView;
    let end = address;
    while (end < address + limit && end < bytes.length && bytes[end] !== 0) end++;
    return Buffer.from(bytes.buffer, bytes.byteOffset + address, end - address).toString('latin1');
  }

  /**
   * A live view of machine memory. Internal to src/machine: views must never
   * reach user code, which gets copies from read().
   */
  view(address: number, length: number): Uint8Array {
    this.ensure(address + length);
    return this.bytesView.subarray(address, address + length);
  }

  /** The 32-bit word view, for Atomics on shared state (guest dirty bits, hazards). */
  int32View(address: number, words: number): Int32Array {
    this.ensure(address + words * 4);
    return new Int32Array(this.memory.buffer, address, words);
  }

  // --- internals -------------------------------------------------------

  /** Re-create the view after growth, possibly done by another thread. */
  private ensure(end: number): void {
    if (end <= this.bytesView.length) return;
    this.bytesView = new Uint8Array(this.memory.buffer);
    this.control = this.controlView();
    if (end > this.bytesView.length || end < 0) {
      throw new ZaccelError('ZACCEL_INTERNAL', `machine access out of bounds: ${end} > ${this.bytesView.length}`);
    }
  }

  /** Carve a partition of at least `minimum` bytes from the shared bump pointer. */
  private carvePartition(minimum: number): void {
    const size = alignUp(Math.max(minimum, this.partitionBytes), PARTITION_GRANULE);
    const control = this.control;
    let top: number;
    for (;;) {
      top = Atomics.load(control, CONTROL.bump) >>> 0;
      if (top + size > this.descriptor.maximumBytes) {
        throw new ZaccelError(
          'ZACCEL_MEMORY_EXHAUSTED',
          `machine memory exhausted: ${size} more bytes would pass the maximum of ${this.descriptor.maximumBytes}`,
        );
      }
      if (Atomics.compareExchange(control, CONTROL.bump, top | 0, (top + size) | 0) === (top | 0)) break;
    }
    const current = this.memory.buffer.byteLength;
    if (top + size > current) {
      // Another thread may grow at the same time: grow by what we still lack as we see it.
      try {
        this.memory.grow(Math.ceil((top + size - current) / WASM_PAGE));
      } catch (error) {
        if (this.memory.buffer.byteLength < top + size) {
          throw new ZaccelError('ZACCEL_MEMORY_EXHAUSTED', 'machine memory could not grow', { cause: error });
        }
      }
    }
    this.bytesView = new Uint8Array(this.memory.buffer);
    this.control = this.controlView();
    this.recordPartition(top, size);
    this.allocator.addRange(top, size);
    this.partitionCount++;
  }

  /** Enter a new partition in the table: address and size first, the owner last, which publishes the entry. */
  private recordPartition(address: number, size: number): void {
    const index = Atomics.add(this.control, CONTROL.entries, 1);
    if (index >= this.tableCapacity()) {
      // Cannot happen: the table has a slot for every granule up to the maximum size.
      throw new ZaccelError('ZACCEL_INTERNAL', `partition table full at ${index} entries`);
    }
    const base = CONTROL_HEADER_WORDS + index * ENTRY_WORDS;
    Atomics.store(this.control, base + ENTRY.address, address | 0);
    Atomics.store(this.control, base + ENTRY.size, size | 0);
    Atomics.store(this.control, base + ENTRY.owner, this.owner);
  }

  private tableCapacity(): number {
    return (controlWords(this.descriptor.maximumBytes) - CONTROL_HEADER_WORDS) / ENTRY_WORDS;
  }

  private controlView(): Int32Array {
    return new Int32Array(
      this.memory.buffer,
      this.descriptor.controlAddress,
      controlWords(this.descriptor.maximumBytes),
    );
  }
}

/** The emulator's imports; `hazard` runs between its encode read and history read. */
export function emulatorImports(
  memory: WebAssembly.Memory,
  hazard: (parameterBlock: number, address: number, length: number) => void,
): WebAssembly.Imports {
  return {
    env: {
      memory,
      hazard,
      abort(message: number, file: number, line: number, column: number) {
        throw new ZaccelError('ZACCEL_INTERNAL', `DFLTCC emulator aborted at ${line}:${column} (${message}, ${file})`);
      },
    },
  };
}
