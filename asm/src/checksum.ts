// zlib-compatible CRC-32 and Adler-32 over linear memory.
//
// CRC-32 uses "slicing by 8": eight 256-entry tables, table k holding the CRC contribution of a byte
// followed by k zero bytes, so eight input bytes are folded with eight lookups. The tables are computed
// once per instance into that instance's scratch area (initChecksumTables), never into shared static
// memory.

const CRC_POLYNOMIAL_REFLECTED: u32 = 0xedb88320;
/** Bytes needed for the eight CRC tables. */
export const CHECKSUM_TABLES_SIZE: usize = 8 * 256 * 4;

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
    for (let table: usize = 1; table < 8; table++) {
      c = load<u32>(at + ((<usize>(c & 0xff)) << 2)) ^ (c >>> 8);
      store<u32>(at + (table << 10) + (n << 2), c);
    }
  }
}

// @ts-ignore: decorator
@inline function crcEntry(table: usize, index: u32): u32 {
  return load<u32>(crcTables + (table << 10) + (<usize>index << 2));
}

/** Running zlib crc32: pass 0 to start; the value is pre- and post-inverted like zlib's crc32(). */
export function crc32Update(crc: u32, ptr: usize, len: usize): u32 {
  let c = ~crc;
  let p = ptr;
  const end = ptr + len;
  // Align to 4 bytes so the word loads below are aligned.
  while (p < end && (p & 3) != 0) {
    c = crcEntry(0, (c ^ <u32>load<u8>(p)) & 0xff) ^ (c >>> 8);
    p++;
  }
  const t = crcTables;
  while (end - p >= 8) {
    const low = c ^ load<u32>(p);
    const high = load<u32>(p, 4);
    c =
      load<u32>(t + (7 << 10) + (<usize>(low & 0xff) << 2)) ^
      load<u32>(t + (6 << 10) + (<usize>((low >>> 8) & 0xff) << 2)) ^
      load<u32>(t + (5 << 10) + (<usize>((low >>> 16) & 0xff) << 2)) ^
      load<u32>(t + (4 << 10) + (<usize>(low >>> 24) << 2)) ^
      load<u32>(t + (3 << 10) + (<usize>(high & 0xff) << 2)) ^
      load<u32>(t + (2 << 10) + (<usize>((high >>> 8) & 0xff) << 2)) ^
      load<u32>(t + (1 << 10) + (<usize>((high >>> 16) & 0xff) << 2)) ^
      load<u32>(t + (<usize>(high >>> 24) << 2));
    p += 8;
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
