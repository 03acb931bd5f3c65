// The multiple-access hazard (spec §7): in the `multiple` model the history append re-reads the
// second operand after env.hazard ran, so a change made in that gap leaves the history different
// from what the decoder rebuilt. Later back-references into that history then decode wrongly. The
// `single` model snapshots each span and cannot go wrong this way.

import { describe, expect, it } from 'vitest';
import { inflateRawSync } from 'node:zlib';
import { loadEmulator } from './harness';
import { DfltccDeflater } from './deflate-driver';
import { concat, randomBytes } from './data';

function run(model: 0 | 1) {
  const calls: Array<[number, number, number]> = [];
  const emu = loadEmulator({ model });
  let armed = true;
  emu.hazard = (pb, addr, len) => {
    calls.push([pb, addr, len]);
    if (!armed) return;
    // Another CPU writes the input between the encode read and the history read: P becomes P + 1.
    const u8 = emu.u8;
    for (let i = addr; i < addr + len; i++) u8[i] = (u8[i] + 1) & 0xff;
  };
  const p = randomBytes(16384, 42); // random: every match of the second half comes from the history
  const pPlusOne = p.map((b) => (b + 1) & 0xff);
  const d = new DfltccDeflater(emu, { firstFixedBlock: 0 });
  d.push(p, 'none');
  armed = false;
  d.push(pPlusOne, 'finish'); // the program now sends what it (and the history) holds
  const decoded = new Uint8Array(inflateRawSync(d.output()));
  return { calls, decoded, expected: concat(p, pPlusOne), pb: d.pb, output: d.output() };
}

describe('hazard between the encode read and the history read', () => {
  it('multiple model: the history diverges and a later call decodes wrongly', () => {
    const { calls, decoded, expected, pb } = run(1);
    expect(calls.length).toBeGreaterThan(0);
    expect(calls.every(([callPb, , len]) => callPb === pb && len > 0 && len <= 32768)).toBe(true);
    // The first half decodes as what was encoded; the second half was encoded as back-references
    // into the (mutated) history, so the decoder reproduces P where P + 1 was sent.
    expect(decoded.length).toBe(expected.length);
    expect(Buffer.compare(Buffer.from(decoded.subarray(0, 16384)), Buffer.from(expected.subarray(0, 16384)))).toBe(0);
    expect(Buffer.compare(Buffer.from(decoded.subarray(16384)), Buffer.from(expected.subarray(16384)))).not.toBe(0);
    let likeP = 0;
    for (let i = 0; i < 16384; i++) if (decoded[16384 + i] === expected[i]) likeP++;
    expect(likeP).toBeGreaterThan(16384 * 0.99); // all but the few literals at the span ends
  });

  it('single model: the same scenario decodes right (the hook is never called)', () => {
    const { calls, decoded, expected } = run(0);
    expect(calls.length).toBe(0);
    expect(Buffer.compare(Buffer.from(decoded), Buffer.from(expected))).toBe(0);
  });

  it('multiple model: a sparse change (1 byte in 512) also corrupts later back-references', () => {
    for (const model of [1, 0] as const) {
      const emu = loadEmulator({ model });
      emu.hazard = (_pb, addr, len) => {
        for (let i = addr + 100; i < addr + len; i += 512) emu.u8[i] ^= 0x5a;
      };
      const page = randomBytes(8192, 3);
      const changed = page.slice();
      for (let i = 100; i < changed.length; i += 512) changed[i] ^= 0x5a;
      const d = new DfltccDeflater(emu, { firstFixedBlock: 0 });
      d.push(page, 'sync'); // packet 1: the page while it is being written
      emu.hazard = () => {};
      d.push(changed, 'sync'); // packet 2: the page again, now stable
      d.push(new Uint8Array(0), 'finish');
      const decoded = new Uint8Array(inflateRawSync(d.output()));
      const second = Buffer.from(decoded.subarray(8192));
      if (model === 1) expect(second.equals(Buffer.from(changed))).toBe(false);
      else expect(second.equals(Buffer.from(changed))).toBe(true);
    }
  });

  it('multiple model without a change in the gap decodes right, and spans are at most 32 KiB', () => {
    const emu = loadEmulator({ model: 1 });
    const spans: number[] = [];
    emu.hazard = (_pb, _addr, len) => spans.push(len);
    const data = randomBytes(200_000, 9);
    const d = new DfltccDeflater(emu, { firstFixedBlock: 0 });
    d.push(data, 'finish');
    expect(spans.reduce((a, b) => a + b, 0)).toBe(data.length);
    expect(Math.max(...spans)).toBeLessThanOrEqual(32768);
    expect(Buffer.compare(inflateRawSync(d.output()), Buffer.from(data))).toBe(0);
  });
});
