// A small, slow, independent DEFLATE decoder for tests: it reports the block structure (BFINAL,
// BTYPE, header bit positions) and symbol statistics besides the decoded bytes. node:zlib remains the
// reference for correctness; this exists to look inside streams.

export interface BlockInfo {
  final: boolean;
  type: number;
  /** Bit offset of the block header in the stream. */
  startBit: number;
  literals: number;
  matches: number;
  matchBytes: number;
  /** Code lengths (literal/length then distance) for dynamic blocks. */
  literalLengths?: number[];
  distanceLengths?: number[];
}

/** One decoded symbol: a literal byte, or a match of `length` bytes `distance` back. */
export type DeflateSymbol = { literal: number } | { length: number; distance: number };

export interface Inspection {
  output: Uint8Array;
  blocks: BlockInfo[];
  /** Every literal and match in stream order (end-of-block symbols left out). */
  symbols: DeflateSymbol[];
  /** Bit position just after the final block's end-of-block code. */
  endBit: number;
}

const LENGTH_BASE = [
  3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258,
];
const LENGTH_EXTRA = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0];
const DIST_BASE = [
  1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145,
  8193, 12289, 16385, 24577,
];
const DIST_EXTRA = [0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13];
const CL_ORDER = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15];

class BitReader {
  bit = 0;
  constructor(
    private readonly data: Uint8Array,
    start = 0,
  ) {
    this.bit = start;
  }
  get(n: number): number {
    let v = 0;
    for (let i = 0; i < n; i++) {
      const byte = this.data[this.bit >> 3];
      if (byte === undefined) throw new Error('inflate-inspect: out of input');
      v |= ((byte >> (this.bit & 7)) & 1) << i;
      this.bit++;
    }
    return v >>> 0;
  }
}

/** Canonical decoder: map from (length, code) to symbol. */
function decoder(lengths: number[]): (r: BitReader) => number {
  const count = new Array(16).fill(0);
  for (const l of lengths) if (l) count[l]++;
  const offsets = new Array(16).fill(0);
  for (let l = 1; l < 15; l++) offsets[l + 1] = offsets[l] + count[l];
  const symbols: number[] = [];
  lengths.forEach((l, s) => {
    if (l) symbols[offsets[l]++] = s;
  });
  return (r) => {
    let code = 0;
    let first = 0;
    let index = 0;
    for (let l = 1; l <= 15; l++) {
      code |= r.get(1);
      const c = count[l];
      if (code - first < c) return symbols[index + code - first];
      index += c;
      first = (first + c) << 1;
      code <<= 1;
    }
    throw new Error('inflate-inspect: invalid code');
  };
}

/** Read a dynamic header body (HLIT...) at the reader; returns the two length arrays. */
export function readDynamicHeader(r: BitReader): { lit: number[]; dist: number[] } {
  const hlit = r.get(5) + 257;
  const hdist = r.get(5) + 1;
  const hclen = r.get(4) + 4;
  const cl = new Array(19).fill(0);
  for (let i = 0; i < hclen; i++) cl[CL_ORDER[i]] = r.get(3);
  const clDecode = decoder(cl);
  const all: number[] = [];
  while (all.length < hlit + hdist) {
    const s = clDecode(r);
    if (s < 16) all.push(s);
    else if (s === 16) {
      const prev = all[all.length - 1];
      if (prev === undefined) throw new Error('repeat without previous');
      for (let k = 3 + r.get(2); k > 0; k--) all.push(prev);
    } else if (s === 17) for (let k = 3 + r.get(3); k > 0; k--) all.push(0);
    else for (let k = 11 + r.get(7); k > 0; k--) all.push(0);
  }
  if (all.length !== hlit + hdist) throw new Error('repeat overflow');
  return { lit: all.slice(0, hlit), dist: all.slice(hlit) };
}

/** Parse a CDHT bit string (as GDHT stores it) into code lengths; also returns bits used. */
export function parseCompressedTable(bytes: Uint8Array): { lit: number[]; dist: number[]; bits: number } {
  const r = new BitReader(bytes);
  const t = readDynamicHeader(r);
  return { ...t, bits: r.bit };
}

export function inspectDeflate(data: Uint8Array, startBit = 0, history: Uint8Array = new Uint8Array(0)): Inspection {
  const r = new BitReader(data, startBit);
  const out: number[] = Array.from(history);
  const blocks: BlockInfo[] = [];
  const symbols: DeflateSymbol[] = [];
  const fixedLit = Array.from({ length: 288 }, (_, s) => (s < 144 ? 8 : s < 256 ? 9 : s < 280 ? 7 : 8));
  const fixedDist = new Array(30).fill(5);
  for (;;) {
    const startBitOfBlock = r.bit;
    const final = r.get(1) === 1;
    const type = r.get(2);
    const info: BlockInfo = { final, type, startBit: startBitOfBlock, literals: 0, matches: 0, matchBytes: 0 };
    blocks.push(info);
    if (type === 0) {
      r.bit = (r.bit + 7) & ~7;
      const len = r.get(16);
      const nlen = r.get(16);
      if ((len ^ 0xffff) !== nlen) throw new Error('stored length mismatch');
      for (let i = 0; i < len; i++) out.push(r.get(8));
    } else if (type === 1 || type === 2) {
      let lit = fixedLit;
      let dist = fixedDist;
      if (type === 2) {
        const t = readDynamicHeader(r);
        lit = t.lit;
        dist = t.dist;
        info.literalLengths = lit;
        info.distanceLengths = dist;
      }
      const litDecode = decoder(lit);
      const distDecode = decoder(dist);
      for (;;) {
        const s = litDecode(r);
        if (s < 256) {
          out.push(s);
          symbols.push({ literal: s });
          info.literals++;
        } else if (s === 256) break;
        else {
          const li = s - 257;
          const length = LENGTH_BASE[li] + r.get(LENGTH_EXTRA[li]);
          const ds = distDecode(r);
          const distance = DIST_BASE[ds] + r.get(DIST_EXTRA[ds]);
          if (distance > out.length) throw new Error('distance too far back');
          for (let k = 0; k < length; k++) out.push(out[out.length - distance]);
          symbols.push({ length, distance });
          info.matches++;
          info.matchBytes += length;
        }
      }
    } else throw new Error('invalid block type');
    if (final) break;
  }
  return { output: Uint8Array.from(out.slice(history.length)), blocks, symbols, endBit: r.bit };
}
