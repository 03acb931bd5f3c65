/**
 * Parsing zlib and gzip headers in software, a byte at a time so a header
 * may arrive split across calls, with zlib's own error messages. The
 * accelerator only ever sees the DEFLATE data after the header.
 */
import type { Format, InflateFormat } from '../engine.js';

export type HeaderResult =
  | { kind: 'more' }
  | { kind: 'done'; format: Format; dictionaryId: number | undefined }
  | { kind: 'error'; message: string };

const GZIP_TEXT_RESERVED = 0xe0;
enum GzipFlag {
  HCRC = 0x02,
  EXTRA = 0x04,
  NAME = 0x08,
  COMMENT = 0x10,
}

export class HeaderParser {
  private readonly bytes: number[] = [];
  private format: Format | undefined;
  private flags = 0;
  private extraLength = -1;
  private stage: 'fixed' | 'extra' | 'name' | 'comment' | 'hcrc' | 'dictionary' = 'fixed';
  private dictionaryId: number | undefined;

  /**
   * @param wanted the format asked for; 'auto' detects zlib or gzip from the first two bytes.
   * @param windowBits the largest window allowed (0: whatever the header says).
   * @param crc32 zlib's crc32, for the gzip header CRC.
   */
  constructor(
    wanted: InflateFormat,
    private readonly windowBits: number,
    private readonly crc32: (bytes: number[]) => number,
  ) {
    if (wanted !== 'auto') this.format = wanted;
  }

  feed(byte: number): HeaderResult {
    this.bytes.push(byte);
    const count = this.bytes.length;
    if (this.format === undefined) {
      if (count < 2) return { kind: 'more' };
      this.format = this.bytes[0] === 0x1f && this.bytes[1] === 0x8b ? 'gzip' : 'zlib';
    }
    return this.format === 'zlib' ? this.zlib(count) : this.gzip(count, byte);
  }

  private zlib(count: number): HeaderResult {
    if (this.stage === 'fixed') {
      if (count < 2) return { kind: 'more' };
      const [method, flags] = this.bytes;
      if (((method << 8) | flags) % 31 !== 0) return { kind: 'error', message: 'incorrect header check' };
      if ((method & 0x0f) !== 8) return { kind: 'error', message: 'unknown compression method' };
      const windowBits = (method >>> 4) + 8;
      if (windowBits > 15 || (this.windowBits !== 0 && windowBits > this.windowBits))
        return { kind: 'error', message: 'invalid window size' };
      if ((flags & 0x20) === 0) return this.done();
      this.stage = 'dictionary';
      return { kind: 'more' };
    }
    if (count < 6) return { kind: 'more' };
    this.dictionaryId = ((this.bytes[2] << 24) | (this.bytes[3] << 16) | (this.bytes[4] << 8) | this.bytes[5]) >>> 0;
    return this.done();
  }

  private gzip(count: number, byte: number): HeaderResult {
    switch (this.stage) {
      case 'fixed':
        if (count === 2 && (this.bytes[0] !== 0x1f || this.bytes[1] !== 0x8b))
          return { kind: 'error', message: 'incorrect header check' };
        if (count === 3 && byte !== 8) return { kind: 'error', message: 'unknown compression method' };
        if (count === 4) {
          if ((byte & GZIP_TEXT_RESERVED) !== 0) return { kind: 'error', message: 'unknown header flags set' };
          this.flags = byte;
        }
        if (count < 10) return { kind: 'more' };
        return this.next('extra');
      case 'extra':
        if (this.extraLength < 0) {
          // The first two bytes after the fixed part are XLEN, little-endian.
          if (count < 12) return { kind: 'more' };
          this.extraLength = this.bytes[10] | (this.bytes[11] << 8);
        }
        if (count < 12 + this.extraLength) return { kind: 'more' };
        return this.next('name');
      case 'name':
        return byte === 0 ? this.next('comment') : { kind: 'more' };
      case 'comment':
        return byte === 0 ? this.next('hcrc') : { kind: 'more' };
      case 'hcrc': {
        const end = this.bytes.length;
        // Wait for the two CRC bytes that follow everything before them.
        if (this.hcrcStart < 0) this.hcrcStart = end - 1;
        if (end - this.hcrcStart < 2) return { kind: 'more' };
        const stored = this.bytes[this.hcrcStart] | (this.bytes[this.hcrcStart + 1] << 8);
        if ((this.crc32(this.bytes.slice(0, this.hcrcStart)) & 0xffff) !== stored)
          return { kind: 'error', message: 'header crc mismatch' };
        return this.done();
      }
      default:
        return { kind: 'error', message: 'incorrect header check' };
    }
  }

  private hcrcStart = -1;

  /** The parser's progress, for a stream snapshot (the crc32 function is the new owner's). */
  snapshot(): { [key: string]: number | string | null | number[] } {
    return {
      bytes: [...this.bytes],
      format: this.format ?? null,
      flags: this.flags,
      extraLength: this.extraLength,
      stage: this.stage,
      dictionaryId: this.dictionaryId ?? null,
      hcrcStart: this.hcrcStart,
    };
  }

  /** Continue from a snapshot() of a parser made with the same wanted format and windowBits. */
  restore(state: ReturnType<HeaderParser['snapshot']>): void {
    this.bytes.length = 0;
    this.bytes.push(...(state.bytes as number[]));
    this.format = (state.format ?? undefined) as Format | undefined;
    this.flags = state.flags as number;
    this.extraLength = state.extraLength as number;
    this.stage = state.stage as HeaderParser['stage'];
    this.dictionaryId = (state.dictionaryId ?? undefined) as number | undefined;
    this.hcrcStart = state.hcrcStart as number;
  }

  /** Move to the next optional gzip field, skipping those the flags do not announce. */
  private next(stage: 'extra' | 'name' | 'comment' | 'hcrc'): HeaderResult {
    const order = ['extra', 'name', 'comment', 'hcrc'] as const;
    const present = { extra: GzipFlag.EXTRA, name: GzipFlag.NAME, comment: GzipFlag.COMMENT, hcrc: GzipFlag.HCRC };
    for (let index = order.indexOf(stage); index < order.length; index++) {
      if ((this.flags & present[order[index]]) !== 0) {
        this.stage = order[index];
        return { kind: 'more' };
      }
    }
    return this.done();
  }

  private done(): HeaderResult {
    return { kind: 'done', format: this.format!, dictionaryId: this.dictionaryId };
  }
}
