/**
 * What a one-shot asks of the host, beyond the engine's own work: the whole-buffer calls make no streaming
 * windows (the cores make those on first streaming use), options that name no dfltcc setting share one
 * resolved default that equals an explicit resolution, the resolved options keep every field, and the
 * allocator's in-place span bookkeeping hands out and takes back regions exactly.
 */
import * as nodeZlib from 'node:zlib';
import { describe, expect, test } from 'vitest';
import { corpus } from '../../tools/corpus/corpus.js';
import { constants, DeflateCore, deflateSync, InflateCore, inflateSync, Machine } from '../../src/index.js';
import { RegionAllocator } from '../../src/machine/region-allocator.js';
import { resolveDeflateOptions, resolveInflateOptions } from '../../src/options.js';

const machine = Machine.create();
// The first call sets up the engine's per-machine state (an instance stack that stays): count from after it.
inflateSync(deflateSync(Buffer.from('warm'), { machine }), { machine });
const data = Buffer.from(corpus('mixed', 200_000, 9));

describe('whole-buffer one-shots make no streaming windows', () => {
  test('deflate: the core holds only its codec until a streaming call needs the windows', () => {
    const base = machine.stats().liveRegions;
    const core = new DeflateCore(resolveDeflateOptions('zlib', { level: 1 }, 128 * 1024), machine);
    expect(machine.stats().liveRegions).toBe(base + 1);
    const whole = core.compressWhole(data);
    // compressWhole's input and output regions are gone again, and no window was made.
    expect(machine.stats().liveRegions).toBe(base + 1);
    expect(nodeZlib.inflateSync(whole).equals(data)).toBe(true);
    core.close();
    expect(machine.stats().liveRegions).toBe(base);

    const streaming = new DeflateCore(resolveDeflateOptions('zlib', { level: 1 }, 16 * 1024), machine);
    const chunks: Buffer[] = [];
    streaming.ondata = (chunk) => chunks.push(chunk);
    streaming.push(data, constants.Z_FINISH);
    // The stage and output windows, made by the first push.
    expect(machine.stats().liveRegions).toBe(base + 3);
    expect(nodeZlib.inflateSync(Buffer.concat(chunks)).equals(data)).toBe(true);
    streaming.close();
    expect(machine.stats().liveRegions).toBe(base);
  });

  test('inflate: likewise, and both paths give the same output', () => {
    const compressed = nodeZlib.deflateSync(data);
    const base = machine.stats().liveRegions;
    const core = new InflateCore(resolveInflateOptions('zlib', {}, 128 * 1024), machine);
    expect(machine.stats().liveRegions).toBe(base + 1);
    expect(core.inflateWhole(compressed, true).equals(data)).toBe(true);
    expect(machine.stats().liveRegions).toBe(base + 1);
    core.close();

    const streaming = new InflateCore(resolveInflateOptions('zlib', {}, 16 * 1024), machine);
    const chunks: Buffer[] = [];
    streaming.ondata = (chunk) => chunks.push(chunk);
    streaming.push(compressed, true);
    expect(machine.stats().liveRegions).toBe(base + 3);
    expect(Buffer.concat(chunks).equals(data)).toBe(true);
    streaming.close();
    expect(machine.stats().liveRegions).toBe(base);
  });

  test('a streaming window that cannot be made is the memory error, and the core is closed', () => {
    const small = Machine.create({ initialBytes: 2 << 20, maximumBytes: 2 << 20, partitionBytes: 65536 });
    const core = new InflateCore(resolveInflateOptions('zlib', {}, 1024 * 1024), small);
    const before = small.stats().liveRegions;
    expect(() => core.push(nodeZlib.deflateSync(data), true)).toThrow(
      expect.objectContaining({ zaccelCode: 'ZACCEL_MEMORY_EXHAUSTED' }),
    );
    expect(core.closed).toBe(true);
    expect(small.stats().liveRegions).toBe(before - 1);
  });
});

describe('options resolution', () => {
  test('the shared dfltcc default equals an explicit resolution of the same settings', () => {
    const shared = resolveDeflateOptions('zlib', {}).dfltcc;
    expect(resolveInflateOptions('gzip', { maxOutputLength: 3 }).dfltcc).toBe(shared);
    expect(resolveDeflateOptions('raw', { dfltcc: {} }).dfltcc).toEqual(shared);
    expect(resolveDeflateOptions('zlib', { dfltccModel: 'multiple', cpuAmount: 0 }).dfltcc).toEqual(shared);
    // Naming a setting still resolves, and validates, it.
    expect(resolveDeflateOptions('zlib', { cpuAmount: 7 }).dfltcc.cpuAmount).toBe(7);
    expect(() => resolveDeflateOptions('zlib', { cpuAmount: -1 })).toThrow(
      expect.objectContaining({ zaccelCode: 'ZACCEL_BAD_OPTION' }),
    );
  });

  test('resolved options carry every common field', () => {
    const dictionary = Buffer.from('dictionary');
    const deflate = resolveDeflateOptions('zlib', { chunkSize: 4096, flush: 2, finishFlush: 3, dictionary }, 64);
    expect(deflate).toMatchObject({ chunkSize: 4096, flush: 2, finishFlush: 3, engine: 'zlib', format: 'zlib' });
    expect(Buffer.from(deflate.dictionary!).equals(dictionary)).toBe(true);
    const inflate = resolveInflateOptions('raw', { chunkSize: 8192, dictionary, maxOutputLength: 99 }, 64);
    expect(inflate).toMatchObject({ chunkSize: 8192, flush: 0, finishFlush: 4, engine: 'zlib', maxOutputLength: 99 });
    expect(Buffer.from(inflate.dictionary!).equals(dictionary)).toBe(true);
    expect(Object.keys(inflate).sort()).toEqual([
      'chunkSize',
      'dfltcc',
      'dictionary',
      'engine',
      'finishFlush',
      'flush',
      'format',
      'maxOutputLength',
      'windowBits',
    ]);
  });
});

describe('the allocator splits spans in place', () => {
  test('padding before and a tail after an aligned region are both free again, and coalesce back', () => {
    const allocator = new RegionAllocator();
    allocator.addRange(16, 10_000);
    const first = allocator.allocate(96, 16); // from the span's start: the span shrinks from the front
    expect(first).toBe(16);
    const aligned = allocator.allocate(208, 4096); // padding before and a tail after
    expect(aligned).toBe(4096);
    const exact = allocator.allocate(10_016 - 4304, 16); // all of the tail, too big for the padding: the span goes
    expect(exact).toBe(4304);
    const fromPadding = allocator.allocate(64, 16); // the padding left before `aligned` shrinks from the front
    expect(fromPadding).toBe(112);
    expect(allocator.stats().freeSpans).toBe(1);
    expect(allocator.allocate(16, 16)).toBe(176);
    for (const address of [first, aligned, fromPadding, exact, 176]) expect(allocator.release(address)).toBe(true);
    expect(allocator.stats()).toMatchObject({ bytesInUse: 0, freeSpans: 1, liveRegions: 0 });
    expect(allocator.allocate(10_000, 16)).toBe(16);
  });
});
