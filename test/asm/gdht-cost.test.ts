/**
 * How much a GDHT table costs against the best code for its sample. Issue 10 reports that the z15's table for
 * random bytes costs 0.2–0.3 % more than an optimal Huffman code of the sample: its table must leave room for
 * every length and distance symbol, which random bytes never use. Ours leaves that room too (universality is
 * tested in qaf-gdht.test.ts), and costs less than the hardware's: this test holds it to no more than the
 * hardware's excess. The measured excess is in asm/README.md ("Remaining differences").
 *
 * The optimum is a plain Huffman code over the sample's literal counts and one end-of-block; random bytes never
 * need more than 15 bits, so the length limit does not enter.
 */
import { describe, expect, it } from 'vitest';
import { FC_GDHT, loadEmulator } from './harness';
import { parseCompressedTable } from './inflate-inspect';
import { randomBytes } from './data';

/** Huffman code lengths for these counts (0 for a symbol that does not occur). */
function huffmanLengths(counts: number[]): number[] {
  type Node = { weight: number; symbol?: number; children?: [Node, Node] };
  const nodes: Node[] = counts.flatMap((weight, symbol) => (weight > 0 ? [{ weight, symbol }] : []));
  while (nodes.length > 1) {
    nodes.sort((a, b) => a.weight - b.weight);
    const [a, b] = nodes.splice(0, 2);
    nodes.push({ weight: a.weight + b.weight, children: [a, b] });
  }
  const lengths = counts.map(() => 0);
  const walk = (node: Node, depth: number) => {
    if (node.children === undefined) lengths[node.symbol!] = Math.max(depth, 1);
    else for (const child of node.children) walk(child, depth + 1);
  };
  walk(nodes[0], 0);
  return lengths;
}

describe('GDHT against the optimal code of its sample', () => {
  const emulator = loadEmulator();
  for (const [bytes, seed] of [
    [20_000, 1],
    [32_768, 2],
    [32_768, 3],
  ]) {
    it(`${bytes} random bytes (seed ${seed}): above the optimum by less than the z15's 0.2–0.3 %`, () => {
      const sample = randomBytes(bytes, seed);
      const block = emulator.paramBlock();
      const input = emulator.put(sample);
      expect(emulator.call(FC_GDHT, false, block, { r1: 0, r1len: 0, r2: input, r2len: bytes, r3: 0 }).cc).toBe(0);
      const table = parseCompressedTable(emulator.read(block, 352).subarray(64, 352));
      const counts = new Array<number>(286).fill(0);
      for (const byte of sample) counts[byte]++;
      counts[256]++;
      const cost = (lengths: number[]) => counts.reduce((bits, count, symbol) => bits + count * lengths[symbol], 0);
      const excess = cost(table.lit) / cost(huffmanLengths(counts)) - 1;
      expect(excess).toBeGreaterThanOrEqual(0);
      expect(excess).toBeLessThan(0.002);
    });
  }
});
