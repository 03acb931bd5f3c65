// Deterministic test inputs.

/** xorshift32 bytes. */
export function randomBytes(length: number, seed = 1): Uint8Array {
  const out = new Uint8Array(length);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

const WORDS = (
  'the of and to in is that for it as with was on be by at this are from or have an they which one you were ' +
  'her all she there would their we him been has when who will more no if out so said what up its about into ' +
  'than them can only other new some could time these two may then do first any my now such like our over'
).split(' ');

/** English-like text with punctuation, numbers and line breaks. */
export function textLike(length: number, seed = 7): Uint8Array {
  let s = '';
  let x = seed >>> 0 || 1;
  let line = 0;
  while (s.length < length) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    const w = WORDS[(x >>> 8) % WORDS.length];
    s += w;
    if ((x & 31) === 0) s += `, ${x % 1000}`;
    s += (x & 15) === 0 ? `.\n${++line}: ` : ' ';
  }
  return new TextEncoder().encode(s.slice(0, length));
}

/** Records of small integers, floats and constants, like a binary table dump. */
export function binaryLike(length: number, seed = 3): Uint8Array {
  const out = new Uint8Array(length);
  const view = new DataView(out.buffer);
  let x = seed >>> 0 || 1;
  for (let i = 0; i + 16 <= length; i += 16) {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    view.setUint32(i, i / 16, true);
    view.setUint32(i + 4, x & 0xfff, true);
    view.setFloat32(i + 8, (x >>> 20) / 7, true);
    view.setUint32(i + 12, (0xdeadbeef ^ ((x >>> 28) << 4)) >>> 0, true);
  }
  return out;
}

/** Reference Adler-32 (zlib semantics, start value 1). */
export function adler32(data: Uint8Array, start = 1): number {
  let a = start & 0xffff;
  let b = start >>> 16;
  for (let i = 0; i < data.length; i++) {
    a = (a + data[i]) % 65521;
    b = (b + a) % 65521;
  }
  return ((b << 16) | a) >>> 0;
}

export function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
