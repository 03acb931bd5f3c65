// zlib-compatible CRC-32 and Adler-32 over linear memory.
//
// CRC-32 uses "slicing by 16": sixteen 256-entry tables, table k holding the CRC contribution of a
// byte followed by k zero bytes, so sixteen input bytes are folded with sixteen independent lookups.
// The tables are computed once per instance into that instance's scratch area
// (initChecksumTables), never into shared static memory.

const CRC_POLYNOMIAL_REFLECTED: u32 = 0xedb88320;
const CRC_TABLES: usize = 16;
/** Bytes needed for the CRC tables. */
export const CHECKSUM_TABLES_SIZE: usize = CRC_TABLES * 256 * 4;

let crcTables: usize = 0;

/** Compute the CRC tables into `at` (CHECKSUM_TABLES_SIZE bytes of this instance's scratch). */
export function initChecksumTables(at: usize): void {
  crcTables = at;
  for (let n: u32 = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ CRC_POLYNOMIAL_REFLECTED : c >>> 1;
    store<u32>(at + (<usize>n << 2), c);
  }
  for (let n: usize = 0; n < 256; n++) {
    let c = load<u32>(at + (n << 2));
    for (let table: usize = 1; table < CRC_TABLES; table++) {
      c = load<u32>(at + ((<usize>(c & 0xff)) << 2)) ^ (c >>> 8);
      store<u32>(at + (table << 10) + (n << 2), c);
    }
  }
}

// Entry `index` (0..255) of table `table`.
// @ts-ignore: decorator
@inline function crcEntry(table: usize, index: u32): u32 {
  return load<u32>(crcTables + (table << 10) + (<usize>index << 2));
}

// Contribution of byte `shift / 8` of `word` when it is followed by `table` more bytes of the block.
// @ts-ignore: decorator
@inline function slice(tables: usize, table: usize, word: u32, shift: u32): u32 {
  return load<u32>(tables + (table << 10) + (<usize>((word >>> shift) & 0xff) << 2));
}

/** Running zlib crc32: pass 0 to start; the value is pre- and post-inverted like zlib's crc32(). */
export function crc32Update(crc: u32, ptr: usize, len: usize): u32 {
  let c = ~crc;
  let p = ptr;
  const end = ptr + len;
  const t = crcTables;
  while (end - p >= 16) {
    const w0 = c ^ load<u32>(p);
    const w1 = load<u32>(p, 4);
    const w2 = load<u32>(p, 8);
    const w3 = load<u32>(p, 12);
    c =
      slice(t, 15, w0, 0) ^ slice(t, 14, w0, 8) ^ slice(t, 13, w0, 16) ^ slice(t, 12, w0, 24) ^
      slice(t, 11, w1, 0) ^ slice(t, 10, w1, 8) ^ slice(t, 9, w1, 16) ^ slice(t, 8, w1, 24) ^
      slice(t, 7, w2, 0) ^ slice(t, 6, w2, 8) ^ slice(t, 5, w2, 16) ^ slice(t, 4, w2, 24) ^
      slice(t, 3, w3, 0) ^ slice(t, 2, w3, 8) ^ slice(t, 1, w3, 16) ^ slice(t, 0, w3, 24);
    p += 16;
  }
  while (p < end) {
    c = crcEntry(0, (c ^ <u32>load<u8>(p)) & 0xff) ^ (c >>> 8);
    p++;
  }
  return ~c;
}

const ADLER_BASE: u32 = 65521;
/** Largest n such that 255 n (n+1) / 2 + (n+1) (BASE-1) <= 2^32 - 1 (zlib's NMAX). */
const ADLER_NMAX: usize = 5552;

/** Running Adler-32: pass 1 to start. The modulo is deferred over NMAX-byte runs. */
export function adler32Update(adler: u32, ptr: usize, len: usize): u32 {
  let a = adler & 0xffff;
  let b = adler >>> 16;
  let p = ptr;
  let remaining = len;
  while (remaining > 0) {
    let run = remaining < ADLER_NMAX ? remaining : ADLER_NMAX;
    remaining -= run;
    while (run >= 8) {
      const word = load<u64>(p);
      a += <u32>(word & 0xff); b += a;
      a += <u32>((word >> 8) & 0xff); b += a;
      a += <u32>((word >> 16) & 0xff); b += a;
      a += <u32>((word >> 24) & 0xff); b += a;
      a += <u32>((word >> 32) & 0xff); b += a;
      a += <u32>((word >> 40) & 0xff); b += a;
      a += <u32>((word >> 48) & 0xff); b += a;
      a += <u32>(word >> 56); b += a;
      p += 8;
      run -= 8;
    }
    while (run > 0) {
      a += <u32>load<u8>(p); b += a;
      p++;
      run--;
    }
    a %= ADLER_BASE;
    b %= ADLER_BASE;
  }
  return (b << 16) | a;
}
