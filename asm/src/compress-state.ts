// CMPR's private layout of the continuation-state buffer (CSB, parameter-block bytes 384..1535).
// Everything needed to continue a stream lives here or in architected fields, so a copy of the
// 1536-byte block (plus the history buffer) continues on its own. Little-endian (wasm order).
//
//   +0    u32      magic COMPRESS_STATE_MAGIC ("CMP1"); anything else reads as an empty state
//   +4    u32      scratch address of the instance that ran the previous call (matcher-cache tag)
//   +8    u32      generation number of that call (matcher-cache tag)
//   +12   u32      number of queued output bits (0 when CF = 0)
//   +16   u8       code of the open block: 0 none, 1 fixed, 2 dynamic
//   +32   u8[286]  dynamic block: literal/length code lengths
//   +320  u8[30]   dynamic block: distance code lengths
//   +352  u8[800]  queued output bits, LSB-first (the header or symbol bits that did not fit in op1)

import { CSB } from "./param-block";

export const COMPRESS_STATE_MAGIC: u32 = 0x31504d43; // bytes "CMP1"
export const STATE_MAGIC: usize = CSB + 0;
export const STATE_OWNER: usize = CSB + 4;
export const STATE_GENERATION: usize = CSB + 8;
export const STATE_QUEUED_BITS: usize = CSB + 12;
export const STATE_BLOCK_CODE: usize = CSB + 16;
export const STATE_LITERAL_LENGTHS: usize = CSB + 32;
export const STATE_DISTANCE_LENGTHS: usize = CSB + 320;
export const STATE_QUEUE: usize = CSB + 352;
export const STATE_QUEUE_BYTES: u32 = 800;

export const BLOCK_NONE: u8 = 0;
export const BLOCK_FIXED: u8 = 1;
export const BLOCK_DYNAMIC: u8 = 2;
