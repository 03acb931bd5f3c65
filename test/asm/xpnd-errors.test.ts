/**
 * DFLTCC-XPND data errors: CC2 with a nonzero OESC for every error class (spec §6), on hand-built
 * bit streams, the Node.js and haskell/zlib inputs, and each fed in one piece and a byte at a time.
 */
import { beforeAll, describe, expect, test } from 'vitest';
import { loadXpndDriver, xpndInflateRaw, type XpndDriver } from './xpnd-driver.js';

/** DEFLATE bit writer: values LSB-first, Huffman codes MSB-first. */
class Bits {
  private bytes: number[] = [];
  private acc = 0;
  private n = 0;
  put(value: number, count: number): this {
    for (let i = 0; i < count; i++) {
      this.acc |= ((value >>> i) & 1) << this.n;
      if (++this.n === 8) {
        this.bytes.push(this.acc);
        this.acc = 0;
        this.n = 0;
      }
    }
    return this;
  }
  code(code: number, length: number): this {
    for (let i = length - 1; i >= 0; i--) this.put((code >>> i) & 1, 1);
    return this;
  }
  align(): this {
    if (this.n) this.put(0, 8 - this.n);
    return this;
  }
  bytesOut(pad = 8): Uint8Array {
    const out = [...this.bytes];
    if (this.n) out.push(this.acc);
    for (let i = 0; i < pad; i++) out.push(0);
    return Uint8Array.from(out);
  }
}

const CL_ORDER = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15];

/** Canonical codes for `lengths` (code, length) by symbol. */
function canonical(lengths: number[]): { code: number; len: number }[] {
  const count = new Array(16).fill(0);
  for (const l of lengths) if (l) count[l]++;
  const next = new Array(16).fill(0);
  let code = 0;
  for (let len = 1; len < 16; len++) {
    next[len] = code;
    code = (code + count[len]) << 1;
  }
  return lengths.map((len) => (len ? { code: next[len]++, len } : { code: 0, len: 0 }));
}

/**
 * Dynamic block header with the given code-length code lengths (by symbol) and the sequence of
 * code-length symbols [symbol, extra] to send.
 */
function dynamicHeader(
  bits: Bits,
  final: boolean,
  hlit: number,
  hdist: number,
  clLengths: number[],
  sequence: [number, number?][],
  hclen = 19,
): Bits {
  bits.put(final ? 1 : 0, 1).put(2, 2);
  bits
    .put(hlit - 257, 5)
    .put(hdist - 1, 5)
    .put(hclen - 4, 4);
  for (let i = 0; i < hclen; i++) bits.put(clLengths[CL_ORDER[i]] ?? 0, 3);
  const codes = canonical(Array.from({ length: 19 }, (_, s) => clLengths[s] ?? 0));
  for (const [sym, extra] of sequence) {
    bits.code(codes[sym].code, codes[sym].len);
    if (sym === 16) bits.put(extra ?? 0, 2);
    if (sym === 17) bits.put(extra ?? 0, 3);
    if (sym === 18) bits.put(extra ?? 0, 7);
  }
  return bits;
}

/** A CL code sending lengths 0..15 as 4-bit codes (complete, no repeat codes). */
const FLAT_CL = Array.from({ length: 19 }, (_, s) => (s < 16 ? 4 : 0));
const flat = (lengths: number[]) => lengths.map((l) => [l] as [number]);

let m: XpndDriver;
beforeAll(() => {
  m = loadXpndDriver();
});

function expectOesc(data: Uint8Array, oesc: number): void {
  for (const opt of [{}, { inChunk: 1, outChunk: 1 }, { inChunk: 3, outChunk: 2, moveInput: true, copyState: true }]) {
    const r = xpndInflateRaw(m, data, opt);
    expect(r.status, `options ${JSON.stringify(opt)}`).toBe('error');
    expect(r.oesc.toString(16), `options ${JSON.stringify(opt)}`).toBe(oesc.toString(16));
  }
}

function fixedLit(bits: Bits, sym: number): Bits {
  if (sym < 144) return bits.code(0x30 + sym, 8);
  if (sym < 256) return bits.code(0x190 + sym - 144, 9);
  if (sym < 280) return bits.code(sym - 256, 7);
  return bits.code(0xc0 + sym - 280, 8);
}

describe('OESC per error class', () => {
  test('0x12: stored block with NLEN != ~LEN (Node test-zlib-dictionary-fail input 78 BB 04 09 01 A5)', () => {
    expectOesc(Uint8Array.of(0x78, 0xbb, 0x04, 0x09, 0x01, 0xa5), 0x12);
    // Also after a valid stored block and a fixed block.
    const b = new Bits().put(0, 1).put(0, 2).align().put(3, 16).put(0xfffc, 16);
    const bytes = [...b.bytesOut(0), 1, 2, 3];
    const b2 = new Bits().put(0, 1).put(0, 2).align().put(5, 16).put(0x1234, 16);
    expectOesc(Uint8Array.from([...bytes, ...b2.bytesOut(0), 0, 0, 0, 0, 0]), 0x12);
  });

  test('0x27: haskell/zlib "detect non-gzip" (raw inflate of a text file)', () => {
    expectOesc(new TextEncoder().encode('This is not a gzip file!\n'), 0x27);
  });

  test('0x27: a code-length code that falls into the hole of an incomplete code-length code', () => {
    // Only symbols 8 and 0 have codes (lengths 2 and 2): codes 00 and 01; 1x is undecodable.
    const cl = new Array(19).fill(0);
    cl[0] = 2;
    cl[8] = 2;
    const b = dynamicHeader(new Bits(), true, 257, 1, cl, [[8], [8], [0]]);
    b.code(0b11, 2);
    expectOesc(b.bytesOut(), 0x27);
  });

  test('0x10: BTYPE=11', () => {
    expectOesc(new Bits().put(1, 1).put(3, 2).bytesOut(), 0x10);
    // After a complete non-final fixed block.
    const b = new Bits().put(0, 1).put(1, 2);
    fixedLit(b, 65);
    fixedLit(b, 256);
    b.put(0, 1).put(3, 2);
    expectOesc(b.bytesOut(), 0x10);
  });

  test('0x20: HLIT > 286 or HDIST > 30', () => {
    expectOesc(
      new Bits()
        .put(1, 1)
        .put(2, 2)
        .put(287 - 257, 5)
        .put(0, 5)
        .put(0, 4)
        .bytesOut(),
      0x20,
    );
    expectOesc(
      new Bits()
        .put(1, 1)
        .put(2, 2)
        .put(288 - 257, 5)
        .put(0, 5)
        .put(0, 4)
        .bytesOut(),
      0x20,
    );
    expectOesc(
      new Bits()
        .put(1, 1)
        .put(2, 2)
        .put(0, 5)
        .put(31 - 1, 5)
        .put(0, 4)
        .bytesOut(),
      0x20,
    );
    expectOesc(
      new Bits()
        .put(1, 1)
        .put(2, 2)
        .put(0, 5)
        .put(32 - 1, 5)
        .put(0, 4)
        .bytesOut(),
      0x20,
    );
  });

  test('0x21: over-subscribed code-length code', () => {
    const cl = new Array(19).fill(0);
    cl[16] = 1;
    cl[17] = 1;
    cl[18] = 1;
    expectOesc(
      new Bits().put(1, 1).put(2, 2).put(0, 5).put(0, 5).put(0, 4).put(1, 3).put(1, 3).put(1, 3).put(0, 3).bytesOut(),
      0x21,
    );
  });

  test('0x22: repeat (16) with no previous length', () => {
    const cl = new Array(19).fill(0);
    cl[0] = 1;
    cl[16] = 1;
    expectOesc(dynamicHeader(new Bits(), true, 257, 1, cl, [[16, 0]]).bytesOut(), 0x22);
  });

  test('0x23: repeat past HLIT + HDIST', () => {
    const cl = new Array(19).fill(0);
    cl[0] = 1;
    cl[18] = 1;
    expectOesc(
      dynamicHeader(new Bits(), true, 257, 1, cl, [
        [18, 127],
        [18, 127],
      ]).bytesOut(),
      0x23,
    );
    // A 16 crossing the end.
    const cl2 = new Array(19).fill(0);
    cl2[8] = 1;
    cl2[16] = 2;
    cl2[18] = 2;
    expectOesc(dynamicHeader(new Bits(), true, 257, 1, cl2, [[18, 127], [18, 105], [8], [16, 3]]).bytesOut(), 0x23);
  });

  test('0x24: no code for end-of-block', () => {
    const lit = [...new Array(256).fill(8), 0];
    expectOesc(dynamicHeader(new Bits(), true, 257, 1, FLAT_CL, flat([...lit, 1])).bytesOut(), 0x24);
  });

  test('0x25: over-subscribed or incomplete literal/length code', () => {
    const over = [...new Array(256).fill(8), 8];
    expectOesc(dynamicHeader(new Bits(), true, 257, 1, FLAT_CL, flat([...over, 1])).bytesOut(), 0x25);
    const incomplete = [...new Array(256).fill(9), 9];
    expectOesc(dynamicHeader(new Bits(), true, 257, 1, FLAT_CL, flat([...incomplete, 1])).bytesOut(), 0x25);
  });

  test('0x26: over-subscribed or incomplete distance code', () => {
    const lit = [...new Array(256).fill(0), 1, 1]; // EOB and length 3: complete
    expectOesc(dynamicHeader(new Bits(), true, 258, 3, FLAT_CL, flat([...lit, 1, 1, 1])).bytesOut(), 0x26);
    expectOesc(dynamicHeader(new Bits(), true, 258, 3, FLAT_CL, flat([...lit, 2, 2, 0])).bytesOut(), 0x26);
  });

  test('0x30: literal/length symbol 286 or 287 (fixed block)', () => {
    for (const sym of [286, 287]) {
      const b = new Bits().put(1, 1).put(1, 2);
      fixedLit(b, 65);
      fixedLit(b, sym);
      expectOesc(b.bytesOut(), 0x30);
    }
  });

  test('0x30: a code that matches no literal/length code (single-code literal/length set)', () => {
    // Literal/length code: only EOB with a 1-bit code "0"; code "1" matches nothing.
    const lit = [...new Array(256).fill(0), 1];
    const b = dynamicHeader(new Bits(), true, 257, 1, FLAT_CL, flat([...lit, 0]));
    b.code(1, 1);
    expectOesc(b.bytesOut(), 0x30);
  });

  test('0x31: distance symbol 30 or 31 (fixed block), or no distance codes at all', () => {
    for (const dsym of [30, 31]) {
      const b = new Bits().put(1, 1).put(1, 2);
      fixedLit(b, 65);
      fixedLit(b, 257);
      b.code(dsym, 5);
      expectOesc(b.bytesOut(), 0x31);
    }
    // Dynamic block whose distance code is empty, then a length symbol.
    const lit = [...new Array(256).fill(0), 1, 1];
    const b = dynamicHeader(new Bits(), true, 258, 1, FLAT_CL, flat([...lit, 0]));
    b.code(1, 1); // length 3
    expectOesc(b.bytesOut(), 0x31);
  });

  test('0x32: distance beyond the history and output so far', () => {
    const b = new Bits().put(1, 1).put(1, 2);
    fixedLit(b, 65);
    fixedLit(b, 257); // length 3
    b.code(1, 5); // distance 2
    expectOesc(b.bytesOut(), 0x32);
    // Far distance (symbol 29, 24577 + extra) after 100 bytes.
    const c = new Bits().put(1, 1).put(1, 2);
    for (let i = 0; i < 100; i++) fixedLit(c, i);
    fixedLit(c, 285);
    c.code(29, 5).put(0, 13);
    expectOesc(c.bytesOut(), 0x32);
  });

  test('valid edge cases decode: empty distance code with literals only, single 1-bit distance code', () => {
    const lit = [...new Array(256).fill(0), 1, 1]; // "0" = EOB, "1" = length 3
    // Literals only is impossible with this code; use lit: 'A'(65) len 1, EOB len 1.
    const lit2 = new Array(257).fill(0);
    lit2[65] = 1;
    lit2[256] = 1;
    const b = dynamicHeader(new Bits(), true, 257, 1, FLAT_CL, flat([...lit2, 0]));
    b.code(0, 1).code(0, 1).code(1, 1); // A A EOB
    const r = xpndInflateRaw(m, b.bytesOut(0));
    expect(r.status).toBe('end');
    expect([...r.output]).toEqual([65, 65]);
    // Single distance code of length 1 (incomplete, allowed).
    const lit3 = new Array(258).fill(0);
    lit3[66] = 2;
    lit3[256] = 2;
    lit3[257] = 1; // length 3
    const c = dynamicHeader(new Bits(), true, 258, 1, FLAT_CL, flat([...lit3, 1]));
    // canonical: 257 -> "0", 66 -> "10", 256 -> "11"
    c.code(0b10, 2).code(0, 1).code(0, 1).code(0b11, 2); // B, len 3 dist 1 → BBB, EOB
    const r2 = xpndInflateRaw(m, c.bytesOut(0));
    expect(r2.status).toBe('end');
    expect([...r2.output]).toEqual([66, 66, 66, 66]);
    void lit;
  });
});

describe('errors never look like CC2/OESC 0 and never touch memory they should not', () => {
  test('truncated streams end with CC2, OESC 0 and all input consumed', () => {
    const b = new Bits().put(1, 1).put(1, 2);
    for (let i = 0; i < 50; i++) fixedLit(b, i);
    fixedLit(b, 256);
    const full = b.bytesOut(0);
    for (let cut = 0; cut < full.length; cut++) {
      const r = xpndInflateRaw(m, full.subarray(0, cut), { inChunk: 2 });
      expect(r.status).toBe('truncated');
      expect(r.end).toBe(cut);
    }
    expect(xpndInflateRaw(m, full).status).toBe('end');
  });
});
