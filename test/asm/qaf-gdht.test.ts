// DFLTCC-QAF and DFLTCC-GDHT.

import { describe, expect, it } from 'vitest';
import { inflateRawSync } from 'node:zlib';
import { FC_CMPR, FC_GDHT, FC_QAF, ParamBlock, loadEmulator } from './harness';
import { parseCompressedTable } from './inflate-inspect';
import { binaryLike, randomBytes, textLike } from './data';

function kraftSum(lengths: number[]): number {
  return lengths.reduce((s, l) => s + (l ? 2 ** -l : 0), 0);
}

describe('DFLTCC-QAF', () => {
  it('stores FC 0, 1, 2, 4 and format 0, CC0', () => {
    const emu = loadEmulator();
    const pb = emu.alloc(32, 8);
    emu.u8.fill(0x55, pb, pb + 32);
    const { cc, regs } = emu.call(FC_QAF, false, pb, { r1: 1, r1len: 2, r2: 3, r2len: 4, r3: 5 });
    expect(cc).toBe(0);
    const block = emu.read(pb, 32);
    const expected = new Uint8Array(32);
    expected[0] = 0xe8;
    expected[24] = 0x80;
    expect(Array.from(block)).toEqual(Array.from(expected));
    expect(regs).toEqual({ r1: 1, r1len: 2, r2: 3, r2len: 4, r3: 5 });
  });
});

describe('DFLTCC-GDHT', () => {
  const emu = loadEmulator();

  function generate(sample: Uint8Array) {
    const pb = emu.paramBlock();
    const input = emu.put(sample);
    const before = emu.read(pb, 1536);
    const { cc, regs } = emu.call(FC_GDHT, false, pb, { r1: 11, r1len: 22, r2: input, r2len: sample.length, r3: 33 });
    const after = emu.read(pb, 1536);
    return { pb, cc, regs, input, before, after, param: new ParamBlock(emu, pb) };
  }

  const samples: Array<[string, Uint8Array]> = [
    ['empty', new Uint8Array(0)],
    ['1 byte', Uint8Array.of(65)],
    ['text', textLike(50000)],
    ['binary', binaryLike(40000)],
    ['random', randomBytes(70000, 9)],
    ['zeros', new Uint8Array(100000)],
    ['1 MiB text', textLike(1 << 20, 3)],
  ];

  for (const [name, sample] of samples) {
    it(`builds a complete, universal table from a ${name} sample`, () => {
      const { cc, regs, input, before, after, param } = generate(sample);
      expect(cc).toBe(0);
      expect(regs).toEqual({ r1: 11, r1len: 22, r2: input, r2len: sample.length, r3: 33 });
      // Only CDHT/CDHTL/EOBS/EOBL may change (bytes 52-57 and 64-351).
      for (let i = 0; i < 1536; i++) {
        if ((i >= 52 && i <= 57) || (i >= 64 && i < 352)) continue;
        expect(after[i], `byte ${i}`).toBe(before[i]);
      }
      const cdhtl = param.cdhtl;
      expect(cdhtl).toBeGreaterThan(0);
      expect(cdhtl).toBeLessThanOrEqual(2304);
      const table = parseCompressedTable(after.subarray(64, 352));
      expect(table.bits).toBe(cdhtl);
      expect(table.lit.length).toBe(286);
      expect(table.dist.length).toBe(30);
      for (const l of [...table.lit, ...table.dist]) {
        expect(l).toBeGreaterThan(0);
        expect(l).toBeLessThanOrEqual(15);
      }
      expect(kraftSum(table.lit)).toBe(1);
      expect(kraftSum(table.dist)).toBe(1);
      // Bits of the CDHT beyond CDHTL are zero.
      for (let bit = cdhtl; bit < 2304; bit++) expect((after[64 + (bit >> 3)] >> (bit & 7)) & 1).toBe(0);
      // EOBS/EOBL: the canonical code of symbol 256.
      const lengths = table.lit;
      const count = new Array(16).fill(0);
      for (const l of lengths) count[l]++;
      count[0] = 0;
      const next = new Array(16).fill(0);
      let code = 0;
      for (let l = 1; l < 16; l++) {
        code = (code + count[l - 1]) << 1;
        next[l] = code;
      }
      let eob = 0;
      for (let s = 0; s <= 256; s++) {
        const c = next[lengths[s]]++;
        if (s === 256) eob = c;
      }
      expect(param.eobl).toBe(lengths[256]);
      expect(param.eobs >>> (15 - param.eobl)).toBe(eob);
    });
  }

  it('the code-length code has lengths of at most 7 bits', () => {
    // parseCompressedTable would throw on an invalid code; check the HCLEN lengths directly.
    for (const [, sample] of samples) {
      const { after } = generate(sample);
      const bits = (from: number, n: number) => {
        let v = 0;
        for (let i = 0; i < n; i++) v |= ((after[64 + ((from + i) >> 3)] >> ((from + i) & 7)) & 1) << i;
        return v;
      };
      const hclen = bits(10, 4) + 4;
      const cl = Array.from({ length: hclen }, (_, i) => bits(14 + 3 * i, 3));
      expect(Math.max(...cl)).toBeLessThanOrEqual(7);
      expect(kraftSum(cl)).toBe(1);
    }
  });

  it('a table from a 1-byte sample encodes all 256 byte values in the same block', () => {
    const { pb, param } = generate(Uint8Array.of(0x41));
    const data = new Uint8Array(256 * 3);
    for (let i = 0; i < data.length; i++) data[i] = (i * 7 + (i >> 8)) & 0xff;
    param.htt = true;
    param.nt = true;
    param.bhf = true;
    param.bcc = true;
    const input = emu.put(data);
    const out = emu.alloc(4096);
    const hist = emu.historyBuffer();
    const { cc, regs } = emu.call(FC_CMPR, true, pb, { r1: out, r1len: 4096, r2: input, r2len: data.length, r3: hist });
    expect(cc).toBe(0);
    expect(param.bcf).toBe(false); // BCC closed the block
    const produced = regs.r1 - out + (param.sbb ? 1 : 0);
    expect(Buffer.compare(inflateRawSync(emu.read(out, produced)), Buffer.from(data))).toBe(0);
  });
});
