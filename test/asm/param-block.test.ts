// Every format-0 field of spec §2.2, set through the emulator's own accessors (param-block.ts, via a
// test-only probe module) on a zeroed block, must land on exactly the architected bytes and bits.

import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { ensureProbeBuilt, probeWasm } from './build';
import { ParameterBlock } from '../../src/machine/parameter-block.js';

ensureProbeBuilt();
const instance = new WebAssembly.Instance(new WebAssembly.Module(readFileSync(probeWasm)), {
  env: {
    abort: () => {
      throw new Error('abort');
    },
  },
});
const probe = instance.exports as unknown as {
  memory: WebAssembly.Memory;
  setField(pb: number, id: number, value: number): void;
  getField(pb: number, id: number): number;
};
const PB = 65536 * 4; // well above the probe's static data
if (probe.memory.buffer.byteLength < PB + 4096) probe.memory.grow(8);

/** Set one field on a zeroed block and return the non-zero bytes as {offset: value}. */
function bytesAfter(id: number, value: number): Record<number, number> {
  const mem = new Uint8Array(probe.memory.buffer);
  mem.fill(0, PB, PB + 1536);
  probe.setField(PB, id, value);
  const out: Record<number, number> = {};
  for (let i = 0; i < 1536; i++) if (mem[PB + i] !== 0) out[i] = mem[PB + i];
  return out;
}

// [id, name, value set, expected bytes] — offsets and masks from the spec §2.2 table.
const cases: Array<[number, string, number, Record<number, number>]> = [
  [0, 'PBVN bytes 0-1', 0xa1b2, { 0: 0xa1, 1: 0xb2 }],
  [1, 'MVN byte 2', 0x5c, { 2: 0x5c }],
  [2, 'RIBM byte 3', 0x3d, { 3: 0x3d }],
  [3, 'CF byte 7 mask 0x01', 1, { 7: 0x01 }],
  [4, 'NT byte 16 mask 0x80', 1, { 16: 0x80 }],
  [5, 'CVT byte 16 mask 0x20', 1, { 16: 0x20 }],
  [6, 'HTT byte 16 mask 0x08', 1, { 16: 0x08 }],
  [7, 'BCF byte 16 mask 0x04', 1, { 16: 0x04 }],
  [8, 'BCC byte 16 mask 0x02', 1, { 16: 0x02 }],
  [9, 'BHF byte 16 mask 0x01', 1, { 16: 0x01 }],
  [10, 'DHTGC byte 17 mask 0x20', 1, { 17: 0x20 }],
  [11, 'SBB byte 18 mask 0x07', 7, { 18: 0x07 }],
  [11, 'SBB byte 18 value 5', 5, { 18: 0x05 }],
  [12, 'OESC byte 19', 0x27, { 19: 0x27 }],
  [13, 'IFS low nibble of byte 21', 0xf, { 21: 0x0f }],
  [14, 'IFL bytes 22-23', 0x1234, { 22: 0x12, 23: 0x34 }],
  [15, 'HL bytes 44-45 (32768)', 32768, { 44: 0x80 }],
  [15, 'HL bytes 44-45', 0x0102, { 44: 0x01, 45: 0x02 }],
  [16, 'HO bytes 46-47, 15 bits', 0x7fff, { 46: 0x7f, 47: 0xff }],
  [16, 'HO keeps bit 368 clear', 0xffff, { 46: 0x7f, 47: 0xff }],
  [17, 'CV bytes 48-51 big-endian', 0x01020304, { 48: 0x01, 49: 0x02, 50: 0x03, 51: 0x04 }],
  [18, 'EOBS bytes 52-53, 15 bits left-aligned', 0x7fff, { 52: 0xff, 53: 0xfe }],
  [18, 'EOBS value 1 sits at bit 430', 0x0001, { 53: 0x02 }],
  [19, 'EOBL high nibble of byte 54', 0xf, { 54: 0xf0 }],
  [19, 'EOBL value 7', 7, { 54: 0x70 }],
  [20, 'CDHTL low 12 bits of bytes 56-57', 0xfff, { 56: 0x0f, 57: 0xff }],
  [20, 'CDHTL 2304', 2304, { 56: 0x09 }],
  [21, 'CDHT first byte 64', 0xaa, { 64: 0xaa }],
  [22, 'CDHT last byte 351', 0xbb, { 351: 0xbb }],
  [23, 'CSB first byte 384', 0xcc, { 384: 0xcc }],
  [24, 'block end byte 1535', 0xdd, { 1535: 0xdd }],
];

describe('format-0 parameter block layout (spec §2.2)', () => {
  for (const [id, name, value, expected] of cases) {
    it(name, () => {
      expect(bytesAfter(id, value)).toEqual(expected);
    });
  }

  it('getters read back what setters stored, without disturbing neighbours', () => {
    const mem = new Uint8Array(probe.memory.buffer);
    mem.fill(0xff, PB, PB + 1536);
    const values: Array<[number, number]> = [
      [11, 3],
      [12, 0x12],
      [13, 9],
      [14, 0xbeef],
      [15, 12345],
      [16, 0x1357],
      [17, 0xcafef00d],
      [18, 0x2aaa],
      [19, 12],
      [20, 2283],
    ];
    for (const [id, v] of values) probe.setField(PB, id, v);
    for (const [id, v] of values) expect(probe.getField(PB, id) >>> 0).toBe(v >>> 0);
    // Flags that were all ones stay set: the multi-bit setters preserved the reserved bits around them.
    for (const id of [3, 4, 5, 6, 7, 8, 9, 10]) expect(probe.getField(PB, id)).toBe(1);
    expect(mem[PB + 18] & 0xf8).toBe(0xf8); // reserved bits of byte 18 untouched by SBB
    expect(mem[PB + 46] & 0x80).toBe(0x80); // bit 368 untouched by HO
    expect(mem[PB + 53] & 0x01).toBe(0x01); // bit 431 untouched by EOBS
    expect(mem[PB + 54] & 0x0f).toBe(0x0f); // low nibble of byte 54 untouched by EOBL
    expect(mem[PB + 56] & 0xf0).toBe(0xf0); // high nibble of byte 56 untouched by CDHTL
    expect(mem[PB + 21] & 0xf0).toBe(0xf0); // high nibble of byte 21 untouched by IFS
  });
});

describe("the library's layout (src/machine/parameter-block.ts) is the emulator's", () => {
  /** Every field both sides know: set through the library's ParameterBlock, the same bytes as the probe's setter. */
  const shared: Array<[number, string, (block: ParameterBlock, value: number) => void, number]> = [
    [4, 'NT', (block, value) => (block.nt = value !== 0), 1],
    [5, 'CVT', (block, value) => (block.cvt = value !== 0), 1],
    [6, 'HTT', (block, value) => (block.htt = value !== 0), 1],
    [7, 'BCF', (block, value) => (block.bcf = value !== 0), 1],
    [8, 'BCC', (block, value) => (block.bcc = value !== 0), 1],
    [9, 'BHF', (block, value) => (block.bhf = value !== 0), 1],
    [11, 'SBB', (block, value) => (block.sbb = value), 5],
    [15, 'HL', (block, value) => (block.hl = value), 0x0102],
    [16, 'HO', (block, value) => (block.ho = value), 0x7abc],
  ];
  for (const [id, name, set, value] of shared) {
    it(name, () => {
      const memory = new Uint8Array(1536);
      const view = new DataView(memory.buffer);
      const block = new ParameterBlock(
        {
          u8: (at) => memory[at],
          setU8: (at, v) => {
            memory[at] = v;
          },
          u16be: (at) => view.getUint16(at),
          setU16be: (at, v) => view.setUint16(at, v),
          u32: (at) => view.getUint32(at, true),
          setU32: (at, v) => view.setUint32(at, v, true),
          u32be: (at) => view.getUint32(at),
          setU32be: (at, v) => view.setUint32(at, v),
          copy: (target, source, length) => void memory.copyWithin(target, source, source + length),
          fill: (at, length, v) => void memory.fill(v, at, at + length),
        },
        0,
      );
      set(block, value);
      const written: Record<number, number> = {};
      memory.forEach((byte, at) => {
        if (byte !== 0) written[at] = byte;
      });
      expect(written).toEqual(bytesAfter(id, value));
    });
  }
});
