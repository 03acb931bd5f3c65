/**
 * The zlib and gzip wrappers, written in software as IBM's zlib writes them
 * around the accelerator's raw DEFLATE (the same bytes zlib's deflate.c
 * writes, so a stream that never used the accelerator is byte-identical to
 * the zlib engine's), and the small bit writer for what software adds
 * between CMPR calls: end-of-block symbols, empty blocks, byte alignment.
 */
import type { Format } from '../engine.js';

/** Bytes and up to 7 bits of DEFLATE output produced in software. */
export class PendingOutput {
  private bytes = new Uint8Array(64);
  private start = 0;
  private end = 0;
  /** Bits of the incomplete last byte, LSB-first, and their count (0..7). */
  bits = 0;
  bitCount = 0;

  get length(): number {
    return this.end - this.start;
  }

  /** Take up to `limit` whole bytes. */
  take(limit: number): Uint8Array {
    const count = Math.min(limit, this.length);
    const out = this.bytes.subarray(this.start, this.start + count);
    this.start += count;
    if (this.start === this.end) this.start = this.end = 0;
    return out;
  }

  pushByte(value: number): void {
    if (this.end === this.bytes.length) {
      const grown = new Uint8Array(Math.max(64, this.length * 2));
      grown.set(this.bytes.subarray(this.start, this.end));
      this.end -= this.start;
      this.start = 0;
      this.bytes = grown;
    }
    this.bytes[this.end++] = value & 0xff;
  }

  pushBytes(values: number[]): void {
    for (const value of values) this.pushByte(value);
  }

  /** Append `length` bits of `value`, LSB-first, after the pending bits. */
  putBits(value: number, length: number): void {
    for (let index = 0; index < length; index++) {
      this.bits |= ((value >>> index) & 1) << this.bitCount;
      if (++this.bitCount === 8) {
        this.pushByte(this.bits);
        this.bits = 0;
        this.bitCount = 0;
      }
    }
  }

  /** Pad the pending bits with zeros to a byte boundary (zlib's bi_windup). */
  align(): void {
    if (this.bitCount > 0) this.putBits(0, 8 - this.bitCount);
  }

  /** An empty stored block, byte-aligned: the sync-flush marker 00 00 ff ff. */
  emptyStoredBlock(final: boolean): void {
    this.putBits(final ? 1 : 0, 3);
    this.align();
    this.pushBytes([0x00, 0x00, 0xff, 0xff]);
  }

  /** What is pending, for a stream snapshot: the whole bytes and the bits of the incomplete one. */
  snapshot(): { bytes: Uint8Array; bits: number; bitCount: number } {
    return { bytes: this.bytes.slice(this.start, this.end), bits: this.bits, bitCount: this.bitCount };
  }

  /** Replace what is pending with a snapshot()'s. */
  restore(bytes: Uint8Array, bits: number, bitCount: number): void {
    this.bytes = new Uint8Array(Math.max(64, bytes.length));
    this.bytes.set(bytes);
    this.start = 0;
    this.end = bytes.length;
    this.bits = bits & 0xff;
    this.bitCount = bitCount & 7;
  }

  /** An empty fixed-Huffman block: 3 header bits and the 7-bit end-of-block code (zlib's _tr_align). */
  emptyFixedBlock(final: boolean): void {
    this.putBits(final ? 0b011 : 0b010, 3);
    this.putBits(0, 7);
  }
}

/** zlib's level as the header records it: -1 means 6. */
const effectiveLevel = (level: number) => (level === -1 ? 6 : level);

/** The header deflate.c writes for this format, or nothing for raw. */
export function streamHeader(
  format: Format,
  level: number,
  strategy: number,
  windowBits: number,
  dictionaryId: number | undefined,
): number[] {
  const actual = effectiveLevel(level);
  if (format === 'zlib') {
    const levelFlags = strategy >= 2 || actual < 2 ? 0 : actual < 6 ? 1 : actual === 6 ? 2 : 3;
    let header = ((8 + ((windowBits - 8) << 4)) << 8) | (levelFlags << 6);
    if (dictionaryId !== undefined) header |= 0x20;
    header += 31 - (header % 31);
    const bytes = [header >>> 8, header & 0xff];
    if (dictionaryId !== undefined)
      bytes.push(dictionaryId >>> 24, (dictionaryId >>> 16) & 0xff, (dictionaryId >>> 8) & 0xff, dictionaryId & 0xff);
    return bytes;
  }
  if (format === 'gzip') {
    const extraFlags = actual === 9 ? 2 : strategy >= 2 || actual < 2 ? 4 : 0;
    // No name, comment or time, as zlib writes without a gz_header; OS 3 = Unix, zlib's default.
    return [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, extraFlags, 3];
  }
  return [];
}

/** The trailer: Adler-32 big-endian for zlib; CRC-32 and the length mod 2^32, little-endian, for gzip. */
export function streamTrailer(format: Format, check: number, totalIn: number): number[] {
  if (format === 'zlib') return [check >>> 24, (check >>> 16) & 0xff, (check >>> 8) & 0xff, check & 0xff];
  if (format === 'gzip') {
    const size = totalIn % 2 ** 32;
    return [
      check & 0xff,
      (check >>> 8) & 0xff,
      (check >>> 16) & 0xff,
      check >>> 24,
      size & 0xff,
      (size >>> 8) & 0xff,
      (size >>> 16) & 0xff,
      size >>> 24,
    ];
  }
  return [];
}

/** The check value a stream of this format starts with: CRC-32 0 for gzip, Adler-32 1 otherwise. */
export const initialCheck = (format: Format | 'auto'): number => (format === 'gzip' ? 0 : 1);
