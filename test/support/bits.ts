/**
 * A DEFLATE bit writer for hand-built streams: fields LSB-first, Huffman
 * codes MSB-first, as RFC 1951 packs them.
 */
export class BitWriter {
  private readonly bytes: number[] = [];
  private buffer = 0;
  private count = 0;

  /** Write `length` bits of `value`, least significant first (header fields, extra bits). */
  bits(value: number, length: number): this {
    for (let index = 0; index < length; index++) this.bit((value >>> index) & 1);
    return this;
  }

  /** Write a Huffman code of `length` bits, most significant first. */
  code(value: number, length: number): this {
    for (let index = length - 1; index >= 0; index--) this.bit((value >>> index) & 1);
    return this;
  }

  /** Pad to a byte boundary. */
  align(): this {
    while (this.count !== 0) this.bit(0);
    return this;
  }

  bytesOut(): Buffer {
    const out = [...this.bytes];
    if (this.count > 0) out.push(this.buffer);
    return Buffer.from(out);
  }

  private bit(bit: number): void {
    this.buffer |= bit << this.count;
    if (++this.count === 8) {
      this.bytes.push(this.buffer);
      this.buffer = 0;
      this.count = 0;
    }
  }
}

/** The fixed literal/length code of a symbol (RFC 1951 3.2.6): [code, length]. */
export function fixedLiteralCode(symbol: number): [number, number] {
  if (symbol < 144) return [0x30 + symbol, 8];
  if (symbol < 256) return [0x190 + symbol - 144, 9];
  if (symbol < 280) return [symbol - 256, 7];
  return [0xc0 + symbol - 280, 8];
}
