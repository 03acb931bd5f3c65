// Per-instance state of the emulator.
//
// Several threads instantiate this module against ONE shared memory. WebAssembly globals are private
// to each instance, so everything an instance owns lives either in the module globals below or in the
// scratch region the host hands to dfltcc_init. Static data (below heap_base) is read-only at run time.
// Nothing here uses the AssemblyScript heap.
//
// Scratch layout (byte offsets from the scratch base; every region is 64-byte aligned):
//
//   EXPAND        32 KiB   reserved exclusively for XPND (expand.ts)
//   CRC_TABLES    16 KiB   CRC-32 slicing-by-16 tables (checksum.ts)
//   FIXED_CODES    4 KiB   encoder tables of the fixed Huffman code and the distance-code map
//   BLOCK_CODES    4 KiB   encoder tables of the block being compressed (fixed or from the CDHT)
//   CACHE_TAG    256 B     u32 generation seed (CMPR cache tags continue from it), CMPR undo ring
//   HASH_HEAD    512 KiB   CMPR match finder: the 2 newest positions for each of 65536 hash values
//   WINDOW       132 KiB   linear copy of the history followed by the input being compressed (+ slack)
//   TABLE_WORK    96 KiB   GDHT sampler and code construction; CMPR CDHT parsing, queue copy, gap log

import { CHECKSUM_TABLES_SIZE, initChecksumTables } from "./checksum";

const ACCESS_SINGLE: i32 = 0;
export const ACCESS_MULTIPLE: i32 = 1;

const EXPAND_SCRATCH_SIZE: usize = 32768; // XPND tables end at 28 KiB (inflate-tables.ts)
const FIXED_CODES_SIZE: usize = 4096;
const BLOCK_CODES_SIZE: usize = 4096;
const CACHE_TAG_SIZE: usize = 256; // u32 generation seed at +0, CMPR undo ring at +64
export const HASH_BITS: u32 = 16;
export const BUCKET_WAYS: u32 = 2;
export const HASH_HEAD_SIZE: usize = (<usize>1 << HASH_BITS) * 8;
/** Capacity of the linear window: it slides (keeping the newest 32 KiB) when it would overflow. */
export const WINDOW_CAPACITY: usize = 131072;
const WINDOW_SIZE: usize = WINDOW_CAPACITY + 4096;
const TABLE_WORK_SIZE: usize = 98304;

const EXPAND_OFFSET: usize = 0;
const CRC_TABLES_OFFSET: usize = EXPAND_OFFSET + EXPAND_SCRATCH_SIZE;
export const FIXED_CODES_OFFSET: usize = CRC_TABLES_OFFSET + CHECKSUM_TABLES_SIZE;
export const BLOCK_CODES_OFFSET: usize = FIXED_CODES_OFFSET + FIXED_CODES_SIZE;
export const CACHE_TAG_OFFSET: usize = BLOCK_CODES_OFFSET + BLOCK_CODES_SIZE;
export const HASH_HEAD_OFFSET: usize = CACHE_TAG_OFFSET + CACHE_TAG_SIZE;
export const WINDOW_OFFSET: usize = HASH_HEAD_OFFSET + HASH_HEAD_SIZE;
export const TABLE_WORK_OFFSET: usize = WINDOW_OFFSET + WINDOW_SIZE;
export const SCRATCH_SIZE: usize = TABLE_WORK_OFFSET + TABLE_WORK_SIZE;

let scratchBase: usize = 0;
let model: i32 = ACCESS_SINGLE;
let cpuBytes: u32 = 0;

/** Record the instance configuration; the caller (dfltcc_init) then initialises the tables. */
export function configureInstance(scratch: usize, accessModelValue: i32, cpuAmountValue: u32): void {
  scratchBase = scratch;
  model = accessModelValue == ACCESS_MULTIPLE ? ACCESS_MULTIPLE : ACCESS_SINGLE;
  cpuBytes = cpuAmountValue;
  initChecksumTables(scratch + CRC_TABLES_OFFSET);
}

/** Base of this instance's scratch region. */
export function scratch(): usize {
  return scratchBase;
}

/** A 64 KiB (65536-byte) area of this instance's scratch reserved exclusively for XPND. */
export function expandScratch(): usize {
  return scratchBase + EXPAND_OFFSET;
}

/** Bytes of second-operand data processed before CC3 is returned; 0 = unbounded. */
export function cpuAmount(): u32 {
  return cpuBytes;
}

/** 0 = single (snapshot reads), 1 = multiple (history re-reads the second operand). */
export function accessModel(): i32 {
  return model;
}
