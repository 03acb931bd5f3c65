/**
 * Benchmark reports: Markdown for people, JSON for tools.
 */
import type { Level } from '../constants.js';
import { systemLine, type SystemInfo } from './system-info.js';
import { ratio, ZLIB_CONTENDERS, type Operation, type ZlibSuiteResult } from './zlib-suite.js';

export interface BenchReport {
  system: SystemInfo;
  command: string;
  startedAt: string;
  zlib?: ZlibSuiteResult;
}

/** Targets the zlib engine is held to, against the native reference. */
export const ZLIB_TARGETS: Record<Operation, number> = { deflate: 0.95, inflate: 0.9 };

const format = (value: number, digits = 1) => (Number.isFinite(value) ? value.toFixed(digits) : 'n/a');

export function headline(result: ZlibSuiteResult): { operation: Operation; level: Level; versusNative: number; versusNodeZlib: number; target: number; met: boolean }[] {
  const levels = [...new Set(result.cells.map((cell) => cell.level))].sort((a, b) => a - b);
  return (['deflate', 'inflate'] as Operation[]).flatMap((operation) =>
    levels.map((level) => {
      const versusNative = ratio(result, 'zaccel zlib (wasm)', 'native zlib (gcc)', operation, level);
      return {
        operation,
        level,
        versusNative,
        versusNodeZlib: ratio(result, 'zaccel zlib (wasm)', 'node:zlib', operation, level),
        target: ZLIB_TARGETS[operation],
        met: versusNative >= ZLIB_TARGETS[operation],
      };
    }),
  );
}

export function markdownReport(report: BenchReport): string {
  const lines = [
    '# zaccel benchmarks',
    '',
    `- Machine: ${systemLine(report.system)}`,
    `- Run: \`${report.command}\`, started ${report.startedAt}`,
  ];
  const zlib = report.zlib;
  if (zlib !== undefined) {
    lines.push(
      `- Corpus: ${(zlib.corpusBytes / 2 ** 20).toFixed(1)} MiB, deterministic (text-like, binary/code-like and VM-page thirds); ${zlib.chunk} bytes per call; ${zlib.repetitions} interleaved repetitions, medians with min–max`,
      '',
      '## zlib engine against native zlib and node:zlib',
      '',
      'Throughput is uncompressed MB/s (10^6 bytes). Ratios divide medians from this one run.',
      '',
      '| operation | level | contender | MB/s median | min–max | × native | × node:zlib | compressed |',
      '|---|---:|---|---:|---:|---:|---:|---:|',
    );
    const levels = [...new Set(zlib.cells.map((cell) => cell.level))].sort((a, b) => a - b);
    for (const operation of ['deflate', 'inflate'] as Operation[]) {
      for (const level of levels) {
        for (const contender of ZLIB_CONTENDERS) {
          const cell = zlib.cells.find((c) => c.contender === contender && c.operation === operation && c.level === level);
          if (cell === undefined) continue;
          lines.push(
            `| ${operation} | ${level} | ${contender} | ${format(cell.throughput.median)} | ${format(cell.throughput.min)}–${format(cell.throughput.max)} | ${format(ratio(zlib, contender, 'native zlib (gcc)', operation, level), 2)} | ${format(ratio(zlib, contender, 'node:zlib', operation, level), 2)} | ${format((100 * cell.compressedBytes) / zlib.corpusBytes)}% |`,
          );
        }
      }
    }
    lines.push('', '### Headline: zlib engine ÷ native reference', '', '| operation | level | × native | target | met | × node:zlib |', '|---|---:|---:|---:|---|---:|');
    for (const row of headline(zlib)) {
      lines.push(`| ${row.operation} | ${row.level} | ${format(row.versusNative, 3)} | ≥ ${row.target} | ${row.met ? 'yes' : 'no'} | ${format(row.versusNodeZlib, 3)} |`);
    }
  }
  return `${lines.join('\n')}\n`;
}
