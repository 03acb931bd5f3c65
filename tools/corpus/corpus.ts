/**
 * Deterministic corpora, generated from seeds: nothing is downloaded, and
 * the same seed gives the same bytes on every machine. Used by the tests and
 * the benchmarks.
 */

/** A small, fast, seedable PRNG (mulberry32). */
export class Random {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** A uniformly distributed 32-bit unsigned integer. */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }

  /** An integer in [0, bound). */
  below(bound: number): number {
    return Math.floor((this.next() / 0x1_0000_0000) * bound);
  }

  fill(target: Uint8Array): Uint8Array {
    for (let index = 0; index < target.length; index++) target[index] = this.next() & 0xff;
    return target;
  }
}

const syllables = [
  'the',
  'and',
  'com',
  'pre',
  'ss',
  'ion',
  'data',
  'page',
  'ing',
  'er',
  'block',
  'tion',
  'zip',
  'flate',
  'ma',
  'chine',
  'ter',
  'al',
  'st',
  're',
];
const punctuation = ['. ', ', ', '; ', '\n', ' ', ' ', ' ', ' '];

/** English-like text: Zipf-ish words from syllables, punctuation and line breaks. */
export function textLike(length: number, seed = 1): Uint8Array {
  const random = new Random(seed);
  const vocabulary: string[] = [];
  for (let index = 0; index < 2000; index++) {
    let word = '';
    const parts = 1 + random.below(3);
    for (let part = 0; part < parts; part++) word += syllables[random.below(syllables.length)];
    vocabulary.push(word);
  }
  const out = new Uint8Array(length);
  let offset = 0;
  while (offset < length) {
    // Squaring a uniform number favours the start of the vocabulary, as natural text does.
    const pick = random.next() / 0x1_0000_0000;
    const word =
      vocabulary[Math.floor(pick * pick * vocabulary.length)] + punctuation[random.below(punctuation.length)];
    for (let index = 0; index < word.length && offset < length; index++) out[offset++] = word.charCodeAt(index);
  }
  return out;
}

/** Binary and code-like data: fixed records with counters, small integers, opcodes and pointers. */
export function binaryLike(length: number, seed = 2): Uint8Array {
  const random = new Random(seed);
  const out = new Uint8Array(length);
  const view = new DataView(out.buffer);
  const opcodes = [0x48, 0x89, 0x8b, 0xe8, 0xc3, 0x55, 0x5d, 0x0f, 0x83, 0xff];
  let offset = 0;
  let counter = 0;
  let pointer = 0x7f00_0000;
  while (offset + 32 <= length) {
    if (random.below(3) === 0) {
      // A code-like run: opcodes with immediates.
      for (let index = 0; index < 32; index++) {
        out[offset + index] = random.below(4) === 0 ? random.below(256) : opcodes[random.below(opcodes.length)];
      }
    } else {
      view.setUint32(offset, counter++, true);
      view.setUint32(offset + 4, random.below(1000), true);
      view.setUint32(offset + 8, pointer, true);
      pointer += 16 * (1 + random.below(4));
      view.setFloat64(offset + 16, random.below(10000) / 100, true);
      view.setUint32(offset + 24, 0, true);
      view.setUint32(offset + 28, random.below(16), true);
    }
    offset += 32;
  }
  return out;
}

export function randomBytes(length: number, seed = 3): Uint8Array {
  return new Random(seed).fill(new Uint8Array(length));
}

export function zeros(length: number): Uint8Array {
  return new Uint8Array(length);
}

export const PAGE_SIZE = 4096;

/** Share of each page kind in a typical guest's RAM (mostly zero and duplicate pages). */
export interface PageMix {
  zero: number;
  repeated: number;
  code: number;
  text: number;
  random: number;
}

export const typicalGuestMix: PageMix = { zero: 0.4, repeated: 0.15, code: 0.2, text: 0.15, random: 0.1 };

/** The kind a draw in [0, total of the mix) picks: the kinds take their shares of the range in the mix's order. */
function pageKind(draw: number, mix: PageMix): keyof PageMix {
  let rest = draw;
  for (const kind of ['zero', 'repeated', 'code', 'text'] as const) {
    rest -= mix[kind];
    if (rest < 0) return kind;
  }
  return 'random';
}

/** VM-RAM-like pages: zero pages, repeated pages, code-like, text-like and random pages, mixed. */
export function vmPages(length: number, seed = 4, mix: PageMix = typicalGuestMix, pageSize = PAGE_SIZE): Uint8Array {
  const random = new Random(seed);
  const out = new Uint8Array(length);
  const template = binaryLike(pageSize, seed + 1);
  const total = mix.zero + mix.repeated + mix.code + mix.text + mix.random;
  for (let offset = 0, page = 0; offset < length; offset += pageSize, page++) {
    const size = Math.min(pageSize, length - offset);
    const kind = pageKind((random.next() / 0x1_0000_0000) * total, mix);
    const target = out.subarray(offset, offset + size);
    if (kind === 'repeated') target.set(template.subarray(0, size));
    else if (kind === 'code') target.set(binaryLike(size, seed * 7919 + page));
    else if (kind === 'text') target.set(textLike(size, seed * 104729 + page));
    else if (kind === 'random') target.set(randomBytes(size, seed * 31 + page));
    // a zero page: the buffer is zero already
  }
  return out;
}

export type CorpusName = 'text' | 'binary' | 'zeros' | 'random' | 'vm-pages' | 'mixed';

/** A named corpus of the given length. 'mixed' is text, binary, VM pages and random in turn. */
export function corpus(name: CorpusName, length: number, seed = 1): Uint8Array {
  switch (name) {
    case 'text':
      return textLike(length, seed);
    case 'binary':
      return binaryLike(length, seed);
    case 'zeros':
      return zeros(length);
    case 'random':
      return randomBytes(length, seed);
    case 'vm-pages':
      return vmPages(length, seed);
    case 'mixed': {
      const out = new Uint8Array(length);
      const quarter = Math.ceil(length / 4);
      out.set(textLike(quarter, seed));
      if (length > quarter)
        out.set(binaryLike(Math.min(quarter, length - quarter), seed).subarray(0, length - quarter), quarter);
      if (length > 2 * quarter) out.set(vmPages(Math.min(quarter, length - 2 * quarter), seed), 2 * quarter);
      if (length > 3 * quarter) out.set(randomBytes(length - 3 * quarter, seed), 3 * quarter);
      return out;
    }
  }
}
