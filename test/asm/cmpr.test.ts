// DFLTCC-CMPR round trips through node:zlib, driven the way IBM's zlib drives the instruction.

import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { crc32, inflateRawSync } from 'node:zlib';
import { FC_CMPR, FC_GDHT, ParamBlock, loadEmulator } from './harness';
import { DfltccDeflater, deflateWithDfltcc } from './deflate-driver';
import { inspectDeflate, parseCompressedTable } from './inflate-inspect';
import { adler32, binaryLike, concat, randomBytes, textLike } from './data';

function reverse(code: number, length: number): number {
  let r = 0;
  for (let i = 0; i < length; i++) r |= ((code >>> i) & 1) << (length - 1 - i);
  return r;
}

function inflate(data: Uint8Array): Uint8Array {
  return new Uint8Array(inflateRawSync(data));
}

function expectSame(actual: Uint8Array, expected: Uint8Array): void {
  expect(actual.length).toBe(expected.length);
  expect(Buffer.compare(Buffer.from(actual), Buffer.from(expected))).toBe(0);
}

const inputs: Array<[string, Uint8Array]> = [
  ['text', textLike(200_000)],
  ['binary', binaryLike(150_000)],
  ['random', randomBytes(70_000, 5)],
  ['zeros', new Uint8Array(120_000)],
  ['tiny', Uint8Array.of(1, 2, 3)],
  ['empty', new Uint8Array(0)],
];

describe('CMPR round trips', () => {
  const emu = loadEmulator();
  for (const [name, data] of inputs) {
    it(`${name}: fixed-Huffman blocks`, () => {
      const { output } = deflateWithDfltcc(emu, data, { fixedOnly: true });
      expectSame(inflate(output), data);
      const blocks = inspectDeflate(output).blocks;
      if (data.length > 0) expect(blocks[0].type).toBe(1);
    });
    it(`${name}: dynamic blocks from GDHT`, () => {
      const { output } = deflateWithDfltcc(emu, data, { firstFixedBlock: 0 });
      expectSame(inflate(output), data);
      if (data.length > 0) expect(inspectDeflate(output).blocks[0].type).toBe(2);
    });
    it(`${name}: fixed first block, then dynamic, in 10 KiB pushes`, () => {
      const { output } = deflateWithDfltcc(emu, data, { inChunk: 10_000 });
      expectSame(inflate(output), data);
    });
  }

  it('1-byte output buffers: header and symbols buffered in the CSB (CF), CC1 always empties op1', () => {
    for (const firstFixedBlock of [0, 4096]) {
      const data = textLike(30_000, 11);
      let cc1 = 0;
      let cfSeen = false;
      const d = new DfltccDeflater(emu, {
        outChunk: 1,
        firstFixedBlock,
        afterCall: (cc, regs) => {
          if (cc === 1) {
            cc1++;
            expect(regs.r1len).toBe(0);
          }
          if (d.param.cf) cfSeen = true;
        },
      });
      d.push(data.subarray(0, 10_000), 'none');
      d.push(data.subarray(10_000), 'finish');
      expect(cc1).toBeGreaterThan(1000);
      expect(cfSeen).toBe(true);
      expectSame(inflate(d.output()), data);
    }
  });

  it('small random output buffers', () => {
    const data = binaryLike(60_000, 4);
    let x = 12345;
    const outChunk = () => {
      x = (Math.imul(x, 1103515245) + 12345) >>> 0;
      return (x % 37) + 1;
    };
    const { output } = deflateWithDfltcc(emu, data, { outChunk, inChunk: 4000, firstFixedBlock: 0 });
    expectSame(inflate(output), data);
  });

  it('1-byte input chunks', () => {
    const data = textLike(6000, 2);
    const { output, deflater } = deflateWithDfltcc(emu, data, { inChunk: 1 });
    expectSame(inflate(output), data);
    expect(deflater.calls).toBeGreaterThanOrEqual(6000);
  });

  it('inputs over 1 MiB, across several dynamic blocks', () => {
    const data = concat(textLike(700_000, 21), binaryLike(400_000, 8), textLike(300_000, 22));
    const { output } = deflateWithDfltcc(emu, data, { firstFixedBlock: 4096, blockSize: 256 * 1024, inChunk: 300_000 });
    expectSame(inflate(output), data);
    const blocks = inspectDeflate(output).blocks;
    expect(blocks.filter((b) => b.type === 2).length).toBeGreaterThanOrEqual(5);
    expect(blocks[0].type).toBe(1);
    expect(blocks[blocks.length - 1].final).toBe(true);
  });

  it('one CMPR call over 1.5 MiB with a large first operand (CC0, no CC1)', () => {
    const data = textLike(1_500_000, 30);
    const d = new DfltccDeflater(emu, { firstFixedBlock: 0, blockSize: 4 << 20, outChunk: 4 << 20 });
    d.push(data, 'finish');
    expect(d.ccCounts[1]).toBe(0);
    expectSame(inflate(d.output()), data);
  });
});

describe('SBB continuity', () => {
  const emu = loadEmulator();

  for (let residue = 1; residue <= 7; residue++) {
    it(`continues after ${residue} primed bits and software end-of-block insertions`, () => {
      const d = new DfltccDeflater(emu, { firstFixedBlock: 0, outChunk: 97 });
      // A software fixed block with j 9-bit literals (byte 200) leaves (10 + 9 j) mod 8 bits pending.
      const j = (residue - 2 + 8) % 8;
      d.putBits(0b010, 3); // BFINAL 0, BTYPE 01
      for (let i = 0; i < j; i++) d.putBits(reverse(0b110010000 + (200 - 144), 9), 9); // literal 200
      d.putBits(0, 7); // end of block
      expect(d.bitCount).toBe(residue);
      const a = textLike(20_000, residue);
      const b = binaryLike(9000, residue);
      const c = randomBytes(3000, residue);
      d.push(a, 'sync'); // EOB written in software from EOBS/EOBL, then an empty stored block
      d.push(b, 'none');
      d.push(c, 'finish');
      expectSame(inflate(d.output()), concat(new Uint8Array(j).fill(200), a, b, c));
    });
  }

  it('keeps the low SBB bits of the byte at op1 and reports the valid bits of the trailing byte', () => {
    const pb = emu.paramBlock();
    const p = new ParamBlock(emu, pb);
    p.nt = true;
    p.bhf = true;
    const data = textLike(500, 1);
    const input = emu.put(data);
    const out = emu.alloc(2000);
    const hist = emu.historyBuffer();
    emu.u8[out] = 0b11111101; // 3 valid bits: 101, high bits junk
    p.sbb = 3;
    const { cc, regs } = emu.call(FC_CMPR, true, pb, { r1: out, r1len: 2000, r2: input, r2len: data.length, r3: hist });
    expect(cc).toBe(0);
    expect(emu.u8[out] & 7).toBe(0b101);
    // Bits 3..5 of the first byte: the header (BFINAL 1, BTYPE 01) -> 1, 1, 0.
    expect((emu.u8[out] >> 3) & 7).toBe(0b011);
    const whole = regs.r1 - out;
    expect(regs.r1len).toBe(2000 - whole);
    expect(p.cf).toBe(false);
    // Close the block in software after the trailing bits and decode (skipping the 3 primed bits).
    const d = { bytes: Array.from(emu.read(out, whole)), acc: emu.u8[regs.r1] & ((1 << p.sbb) - 1), n: p.sbb };
    const { bits, length } = p.endOfBlockBits();
    d.acc |= bits << d.n;
    d.n += length;
    while (d.n > 0) {
      d.bytes.push(d.acc & 0xff);
      d.acc >>>= 8;
      d.n -= 8;
    }
    const inspected = inspectDeflate(Uint8Array.from(d.bytes), 3);
    expectSame(inspected.output, data);
  });
});

describe('EOBS/EOBL', () => {
  const emu = loadEmulator();
  it('fixed blocks: EOBS 0, EOBL 7; dynamic blocks: the CDHT code of 256', () => {
    const data = textLike(5000);
    const fixed = new DfltccDeflater(emu, { fixedOnly: true });
    fixed.push(data, 'none');
    expect(fixed.param.bcf).toBe(true);
    expect(fixed.param.eobl).toBe(7);
    expect(fixed.param.eobs).toBe(0);

    const dyn = new DfltccDeflater(emu, { firstFixedBlock: 0 });
    dyn.push(data, 'none');
    expect(dyn.param.htt).toBe(true);
    const { lit } = parseCompressedTable(emu.read(dyn.pb + 64, 288));
    const count = new Array(16).fill(0);
    for (const l of lit) count[l]++;
    count[0] = 0;
    let code = 0;
    const next = new Array(16).fill(0);
    for (let l = 1; l < 16; l++) next[l] = code = (code + count[l - 1]) << 1;
    let eob = 0;
    for (let s = 0; s <= 256; s++) eob = next[lit[s]]++;
    expect(dyn.param.eobl).toBe(lit[256]);
    expect(dyn.param.eobs).toBe(eob << (15 - lit[256]));
    // Closing with EOBS/EOBL in software yields a decodable stream.
    dyn.push(new Uint8Array(0), 'finish');
    expectSame(inflate(dyn.output()), data);
  });
});

describe('check value', () => {
  const emu = loadEmulator();
  for (const adler of [false, true]) {
    it(`${adler ? 'Adler-32 (big-endian)' : 'CRC-32 (little-endian)'} across many calls`, () => {
      const data = concat(textLike(90_000, 4), randomBytes(33_333, 2));
      const d = new DfltccDeflater(emu, { adler, outChunk: 1000 });
      const chunks = [1, 2, 3, 777, 5000, 1, 65536, 100_000];
      let at = 0;
      for (let i = 0; at < data.length; i++) {
        const n = Math.min(chunks[i % chunks.length], data.length - at);
        d.push(data.subarray(at, at + n), at + n === data.length ? 'finish' : 'none');
        at += n;
        const expected = adler ? adler32(data.subarray(0, at)) : crc32(data.subarray(0, at)) >>> 0;
        expect(d.checkValue()).toBe(expected);
      }
      const raw = emu.read(d.pb + 48, 4);
      const expected = adler ? adler32(data) : crc32(data) >>> 0;
      const view = new DataView(raw.buffer);
      if (adler) expect(view.getUint32(0, false)).toBe(expected);
      else expect(view.getUint32(0, true)).toBe(expected);
      expectSame(inflate(d.output()), data);
    });
  }

  it('NT=1 resets CV to the initial value of its type', () => {
    for (const adler of [false, true]) {
      const d = new DfltccDeflater(emu, { adler });
      emu.view.setUint32(d.pb + 48, 0xdeadbeef);
      d.param.nt = true;
      const data = textLike(1000);
      d.push(data, 'finish');
      expect(d.checkValue()).toBe(adler ? adler32(data) : crc32(data) >>> 0);
    }
  });
});

describe('output bound', () => {
  const emu = loadEmulator();
  it('one CMPR call never produces more than 2n + 288 bytes', () => {
    for (const n of [1, 2, 3, 10, 100, 1000, 4096, 65536, 300_000]) {
      for (const htt of [false, true]) {
        const data = randomBytes(n, n + (htt ? 1 : 0));
        const pb = emu.paramBlock();
        const p = new ParamBlock(emu, pb);
        const input = emu.put(data);
        if (htt) emu.call(FC_GDHT, false, pb, { r2: input, r2len: Math.min(n, 1) });
        p.htt = htt;
        p.nt = true;
        p.bcc = true;
        p.bhf = true;
        const room = 2 * n + 288;
        const out = emu.alloc(room + 8);
        const { cc, regs } = emu.call(FC_CMPR, true, pb, {
          r1: out,
          r1len: room,
          r2: input,
          r2len: n,
          r3: emu.historyBuffer(),
        });
        expect(cc).toBe(0);
        const produced = regs.r1 - out + (p.sbb ? 1 : 0);
        expect(produced).toBeLessThanOrEqual(room);
        expectSame(inflate(emu.read(out, produced)), data);
      }
    }
  });
});

describe('CPU-determined amount (CC3)', () => {
  it('any cpuAmount decodes to the same data', () => {
    const data = concat(textLike(40_000, 8), binaryLike(20_000, 8));
    const emu = loadEmulator();
    let again = 0;
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 9000 }),
        fc.integer({ min: 1, max: 5000 }),
        fc.boolean(),
        (cpu, outChunk, single) => {
          emu.configure(single ? 0 : 1, cpu);
          const { output, deflater } = deflateWithDfltcc(emu, data, {
            outChunk,
            inChunk: 17_000,
            firstFixedBlock: 1000,
          });
          again += deflater.ccCounts[3];
          expectSame(inflate(output), data);
        },
      ),
      { numRuns: 25 },
    );
    expect(again).toBeGreaterThan(0);
  });

  it('re-entry after CC3 accepts a longer second operand and a new first operand', () => {
    const emu = loadEmulator({ cpuAmount: 1000 });
    const data = textLike(20_000, 3);
    const pb = emu.paramBlock();
    const p = new ParamBlock(emu, pb);
    p.nt = true;
    const input = emu.put(data);
    const hist = emu.historyBuffer();
    const pieces: Uint8Array[] = [];
    let available = 3000; // the caller first offers only part of the input
    let regs = { r1: 0, r1len: 0, r2: input, r2len: available, r3: hist };
    let bits = 0;
    let nbits = 0;
    for (let round = 0; ; round++) {
      const out = emu.alloc(4000 + round); // a fresh first operand every time
      emu.u8[out] = bits;
      p.sbb = nbits;
      const r = emu.call(FC_CMPR, true, pb, { ...regs, r1: out, r1len: 4000 });
      regs = r.regs;
      pieces.push(emu.read(out, regs.r1 - out));
      nbits = p.sbb;
      bits = emu.u8[regs.r1] & ((1 << nbits) - 1);
      if (r.cc === 1 || r.cc === 3) p.bcf = true;
      const consumed = regs.r2 - input;
      if (r.cc === 0 && consumed === data.length) break;
      if (r.cc === 3 || r.cc === 0) {
        available = Math.min(data.length, available + 2500);
        regs.r2len = available - consumed;
      }
    }
    // close in software
    const { bits: eob, length } = p.endOfBlockBits();
    let acc = bits | (eob << nbits);
    let n = nbits + length;
    // The block was opened with BHF 0: an empty final fixed block follows (1, 01, EOB 0000000).
    acc |= 0b011 << n;
    n += 10;
    const tail: number[] = [];
    while (n > 0) {
      tail.push(acc & 0xff);
      acc >>>= 8;
      n -= 8;
    }
    const stream = concat(...pieces, Uint8Array.from(tail));
    expectSame(inflate(stream), data);
  });
});

describe('copied parameter block and history', () => {
  it('a copy continues exactly like the original, and independently of it', () => {
    for (const model of [0, 1] as const) {
      const emu = loadEmulator({ model });
      const a = textLike(100_000, 12);
      const b = textLike(50_000, 13);
      const c = binaryLike(40_000, 14);
      const original = new DfltccDeflater(emu, { firstFixedBlock: 0, outChunk: 5000 });
      original.push(a, 'none');
      const prefix = original.output();
      const twin = original.copy();
      original.push(b, 'finish');
      twin.push(b, 'finish');
      const fromOriginal = original.output();
      const fromTwin = concat(prefix, twin.output());
      expectSame(fromTwin, fromOriginal); // byte-identical continuation
      expectSame(inflate(fromOriginal), concat(a, b));

      // Independence: after the copy each one continues with different data.
      const first = new DfltccDeflater(emu, { firstFixedBlock: 0 });
      first.push(a, 'none');
      const head = first.output();
      const second = first.copy();
      second.push(c, 'none');
      first.push(b, 'none');
      second.push(b, 'finish');
      first.push(c, 'finish');
      expectSame(inflate(first.output()), concat(a, b, c));
      expectSame(inflate(concat(head, second.output())), concat(a, c, b));
    }
  });

  it('a matcher rebuilt before every call gives byte-identical output (index depends on history only)', () => {
    const data = concat(textLike(150_000, 51), binaryLike(60_000, 52), textLike(90_000, 53));
    for (const [model, cpu, outChunk] of [
      [0, 0, 100_000],
      [1, 0, 777],
      [0, 5000, 3000],
      [1, 20_000, 1 << 20],
    ] as const) {
      const steady = loadEmulator({ model, cpuAmount: cpu });
      const evicted = loadEmulator({ model, cpuAmount: cpu });
      // After every call of `evicted`, a call on another stream takes over its matcher cache.
      const otherPb = evicted.paramBlock();
      const other = new ParamBlock(evicted, otherPb);
      const otherIn = evicted.put(randomBytes(64, 1));
      const otherOut = evicted.alloc(1024);
      const otherHist = evicted.historyBuffer();
      let evictions = 0;
      const evict = () => {
        other.nt = true;
        other.bcf = false;
        evicted.call(FC_CMPR, true, otherPb, { r1: otherOut, r1len: 1024, r2: otherIn, r2len: 64, r3: otherHist });
        evictions++;
      };
      const options = { firstFixedBlock: 2000, outChunk, blockSize: 100_000 };
      const a = new DfltccDeflater(steady, options);
      const b = new DfltccDeflater(evicted, { ...options, afterCall: evict });
      let x = 99;
      for (let at = 0; at < data.length; ) {
        x = (Math.imul(x, 1103515245) + 12345) >>> 0;
        const n = Math.min(data.length - at, 1 + (x % 40_000));
        const flush = at + n === data.length ? 'finish' : x % 7 === 0 ? 'sync' : 'none';
        a.push(data.subarray(at, at + n), flush);
        b.push(data.subarray(at, at + n), flush);
        at += n;
      }
      expect(evictions).toBeGreaterThan(10);
      expectSame(b.output(), a.output());
      expectSame(inflate(a.output()), data);
    }
  });

  it('a copy continues identically in another emulator instance', () => {
    const emuA = loadEmulator();
    const emuB = loadEmulator();
    const a = textLike(80_000, 31);
    const b = textLike(60_000, 32);
    const original = new DfltccDeflater(emuA, { firstFixedBlock: 0 });
    original.push(a, 'none');
    const prefix = original.output();
    const pb = emuB.paramBlock();
    const hist = emuB.historyBuffer();
    emuB.u8.set(emuA.read(original.pb, 1536), pb);
    emuB.u8.set(emuA.read(original.hist, 32768), hist);
    const moved = new DfltccDeflater(emuB, { firstFixedBlock: 0, paramBlock: pb, history: hist });
    moved.bitBuffer = original.bitBuffer;
    moved.bitCount = original.bitCount;
    moved.totalIn = original.totalIn;
    moved.blockThreshold = original.blockThreshold;
    original.push(b, 'finish');
    moved.push(b, 'finish');
    expectSame(concat(prefix, moved.output()), original.output());
  });
});
