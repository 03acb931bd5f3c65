/**
 * XPND inflate throughput vs node:zlib inflateRawSync on a ~32 MiB text-like + binary corpus.
 * Skipped unless XPND_BENCH=1:  XPND_BENCH=1 npx vitest run test/asm/xpnd-bench
 */
import { expect, test } from 'vitest';
import zlib from 'node:zlib';
import { binaryLike, textLike } from '../../tools/corpus/corpus.js';
import { loadXpndDriver } from './xpnd-driver.js';

const MiB = 1 << 20;

test.skipIf(!process.env.XPND_BENCH)(
  'XPND inflate throughput vs node:zlib',
  () => {
    const data = Buffer.concat([textLike(16 * MiB, 1), binaryLike(16 * MiB, 2)]);
    const level = Number(process.env.XPND_BENCH_LEVEL ?? 6);
    const raw = zlib.deflateRawSync(data, { level });
    const rounds = Number(process.env.XPND_BENCH_ROUNDS ?? 7);
    const m = loadXpndDriver();
    const e = m.emu;
    const pb = e.paramBlock();
    const hist = e.historyBuffer();
    const input = e.put(raw, 64);
    const out = e.alloc(data.length + 64, 64);
    const run = (chunk: number, adler: boolean) => {
      const u8 = e.u8;
      u8.fill(0, pb, pb + 1536);
      u8[pb + 16] = 0x80 | (adler ? 0x20 : 0);
      let r1 = out;
      let r2 = input;
      let r2len = raw.length;
      for (;;) {
        const r1len = Math.min(chunk, out + data.length - r1);
        const res = m.xpnd(pb, { r1, r1len, r2, r2len, r3: hist });
        r1 = res.regs.r1;
        r2 = res.regs.r2;
        r2len = res.regs.r2len;
        if (res.cc === 0) break;
        if (res.cc === 2) throw new Error('XPND cc2');
      }
      if (r1 - out !== data.length) throw new Error('XPND length');
    };
    run(data.length, true);
    expect(Buffer.from(e.read(out, data.length)).equals(data)).toBe(true);
    // Rounds interleave node:zlib and every XPND configuration; each keeps its best time.
    const configs = [
      ['one call, Adler-32', data.length, true],
      ['one call, CRC-32', data.length, false],
      ['256 KiB calls, Adler-32', 256 * 1024, true],
      ['64 KiB calls, Adler-32', 64 * 1024, true],
      ['16 KiB calls, CRC-32', 16 * 1024, false],
    ] as const;
    const best = new Array<number>(configs.length + 1).fill(Infinity);
    const seconds = (f: () => void) => {
      const t = process.hrtime.bigint();
      f();
      return Number(process.hrtime.bigint() - t) / 1e9;
    };
    for (let r = 0; r < rounds; r++) {
      best[0] = Math.min(
        best[0],
        seconds(() => {
          const out = zlib.inflateRawSync(raw);
          if (out.length !== data.length) throw new Error('node inflate length');
        }),
      );
      configs.forEach(([, chunk, adler], i) => {
        best[i + 1] = Math.min(
          best[i + 1],
          seconds(() => run(chunk, adler)),
        );
      });
    }
    const nodeTime = best[0];
    const results: Record<string, number> = {};
    configs.forEach(([name], i) => {
      results[name] = best[i + 1];
    });
    const mbps = (t: number) => (data.length / MiB / t).toFixed(0);
    const lines = [
      `corpus ${(data.length / MiB).toFixed(0)} MiB text+binary, level ${level}, compressed ${(raw.length / MiB).toFixed(2)} MiB`,
    ];
    lines.push(`node:zlib inflateRawSync: ${mbps(nodeTime)} MiB/s`);
    for (const [name, t] of Object.entries(results)) {
      lines.push(`XPND ${name}: ${mbps(t)} MiB/s (ratio ${(nodeTime / t).toFixed(2)}x)`);
    }
    // eslint-disable-next-line no-console
    console.log(lines.join('\n'));
  },
  600_000,
);
