/**
 * CMPR's parse against what real z15 hardware produced, as quoted in public bug reports (asm/README.md,
 * "How CMPR parses", lists each rule with its source). The vectors go through the library's dfltcc engine,
 * which drives the emulator as IBM's zlib drives the hardware; Ubuntu's zlib accelerates levels 1-6
 * (DFLTCC_LEVEL_MASK=0x7e), so the reports' default-level calls are level 6 with that mask here.
 */
import { describe, expect, it } from 'vitest';
import { constants, createDeflateCore, deflateSync, type DeflateOptions } from '../../src/index.js';
import { inspectDeflate, type DeflateSymbol } from './inflate-inspect';

/** Ubuntu's zlib on a z15: DFLTCC for levels 1-6, the default level 6. */
const ubuntu: DeflateOptions = { engine: 'dfltcc', level: 6, dfltcc: { levelMask: 0x7e } };
const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');
/** The raw DEFLATE body of a zlib stream. */
const body = (stream: Uint8Array) => stream.subarray(2, stream.length - 4);
const symbolsOf = (stream: Uint8Array): DeflateSymbol[] => inspectDeflate(body(stream)).symbols;
const match = (length: number, distance: number): DeflateSymbol => ({ length, distance });

/** Ruby's Random.new(seed).bytes(n): MT19937 seeded with init_genrand, 32-bit words little-endian. */
function rubyRandomBytes(seed: number, length: number): Uint8Array {
  const state = new Uint32Array(624);
  state[0] = seed >>> 0;
  for (let i = 1; i < 624; i++) state[i] = (Math.imul(1812433253, state[i - 1] ^ (state[i - 1] >>> 30)) + i) >>> 0;
  let index = 624;
  const next = (): number => {
    if (index === 624) {
      for (let k = 0; k < 624; k++) {
        const y = (state[k] & 0x80000000) | (state[(k + 1) % 624] & 0x7fffffff);
        state[k] = state[(k + 397) % 624] ^ (y >>> 1) ^ (y & 1 ? 0x9908b0df : 0);
      }
      index = 0;
    }
    let y = state[index++];
    y ^= y >>> 11;
    y ^= (y << 7) & 0x9d2c5680;
    y ^= (y << 15) & 0xefc60000;
    y ^= y >>> 18;
    return y >>> 0;
  };
  const out = new Uint8Array(length);
  for (let at = 0; at < length; at += 4) {
    const word = next();
    for (let k = 0; k < 4 && at + k < length; k++) out[at + k] = (word >>> (8 * k)) & 0xff;
  }
  return out;
}

/** The smallest distance at which some 3-byte string of `data` repeats. */
function nearestThreeByteRepeat(data: Uint8Array): number {
  const last = new Map<number, number>();
  let nearest = Infinity;
  for (let p = 0; p + 3 <= data.length; p++) {
    const key = data[p] | (data[p + 1] << 8) | (data[p + 2] << 16);
    const before = last.get(key);
    if (before !== undefined) nearest = Math.min(nearest, p - before);
    last.set(key, p);
  }
  return nearest;
}

describe('the z15 bytes quoted in public reports', () => {
  it('ruby/spec#1083: ten zero bytes are 78 9c 63 80 03 00 00 0a 00 01 (Lit 0, Match 9/1: a match from position 1)', () => {
    const stream = deflateSync(Buffer.alloc(10), ubuntu);
    expect(hex(stream)).toBe('789c63800300000a0001');
    expect(symbolsOf(stream)).toEqual([{ literal: 0 }, match(9, 1)]);
  });

  it('ruby/spec#1083: 32 KiB of zeros are Lit 0, Match 255/1, then Match 256/1: never 258, on a 256-byte grid', () => {
    const stream = deflateSync(Buffer.alloc(32768), ubuntu);
    // The first 22 bytes of the deflate body as the report quotes them ("c\x18\xE1`\xA4\x83\x91\x0EF:\x18\xE9`...").
    expect(hex(body(stream).subarray(0, 22))).toBe('6318e160a483910e463a18e960a483910e463a18e960');
    const symbols = symbolsOf(stream);
    expect(symbols.slice(0, 2)).toEqual([{ literal: 0 }, match(255, 1)]);
    expect(symbols.slice(2)).toEqual(new Array(127).fill(match(256, 1)));
  });

  it('ruby/ruby#8401: a CPU-determined stop restarts the grid (Match 96/1 after 864 bytes, then 256/1 from there)', () => {
    // That run of the same spec stopped once after 864 bytes; cpuAmount 864 stops there (and every 864 bytes).
    const stream = deflateSync(Buffer.alloc(32768), { ...ubuntu, cpuAmount: 864 });
    // "c\x18\xE1`\xA4\x83\x91\x0Eh\rF:\x18\xE9`\xA4" as quoted: the first 16 body bytes, up to the second stop.
    expect(hex(body(stream).subarray(0, 16))).toBe('6318e160a483910e680d463a18e960a4');
    expect(symbolsOf(stream).slice(0, 8)).toEqual([
      { literal: 0 },
      match(255, 1),
      match(256, 1),
      match(256, 1),
      match(96, 1),
      match(256, 1),
      match(256, 1),
      match(256, 1),
    ]);
  });

  it('ruby/zlib#60: Random.new(0).bytes(20000) is 21085 bytes, literals only: no 3-byte match at 1098 bytes or more', () => {
    const data = rubyRandomBytes(0, 20000);
    // The distance limit for 3-byte matches must lie below the nearest repeat the hardware declined.
    expect(nearestThreeByteRepeat(data)).toBe(1098);
    const stream = deflateSync(data, ubuntu);
    expect(stream.length).toBe(21085);
    const inspection = inspectDeflate(body(stream));
    expect(inspection.blocks).toHaveLength(1);
    expect(inspection.blocks[0]).toMatchObject({ final: true, type: 1, matches: 0, literals: 20000 });
  });

  it('ruby/zlib#60: one byte written with Z_NO_FLUSH, then finish, is 10 bytes (CMPR ran during the write)', () => {
    const core = createDeflateCore('zlib', ubuntu);
    const chunks: Buffer[] = [];
    core.ondata = (chunk) => chunks.push(chunk);
    core.push(Buffer.from([1]), constants.Z_NO_FLUSH);
    core.push(Buffer.alloc(0), constants.Z_FINISH);
    core.close();
    const stream = Buffer.concat(chunks);
    expect(stream.length).toBe(10);
    // A non-final fixed block holding the literal, closed in software, then an empty final fixed block.
    const blocks = inspectDeflate(body(stream)).blocks;
    expect(blocks.map((block) => [block.final, block.type, block.literals])).toEqual([
      [false, 1, 1],
      [true, 1, 0],
    ]);
  });

  it('python/cpython#31096: compress() and compressobj().compress()+flush() differ: one final block vs a block and an empty final one', () => {
    // test_zlib's test_pair: on s390x "the last one is a final block"; elsewhere both are one final block.
    const data = Buffer.from(Array.from({ length: 2000 }, (_, i) => `word${i % 97} `).join(''));
    const oneShot = deflateSync(data, ubuntu);
    const core = createDeflateCore('zlib', ubuntu);
    const chunks: Buffer[] = [];
    core.ondata = (chunk) => chunks.push(chunk);
    core.push(data, constants.Z_NO_FLUSH);
    core.push(Buffer.alloc(0), constants.Z_FINISH);
    core.close();
    const streamed = Buffer.concat(chunks);
    expect(streamed.equals(oneShot)).toBe(false);
    expect(inspectDeflate(body(oneShot)).blocks.map((block) => block.final)).toEqual([true]);
    const blocks = inspectDeflate(body(streamed)).blocks;
    expect(blocks.map((block) => block.final)).toEqual([false, true]);
    expect(blocks[1]).toMatchObject({ type: 1, literals: 0, matches: 0 });
  });

  it('libarchive#1515: levels 1 and 6 on the accelerator give the same output (7156 bytes both); the parse ignores the level', () => {
    const data = Buffer.from(
      Array.from({ length: 40_000 }, (_, i) => `line ${i % 977} of ${(i * 7) % 13}\n`)
        .join('')
        .slice(0, 100_000),
    );
    const one = deflateSync(data, { ...ubuntu, level: 1 });
    const six = deflateSync(data, ubuntu);
    expect(hex(body(one))).toBe(hex(body(six)));
    expect(one.length).toBe(six.length);
  });
});

describe('the rules, one by one', () => {
  it('a 3-byte match at a short distance: "bbbb" is Lit b, Match 3/1', () => {
    expect(symbolsOf(deflateSync(Buffer.from('bbbb'), ubuntu))).toEqual([{ literal: 0x62 }, match(3, 1)]);
  });

  it('3-byte matches up to 1024 bytes back, none beyond', () => {
    const filler = (length: number, seed: number) =>
      Uint8Array.from(rubyRandomBytes(seed, length).map((byte) => 0x80 | (byte & 0x7f)));
    for (const [gap, taken] of [
      [1021, true],
      [1022, false],
    ] as const) {
      // "xyz" + gap bytes that share no 3 bytes with it + "xyz": the second copy is gap + 3 bytes back.
      const data = Buffer.concat([Buffer.from('xyz'), filler(gap, 5), Buffer.from('xyz')]);
      const symbols = symbolsOf(deflateSync(data, ubuntu));
      expect(symbols.at(-1)).toEqual(taken ? match(3, gap + 3) : { literal: 0x7a });
    }
  });

  it('4-byte and longer matches reach the whole 32 KiB window', () => {
    const filler = Uint8Array.from(rubyRandomBytes(9, 30_000).map((byte) => 0x80 | (byte & 0x7f)));
    const data = Buffer.concat([Buffer.from('wxyz'), filler, Buffer.from('wxyz')]);
    expect(symbolsOf(deflateSync(data, ubuntu)).at(-1)).toEqual(match(4, 30_004));
  });

  it('inside a run the nearest copy wins: "abcabcabc..." after the first copy is distance 3, runs of one byte distance 1', () => {
    const symbols = symbolsOf(deflateSync(Buffer.from('abc'.repeat(200)), ubuntu));
    expect(symbols.slice(0, 3)).toEqual([{ literal: 0x61 }, { literal: 0x62 }, { literal: 0x63 }]);
    for (const symbol of symbols.slice(3)) expect(symbol).toMatchObject({ distance: 3 });
    // A run that starts after other data: every match of the run is distance 1.
    const run = symbolsOf(deflateSync(Buffer.concat([Buffer.from('hello, '), Buffer.alloc(5000, 0x41)]), ubuntu));
    for (const symbol of run.slice(8)) expect(symbol).toMatchObject({ distance: 1 });
  });

  it('greedy: the longest match at the current position is taken, with no lazy look at the next one', () => {
    // At the second "abcd" a 4-byte match exists, while the next position starts an 11-byte one ("bcdefghijkl").
    const data = Buffer.from('abcdQQQQQQQQQQQQQQQbcdefghijklRRRRRRRRRRRRRRRRabcdefghijkl');
    const symbols = symbolsOf(deflateSync(data, ubuntu));
    // The parse takes "abcd" (4 bytes, 46 back) first, then "efghijkl" (8 bytes, 28 back): a lazy parse would
    // have emitted "a" as a literal and then "bcdefghijkl" (11 bytes, 28 back).
    expect(symbols.slice(-2)).toEqual([match(4, 46), match(8, 28)]);
  });
});
