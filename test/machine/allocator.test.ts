/**
 * The region allocator and the Machine's memory: alignment, coalescing,
 * growth, guards, double frees, and views that survive growth.
 */
import { describe, expect, test } from 'vitest';
import { Machine } from '../../src/index.js';
import { RegionAllocator } from '../../src/machine/region-allocator.js';

describe('RegionAllocator', () => {
  test('first fit with alignment, and coalescing back to one span', () => {
    const allocator = new RegionAllocator();
    allocator.addRange(1000, 10_000);
    const a = allocator.allocate(100, 16);
    const b = allocator.allocate(300, 256);
    const c = allocator.allocate(50, 8);
    expect(a % 16).toBe(0);
    expect(b % 256).toBe(0);
    expect(c % 8).toBe(0);
    expect(new Set([a, b, c]).size).toBe(3);
    expect(b).toBeGreaterThanOrEqual(a + 100);
    expect(allocator.stats().bytesInUse).toBe(450);
    for (const address of [b, a, c]) expect(allocator.release(address)).toBe(true);
    expect(allocator.stats()).toMatchObject({ bytesInUse: 0, liveRegions: 0, freeSpans: 1 });
  });

  test('refuses what does not fit, and double frees', () => {
    const allocator = new RegionAllocator();
    allocator.addRange(0, 1024);
    expect(allocator.allocate(2048, 16)).toBe(-1);
    const a = allocator.allocate(1024, 16);
    expect(a).toBe(0);
    expect(allocator.allocate(1, 1)).toBe(-1);
    expect(allocator.release(a)).toBe(true);
    expect(allocator.release(a)).toBe(false);
  });
});

describe('Machine', () => {
  test('regions are disjoint, aligned, and return to baseline', () => {
    const machine = Machine.create({ initialBytes: 1 << 20, maximumBytes: 64 << 20 });
    const baseline = machine.stats();
    const regions = Array.from({ length: 200 }, (_, index) => machine.alloc(1 + index * 37, index % 2 ? 4096 : 16));
    const sorted = [...regions].sort((x, y) => x.address - y.address);
    for (let index = 1; index < sorted.length; index++) {
      expect(sorted[index].address).toBeGreaterThanOrEqual(sorted[index - 1].address + sorted[index - 1].size);
    }
    for (const [index, region] of regions.entries()) expect(region.address % (index % 2 ? 4096 : 16)).toBe(0);
    for (const region of regions) machine.free(region);
    expect(machine.stats().bytesInUse).toBe(baseline.bytesInUse);
  });

  test('memory grows on demand, and data written before growth is still there', () => {
    const machine = Machine.create({ initialBytes: 1 << 20, maximumBytes: 128 << 20 });
    const first = machine.alloc(1000);
    machine.write(first.address, Buffer.from('before growth'));
    const before = machine.stats().memoryBytes;
    const big = machine.alloc(40 << 20);
    expect(machine.stats().memoryBytes).toBeGreaterThan(before);
    machine.write(big.address + big.size - 5, Buffer.from('tail!'));
    expect(machine.read(first.address, 13).toString()).toBe('before growth');
    expect(machine.read(big.address + big.size - 5, 5).toString()).toBe('tail!');
  });

  test('exhaustion is a coded error, not a crash', () => {
    const machine = Machine.create({ initialBytes: 1 << 20, maximumBytes: 8 << 20 });
    expect(() => machine.alloc(16 << 20)).toThrow(expect.objectContaining({ zaccelCode: 'ZACCEL_MEMORY_EXHAUSTED' }));
  });

  test('double free and stale regions are caught', () => {
    const machine = Machine.create({ initialBytes: 1 << 20, maximumBytes: 8 << 20 });
    const region = machine.alloc(64);
    machine.free(region);
    expect(() => machine.free(region)).toThrow(expect.objectContaining({ zaccelCode: 'ZACCEL_INTERNAL' }));
    expect(() => machine.assertLive(region)).toThrow(expect.objectContaining({ zaccelCode: 'ZACCEL_INTERNAL' }));
  });

  test('guard bytes catch a write past the end of a region', () => {
    const machine = Machine.create({ initialBytes: 1 << 20, maximumBytes: 32 << 20, guardBytes: 16 });
    const region = machine.alloc(100);
    expect(machine.checkGuards()).toEqual([]);
    machine.setU8(region.address + region.size, 0); // one byte too far
    expect(machine.checkGuards()).toEqual([region]);
    machine.free(region);
    expect(machine.stats().guardViolations).toBe(1);
  });

  test('accesses outside the memory are refused', () => {
    const machine = Machine.create({ initialBytes: 1 << 20, maximumBytes: 8 << 20 });
    expect(() => machine.read(machine.stats().memoryBytes - 2, 4)).toThrow(
      expect.objectContaining({ zaccelCode: 'ZACCEL_INTERNAL' }),
    );
  });
});
