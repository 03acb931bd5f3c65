/**
 * Pins CMPR's parse byte for byte while its speed is worked on. The hashes below were computed with the
 * emulator as of commit 8bbfa93 (the z15 parse rules of asm/README.md, "How CMPR parses", before any speed
 * work on them); a change to the matcher that alters a single output byte for any corpus, CPU amount,
 * access model or call shape here changes a hash. Recompute them only for a deliberate change of the parse,
 * and say so in the commit.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { loadEmulator } from './harness';
import { deflateWithDfltcc } from './deflate-driver';
import { corpus, type CorpusName } from '../../tools/corpus/corpus';

/** Input and output bytes per CMPR call: one call, 64 KiB streaming writes, small writes into tiny outputs (CC1). */
const shapes: Array<{ inChunk: number; outChunk: number }> = [
  { inChunk: 1 << 30, outChunk: 65536 },
  { inChunk: 65536, outChunk: 65536 },
  { inChunk: 7777, outChunk: 37 },
];

/** SHA-256 (first 16 hex digits) over every output of one corpus, in the loop order of parseHash. */
const pinned: Record<CorpusName, string> = {
  text: '67729284dd4c0bbb',
  binary: 'fe2fd4fca394585f',
  zeros: 'c89b9399d50d0266',
  random: '77feac4def8f937c',
  'vm-pages': '003b5732be488a9f',
  mixed: '2b48988a7dc0dce5',
};

function parseHash(kind: CorpusName): string {
  const data = corpus(kind, 24_000, 5);
  const hash = createHash('sha256');
  for (const cpuAmount of [0, 864]) {
    for (const model of [0, 1] as const) {
      for (const { inChunk, outChunk } of shapes) {
        // Dynamic blocks from GDHT samples (a new block every 40 000 bytes), CRC-32.
        hash.update(
          deflateWithDfltcc(loadEmulator({ cpuAmount, model }), data, { inChunk, outChunk, blockSize: 40_000 }).output,
        );
        // One fixed-Huffman block, Adler-32.
        hash.update(
          deflateWithDfltcc(loadEmulator({ cpuAmount, model }), data, {
            inChunk,
            outChunk,
            fixedOnly: true,
            adler: true,
          }).output,
        );
      }
    }
  }
  return hash.digest('hex').slice(0, 16);
}

describe('CMPR parse is pinned', () => {
  for (const kind of Object.keys(pinned) as CorpusName[]) {
    it(`${kind}: every output is unchanged`, () => {
      expect(parseHash(kind)).toBe(pinned[kind]);
    });
  }
});
