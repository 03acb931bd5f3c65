/**
 * Ways to split an input into chunks, for boundary tests.
 */
import { Random } from '../../tools/corpus/corpus.js';

export function splitEvery(data: Uint8Array, size: number): Uint8Array[] {
  const chunks: Uint8Array[] = [];
  for (let offset = 0; offset < data.length; offset += size) chunks.push(data.subarray(offset, offset + size));
  return chunks;
}

/** Chunks of length 1, 2, 3, ... growing to `peak`, then shrinking back to 1, repeated. */
export function growingShrinking(data: Uint8Array, peak: number): Uint8Array[] {
  const chunks: Uint8Array[] = [];
  let size = 1;
  let step = 1;
  for (let offset = 0; offset < data.length; ) {
    chunks.push(data.subarray(offset, offset + size));
    offset += size;
    if (size === peak) step = -1;
    else if (size === 1) step = 1;
    size += step;
  }
  return chunks;
}

export function randomSplits(data: Uint8Array, seed: number, maximum: number): Uint8Array[] {
  const random = new Random(seed);
  const chunks: Uint8Array[] = [];
  for (let offset = 0; offset < data.length; ) {
    const size = 1 + random.below(maximum);
    chunks.push(data.subarray(offset, offset + size));
    offset += size;
  }
  return chunks;
}
