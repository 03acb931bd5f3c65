/**
 * DFLTCC-XPND against streams made by node:zlib (software zlib): every level and strategy, the three
 * wrappers, odd buffer sizes, work bounds, dictionaries, history wrap-around, check values, copied
 * parameter blocks and interleaved streams.
 */
import { beforeAll, describe, expect, test } from 'vitest';
import zlib from 'node:zlib';
import fc from 'fast-check';
import { corpus, randomBytes, textLike, binaryLike } from '../../tools/corpus/corpus.js';
import {
  HIST_SIZE,
  PB,
  PB_SIZE,
  XpndStream,
  adler32,
  loadXpndDriver,
  pbField,
  privateAreas,
  xpndInflateGzip,
  xpndInflateRaw,
  xpndInflateRawAsync,
  xpndInflateZlib,
  type XpndDriver,
} from './xpnd-driver.js';
import { yieldToLoop } from '../support/yield-to-loop.js';

const { Z_DEFAULT_STRATEGY, Z_FILTERED, Z_HUFFMAN_ONLY, Z_RLE, Z_FIXED } = zlib.constants;
const strategies = [
  ['default', Z_DEFAULT_STRATEGY],
  ['filtered', Z_FILTERED],
  ['huffman-only', Z_HUFFMAN_ONLY],
  ['rle', Z_RLE],
  ['fixed', Z_FIXED],
] as const;

const equal = (a: Uint8Array, b: Uint8Array) => Buffer.from(a.buffer, a.byteOffset, a.length).equals(b);

let m: XpndDriver;
beforeAll(() => {
  m = loadXpndDriver();
});

/** Text with far repeats: keeps matches reaching ~32 KiB back. */
function farRepeats(length: number, seed: number): Uint8Array {
  const block = textLike(30000, seed);
  const noise = randomBytes(length, seed + 9);
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = i % 4096 < 3900 ? block[i % 30000] : noise[i];
  return out;
}

const inputs: [string, Uint8Array][] = [
  ['empty', new Uint8Array(0)],
  ['one byte', Uint8Array.of(0x41)],
  ['text 100K', corpus('text', 100_000, 11)],
  ['binary 100K', corpus('binary', 100_000, 12)],
  ['random 70K', corpus('random', 70_000, 13)],
  ['zeros 200K', corpus('zeros', 200_000)],
  ['mixed 120K', corpus('mixed', 120_000, 14)],
];

describe('node:zlib streams, every level and strategy', () => {
  for (const [name, data] of inputs) {
    test(name, () => {
      for (let level = 0; level <= 9; level++) {
        for (const [sname, strategy] of strategies) {
          const raw = zlib.deflateRawSync(data, { level, strategy });
          const r = xpndInflateRaw(m, raw, { outChunk: 1 << 20 });
          expect(r.status, `${name} level ${level} ${sname}`).toBe('end');
          expect(r.end, `${name} level ${level} ${sname}: end position`).toBe(raw.length);
          expect(equal(r.output, data), `${name} level ${level} ${sname}`).toBe(true);
          expect(r.check).toBe(adler32(data));
        }
      }
    });
  }

  test('zlib and gzip wrappers (Adler-32 / CRC-32 trailers checked against CV)', () => {
    for (const [, data] of inputs) {
      for (const level of [0, 1, 6, 9]) {
        expect(equal(xpndInflateZlib(m, zlib.deflateSync(data, { level })), data)).toBe(true);
        expect(equal(xpndInflateGzip(m, zlib.gzipSync(data, { level })), data)).toBe(true);
      }
    }
  });

  test('inputs over 1 MiB (several blocks) with 64 KiB output buffers and 16 KiB input chunks', async () => {
    for (const name of ['text', 'binary', 'mixed', 'vm-pages', 'random'] as const) {
      const data = corpus(name, 1_300_000, 21);
      for (const level of [1, 6, 9]) {
        await yieldToLoop(); // seconds of work in all on a busy machine: one stream at a time
        const z = zlib.deflateSync(data, { level });
        const out = xpndInflateZlib(m, z, { inChunk: 16384, outChunk: 65536 });
        expect(equal(out, data), `${name} level ${level}`).toBe(true);
      }
      const g = zlib.gzipSync(data, { level: 6, strategy: Z_FILTERED });
      expect(equal(xpndInflateGzip(m, g, { inChunk: 100_000, outChunk: 1 << 20 }), data)).toBe(true);
    }
  });

  test('a stream whose output exactly fills the first operand ends with CC0 in one call', () => {
    for (const data of [corpus('text', 5000, 3), corpus('zeros', 3000), Uint8Array.of(1, 2, 3)]) {
      for (const level of [0, 1, 9]) {
        const raw = zlib.deflateRawSync(data, { level });
        const r = xpndInflateRaw(m, raw, { outChunk: data.length });
        expect(r.calls).toBe(1);
        expect(r.status).toBe('end');
        expect(equal(r.output, data)).toBe(true);
      }
    }
  });

  test('trailing bytes after the final block are left unread (op2 at the first unused bit)', () => {
    const data = corpus('text', 20000, 5);
    for (const level of [0, 1, 6]) {
      const raw = zlib.deflateRawSync(data, { level });
      const withTail = Buffer.concat([raw, Buffer.from('TRAILER-BYTES')]);
      const r = xpndInflateRaw(m, withTail, { outChunk: 4096 });
      expect(r.status).toBe('end');
      expect(r.end).toBe(raw.length);
    }
  });
});

describe('tiny buffers', () => {
  const data = corpus('mixed', 12_000, 31);
  const streams = [
    zlib.deflateRawSync(data, { level: 0 }),
    zlib.deflateRawSync(data, { level: 1 }),
    zlib.deflateRawSync(data, { level: 9 }),
    zlib.deflateRawSync(data, { strategy: Z_FIXED }),
    zlib.deflateRawSync(data, { strategy: Z_HUFFMAN_ONLY }),
  ];
  for (const [label, opt] of [
    ['1-byte input', { inChunk: 1, outChunk: 65536 }],
    ['1-byte output', { outChunk: 1 }],
    ['1-byte input and output', { inChunk: 1, outChunk: 1 }],
    [
      '1-byte input, output, moving input and copied state',
      { inChunk: 1, outChunk: 1, moveInput: true, copyState: true },
    ],
  ] as const) {
    test(label, async () => {
      for (const raw of streams) {
        // A call per byte: tens of thousands of calls per stream, so the event loop turns between some of them.
        const r = await xpndInflateRawAsync(m, raw, opt);
        expect(r.status).toBe('end');
        expect(r.end).toBe(raw.length);
        expect(equal(r.output, data)).toBe(true);
      }
    });
  }
});

// Ten seconds on a quiet machine, minutes on a busy one: the limit is a hang guard.
describe('property: random buffer sizes and CPU amounts give identical output', { timeout: 600_000 }, () => {
  const pool = [
    corpus('text', 40_000, 41),
    corpus('binary', 30_000, 42),
    corpus('mixed', 50_000, 43),
    farRepeats(70_000, 44),
    corpus('zeros', 40_000),
    corpus('random', 10_000, 45),
  ];
  // Asynchronous, one turn of the event loop per run: 120 runs are many seconds of synchronous work otherwise.
  test('fast-check', async () => {
    const machines = new Map<number, XpndDriver>();
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: pool.length - 1 }),
        fc.integer({ min: 0, max: 9 }),
        fc.integer({ min: 0, max: strategies.length - 1 }),
        fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 5000 }), fc.integer({ min: 1, max: 70000 })),
        fc.integer({ min: 1, max: 5000 }),
        fc.integer({ min: 1, max: 70000 }),
        fc.integer(),
        fc.boolean(),
        fc.boolean(),
        async (which, level, s, cpu, inMax, outMax, seed, moveInput, copyState) => {
          await yieldToLoop();
          let mm = machines.get(cpu);
          if (!mm) {
            mm = loadXpndDriver({ cpuAmount: cpu });
            machines.set(cpu, mm);
          }
          const data = pool[which];
          const raw = zlib.deflateRawSync(data, { level, strategy: strategies[s][1] });
          let state = seed >>> 0 || 1;
          const rnd = (max: number) => {
            state ^= state << 13;
            state ^= state >>> 17;
            state ^= state << 5;
            return 1 + ((state >>> 0) % max);
          };
          const r = await xpndInflateRawAsync(mm, raw, {
            inChunk: () => rnd(inMax),
            outChunk: () => rnd(outMax),
            moveInput,
            copyState,
          });
          expect(r.status).toBe('end');
          expect(r.end).toBe(raw.length);
          expect(equal(r.output, data)).toBe(true);
          expect(r.check).toBe(adler32(data));
        },
      ),
      { numRuns: 120 },
    );
  });

  test('CC3 comes after about cpuAmount output bytes and re-issuing continues', async () => {
    const data = corpus('text', 200_000, 51);
    const raw = zlib.deflateRawSync(data, { level: 6 });
    for (const cpu of [1, 7, 1000, 65536]) {
      await yieldToLoop();
      const mm = loadXpndDriver({ cpuAmount: cpu });
      let cc3 = 0;
      const r = await xpndInflateRawAsync(mm, raw, {
        outChunk: 1 << 20,
        onCall: (c) => {
          if (c.cc === 3) {
            cc3++;
            expect(c.produced).toBe(cpu);
          }
        },
      });
      expect(r.status).toBe('end');
      expect(equal(r.output, data)).toBe(true);
      expect(cc3).toBe(Math.ceil(data.length / cpu) - 1);
    }
  });
});

describe('history', () => {
  test('preset dictionary appended to the circular history (NT=0, HL>0)', () => {
    const dict = textLike(5000, 61);
    const data = textLike(50_000, 61); // same vocabulary: many matches into the dictionary
    for (const level of [1, 6, 9]) {
      const z = zlib.deflateSync(data, { level, dictionary: dict });
      expect(z[1] & 0x20).toBe(0x20);
      for (const opt of [{}, { inChunk: 7, outChunk: 13 }, { outChunk: 1 }]) {
        expect(equal(xpndInflateZlib(m, z, { ...opt, dictionary: dict }), data)).toBe(true);
      }
    }
    // A dictionary larger than the window: only its last 32 KiB count.
    const big = textLike(50_000, 62);
    const z = zlib.deflateSync(data, { dictionary: big });
    expect(equal(xpndInflateZlib(m, z, { dictionary: big, outChunk: 999 }), data)).toBe(true);
  });

  test('a dictionary is needed: without it the stream refers too far back (OESC 0x32)', () => {
    const dict = textLike(5000, 61);
    const data = textLike(20_000, 61);
    const z = zlib.deflateSync(data, { dictionary: dict });
    const r = xpndInflateRaw(m, z.subarray(6));
    expect(r.status).toBe('error');
    expect(r.oesc).toBe(0x32);
  });

  test('HO wraps around 32768 with far matches across calls', () => {
    const data = farRepeats(400_000, 71);
    const raw = zlib.deflateRawSync(data, { level: 9 });
    let wraps = 0;
    let lastHo = -1;
    let end = 0; // (HO + HL) mod 32768 before the call
    const sizes = [4093, 1, 777, 12000, 30000, 32768, 40000];
    let k = 0;
    const r = xpndInflateRaw(m, raw, {
      outChunk: () => sizes[k++ % sizes.length],
      onCall: (c) => {
        const hl = pbField.hl(m, c.pb);
        const ho = pbField.ho(m, c.pb);
        // An append shorter than the buffer that crossed offset 32768.
        if (c.produced < HIST_SIZE && end + c.produced > HIST_SIZE) wraps++;
        end = (ho + hl) % HIST_SIZE;
        lastHo = ho;
      },
    });
    expect(r.status).toBe('end');
    expect(equal(r.output, data)).toBe(true);
    expect(lastHo).toBeGreaterThanOrEqual(0);
    expect(wraps).toBeGreaterThan(5);
    // The history holds the last 32 KiB of output, oldest at HO.
    const u8 = m.u8();
    const hl = pbField.hl(m, r.pb);
    const ho = pbField.ho(m, r.pb);
    expect(hl).toBe(HIST_SIZE);
    const hist = new Uint8Array(HIST_SIZE);
    for (let i = 0; i < HIST_SIZE; i++) hist[i] = u8[r.hist + ((ho + i) % HIST_SIZE)];
    expect(equal(hist, data.subarray(data.length - HIST_SIZE))).toBe(true);
  });

  test('in-line history (HBT=0): history is the HL bytes before the first operand', () => {
    const data = farRepeats(150_000, 81);
    const raw = zlib.deflateRawSync(data, { level: 6 });
    const e = m.emu;
    const pb = e.paramBlock();
    const out = e.alloc(data.length + 64, 64);
    const input = e.put(raw);
    const u8 = e.u8;
    u8.fill(0, pb, pb + PB_SIZE);
    u8[pb + PB.FLAGS] = 0x80 | 0x20;
    e.view.setUint32(pb + PB.CV, 1);
    let r1 = out;
    let r2 = input;
    let r2len = 0;
    let fed = 0;
    let cc = -1;
    for (let calls = 0; calls < 100_000 && cc !== 0; calls++) {
      const r1len = Math.min(out + data.length - r1, 1 + ((calls * 7919) % 9000));
      const res = m.xpnd(pb, { r1, r1len, r2, r2len, r3: 0 }, false);
      cc = res.cc;
      r1 = res.regs.r1;
      r2 = res.regs.r2;
      r2len = res.regs.r2len;
      expect(cc === 2 ? pbField.oesc(m, pb) : 0).toBe(0);
      if (cc === 2) {
        const add = Math.min(raw.length - fed, 3000);
        fed += add;
        r2len += add;
      }
      expect(pbField.hl(m, pb)).toBe(Math.min(HIST_SIZE, r1 - out));
    }
    expect(cc).toBe(0);
    expect(equal(e.read(out, data.length), data)).toBe(true);
    expect(pbField.cvBE(m, pb)).toBe(adler32(data));
  });
});

describe('check value', () => {
  const data = corpus('mixed', 300_000, 91);
  test('Adler-32 (big-endian in the CV field) and CRC-32 (little-endian) after every call', () => {
    for (const adler of [true, false]) {
      const raw = zlib.deflateRawSync(data, { level: 5 });
      let produced = 0;
      let k = 0;
      const r = xpndInflateRaw(m, raw, {
        adler,
        inChunk: () => 1 + ((k * 131) % 20000),
        outChunk: () => 1 + ((k++ * 7919) % 50000),
        onCall: (c) => {
          produced += c.produced;
          const sofar = data.subarray(0, produced);
          const u8 = m.u8();
          const field = u8.slice(c.pb + PB.CV, c.pb + PB.CV + 4);
          if (adler) {
            const v = adler32(sofar);
            expect([...field]).toEqual([v >>> 24, (v >>> 16) & 255, (v >>> 8) & 255, v & 255]);
          } else {
            const v = zlib.crc32(sofar);
            expect([...field]).toEqual([v & 255, (v >>> 8) & 255, (v >>> 16) & 255, v >>> 24]);
          }
        },
      });
      expect(r.status).toBe('end');
      expect(r.check).toBe(adler ? adler32(data) : zlib.crc32(data));
    }
  });

  test('Adler-32 on long runs of 0xFF bytes (largest lane sums) and odd lengths', () => {
    const ff = new Uint8Array(300_000).fill(0xff);
    for (const level of [0, 1]) {
      const raw = zlib.deflateRawSync(ff, { level });
      for (const outChunk of [1 << 20, 65536, 65537, 63, 1000]) {
        const r = xpndInflateRaw(m, raw, { outChunk });
        expect(r.status).toBe('end');
        expect(r.check).toBe(adler32(ff));
      }
    }
  });

  test('NT=1 starts the check value afresh; NT=0 continues it', () => {
    const a = textLike(10_000, 92);
    const raw = zlib.deflateRawSync(a);
    const s = new XpndStream(m, raw, { adler: false });
    m.dv().setUint32(s.pb + PB.CV, 0xdeadbeef, true); // ignored: NT=1
    expect(s.run().check).toBe(zlib.crc32(a));
    // Second stream on the same block with NT=0: CV and history carry over.
    const b = textLike(10_000, 93);
    const rawB = zlib.deflateRawSync(b);
    const pb = s.pb;
    const inAt = m.alloc(rawB.length);
    const out = m.alloc(b.length);
    const u8 = m.u8(); // after the allocations: growing the memory replaces the buffer
    u8.set(rawB, inAt);
    u8[pb + PB.SBB] = 0;
    const { cc } = m.xpnd(pb, { r1: out, r1len: b.length, r2: inAt, r2len: rawB.length, r3: s.hist });
    expect(cc).toBe(0);
    expect(pbField.cvLE(m, pb)).toBe(zlib.crc32(b, zlib.crc32(a)));
  });
});

describe('continuation state lives in the parameter block', () => {
  const data = Buffer.concat([corpus('text', 150_000, 101), corpus('binary', 100_000, 102)]);
  const raws = [
    zlib.deflateRawSync(data, { level: 6 }),
    zlib.deflateRawSync(data, { level: 1, strategy: Z_FIXED }),
    zlib.deflateRawSync(data, { level: 0 }),
  ];

  test('a copied parameter block + history continues identically (same and other instance)', () => {
    for (const raw of raws) {
      for (const stopAfter of [1, 2, 3, 5, 8, 13, 40]) {
        const opt = { inChunk: 1777, outChunk: 3001 };
        const a = new XpndStream(m, raw, opt, privateAreas(m, raw.length));
        for (let i = 0; i < stopAfter && !a.result; i++) a.step();
        // Copy pb + history into a second stream on another machine; continue both.
        const other = loadXpndDriver();
        const b = new XpndStream(other, raw, opt, privateAreas(other, raw.length));
        other.u8().set(m.u8().subarray(a.pb, a.pb + PB_SIZE), b.pb);
        other.u8().set(m.u8().subarray(a.hist, a.hist + HIST_SIZE), b.hist);
        // Also a copy on the same machine.
        const c = new XpndStream(m, raw, opt, privateAreas(m, raw.length));
        m.u8().copyWithin(c.pb, a.pb, a.pb + PB_SIZE);
        m.u8().copyWithin(c.hist, a.hist, a.hist + HIST_SIZE);
        const prefix = a.output();
        for (const s of [b, c]) {
          (s as unknown as { pos: number }).pos = a.pos;
          (s as unknown as { fed: number }).fed = (a as unknown as { fed: number }).fed;
          (s as unknown as { sbb: number }).sbb = (a as unknown as { sbb: number }).sbb;
        }
        // Interleave the three so the decode-table cache is shared and contended.
        let ra: ReturnType<XpndStream['step']>;
        let rb: ReturnType<XpndStream['step']>;
        let rc: ReturnType<XpndStream['step']>;
        while (!ra || !rb || !rc) {
          ra = a.step() ?? ra;
          rc = c.step() ?? rc;
          rb = b.step() ?? rb;
        }
        expect(ra.status).toBe('end');
        expect(equal(ra.output, data)).toBe(true);
        for (const r of [rb, rc]) {
          expect(r.status).toBe('end');
          expect(equal(Buffer.concat([prefix, r.output]), data)).toBe(true);
          expect(r.check).toBe(ra.check);
        }
      }
    }
  });

  test('interleaved streams with different dynamic tables on one instance', () => {
    const datas = [textLike(200_000, 111), binaryLike(200_000, 112), corpus('mixed', 200_000, 113)];
    const streams = datas.map((d, i) => {
      const raw = zlib.deflateRawSync(d, { level: 1 + 4 * i });
      return new XpndStream(m, raw, { inChunk: 501 + i, outChunk: 997 + 3 * i }, privateAreas(m, raw.length));
    });
    const done = new Set<number>();
    while (done.size < streams.length) {
      streams.forEach((s, i) => {
        if (!done.has(i) && s.step()) done.add(i);
      });
    }
    streams.forEach((s, i) => {
      expect(s.result!.status).toBe('end');
      expect(equal(s.result!.output, datas[i])).toBe(true);
    });
  });
});

describe('SBB', () => {
  test('decoding starts at bit SBB of the first byte', () => {
    const data = textLike(30_000, 121);
    const raw = zlib.deflateRawSync(data, { level: 6 });
    for (let shift = 1; shift < 8; shift++) {
      // Prepend `shift` garbage bits: shifted[i] = raw bits moved up by `shift`.
      const shifted = new Uint8Array(raw.length + 1);
      let carry = 0b1010101 & ((1 << shift) - 1);
      for (let i = 0; i < raw.length; i++) {
        shifted[i] = ((raw[i] << shift) | carry) & 0xff;
        carry = raw[i] >> (8 - shift);
      }
      shifted[raw.length] = carry;
      const s = new XpndStream(m, shifted, { inChunk: 1000, outChunk: 5000 });
      m.u8()[s.pb + PB.SBB] = shift;
      (s as unknown as { sbb: number }).sbb = shift;
      const r = s.run();
      expect(r.status).toBe('end');
      expect(equal(r.output, data)).toBe(true);
    }
  });
});
