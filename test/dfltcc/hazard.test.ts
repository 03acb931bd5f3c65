/**
 * zlib-ng's test_deflate_concurrency, made deterministic with the
 * emulator's hazard hook: an 8 KiB buffer in machine memory, level 1, raw
 * deflate (windowBits -15). The first half changes while it is compressed;
 * the second half is compressed with Z_FINISH and left alone; everything is
 * inflated by node:zlib and the second half must come back exactly.
 *
 * In the `multiple` model the hook runs between the encode read and the
 * history read, so the history keeps bytes the stream never carried, and
 * the second half, which matches them, decodes wrong. A private copy, the
 * `single` model and software zlib all keep the stream right.
 */
import * as nodeZlib from 'node:zlib';
import { describe, expect, test } from 'vitest';
import { corpus } from '../../tools/corpus/corpus.js';
import { constants, createDeflateCore, defaultMachine, type CopyPolicy, type DeflateCore } from '../../src/index.js';
import type { DfltccDeflateCodec } from '../../src/engines/dfltcc/deflate-codec.js';

const HALF = 4096;

interface Outcome {
  secondHalfRight: boolean;
  copies: number;
  copyBytes: number;
  hazardCalls: number;
}

function scenario(engine: 'zlib' | 'dfltcc', model: 'single' | 'multiple', copy: CopyPolicy, seed: number): Outcome {
  const machine = defaultMachine();
  const original = corpus('text', HALF, seed);
  const mutated = original.map((byte) => (byte + 1) & 0xff);
  const buffer = machine.alloc(2 * HALF);
  // The second half is what the first half becomes: it matches the mutated history.
  machine.write(buffer.address, original);
  machine.write(buffer.address + HALF, mutated);
  const core: DeflateCore = createDeflateCore('raw', { engine, level: 1, windowBits: 15, dfltccModel: model, copy });
  const out: Buffer[] = [];
  core.ondata = (chunk) => out.push(chunk);
  let hazardCalls = 0;
  if (engine === 'dfltcc') {
    // The guest writes its first half while the accelerator is between its two reads.
    (core.codec as DfltccDeflateCodec).hazardHook = () => {
      hazardCalls++;
      machine.write(buffer.address, mutated);
    };
    core.pushRegion({ address: buffer.address, length: HALF, stable: false }, constants.Z_NO_FLUSH);
  } else {
    // Software zlib has no gap inside a call: the guest writes between the calls that consume the half,
    // which take it 256 bytes at a time into a 64-byte output window.
    const output = machine.alloc(64);
    let offset = 0;
    while (offset < HALF) {
      const step = core.codec.deflate(
        buffer.address + offset,
        Math.min(256, HALF - offset),
        output.address,
        64,
        constants.Z_NO_FLUSH,
      );
      if (step.produced) out.push(machine.read(output.address, step.produced));
      offset += step.consumed;
      machine.write(buffer.address, mutated);
      hazardCalls++;
    }
    machine.free(output);
  }
  core.pushRegion({ address: buffer.address + HALF, length: HALF, stable: true }, constants.Z_FINISH);
  const { copies, copyBytes } = core.copies.counters;
  core.close();
  machine.free(buffer);
  const decoded = nodeZlib.inflateRawSync(Buffer.concat(out));
  return {
    secondHalfRight: decoded.length === 2 * HALF && Buffer.from(mutated).equals(decoded.subarray(HALF)),
    copies,
    copyBytes,
    hazardCalls,
  };
}

describe('deterministic test_deflate_concurrency through env.hazard', () => {
  const seeds = [1, 2, 3, 4, 5];

  test('multiple model, copy never: the second half decodes WRONG, every time', () => {
    for (const seed of seeds) {
      const outcome = scenario('dfltcc', 'multiple', 'never', seed);
      expect(outcome.hazardCalls).toBeGreaterThan(0);
      expect(outcome.copies).toBe(0);
      expect(outcome.secondHalfRight).toBe(false);
    }
  });

  test('multiple model with a private copy (always, or auto on unstable input): always right', () => {
    for (const copy of ['always', 'auto'] as const) {
      for (const seed of seeds) {
        const outcome = scenario('dfltcc', 'multiple', copy, seed);
        expect(outcome.secondHalfRight).toBe(true);
        // auto copies the unstable first half only; always copies both halves.
        expect(outcome.copyBytes).toBe(copy === 'auto' ? HALF : 2 * HALF);
      }
    }
  });

  test('single model: the hook never runs, no copy is made under auto, always right', () => {
    for (const seed of seeds) {
      const outcome = scenario('dfltcc', 'single', 'auto', seed);
      expect(outcome.hazardCalls).toBe(0);
      expect(outcome.copies).toBe(0);
      expect(outcome.secondHalfRight).toBe(true);
    }
  });

  test('zlib engine, mutated between calls: always right, and auto makes no copy', () => {
    for (const seed of seeds) {
      const outcome = scenario('zlib', 'single', 'auto', seed);
      expect(outcome.hazardCalls).toBeGreaterThan(1);
      expect(outcome.copies).toBe(0);
      expect(outcome.secondHalfRight).toBe(true);
    }
  });
});
