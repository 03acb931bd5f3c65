/**
 * The benchmark's charts, redrawn from docs/benchmarks.json by `npm run charts` (in a child process: Vega's
 * rendering is synchronous work). Every series has a legend entry and a mark of its own, the axes end near the
 * data instead of at the next power of ten, measured and modelled values are labelled apart, and the corpus is named.
 */
import { execFile } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, test } from 'vitest';
import type { BenchReport } from '../tools/bench/report.js';
import { packageRoot } from '../src/machine/modules.js';

const root = packageRoot();
const folder = mkdtempSync(join(tmpdir(), 'zaccel-charts-'));
const report = JSON.parse(readFileSync(join(root, 'docs/benchmarks.json'), 'utf8')) as BenchReport;
afterAll(() => rmSync(folder, { recursive: true, force: true }));

/** The text of an SVG's <text> elements, in order. */
function texts(svg: string): string[] {
  return [...svg.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((match) => match[1].replace(/&amp;/g, '&'));
}

let throughput: string[];
let copyShare: string[];

beforeAll(async () => {
  copyFileSync(join(root, 'docs/benchmarks.json'), join(folder, 'benchmarks.json'));
  await promisify(execFile)(process.execPath, [join(root, 'dist/tools/bench/redraw-charts.js'), folder]);
  throughput = texts(readFileSync(join(folder, 'charts/throughput-ratio.svg'), 'utf8'));
  copyShare = texts(readFileSync(join(folder, 'charts/copy-share.svg'), 'utf8'));
});

test('throughput chart: a legend entry per contender, the corpus in the title, a y axis fitted to the data', () => {
  const contenders = [...new Set(report.engines!.cells.map((cell) => cell.contender))];
  for (const contender of contenders) expect(throughput, contender).toContain(contender);
  expect(throughput.some((text) => text.startsWith('Compression throughput') && text.includes('mixed corpus'))).toBe(
    true,
  );
  const fastest = Math.max(...report.engines!.cells.map((cell) => cell.throughput.median));
  const ticks = throughput.map((text) => Number(text.replace(/,/g, ''))).filter((value) => Number.isFinite(value));
  // The top tick is below the fastest point times 1.25 (the axis's margin): no decade of empty space above it.
  expect(Math.max(...ticks)).toBeLessThanOrEqual(fastest * 1.25);
});

test('copy-share chart: a panel per engine, measured and modelled labelled apart, the corpus named', () => {
  const engines = [...new Set(report.copy!.cells.map((cell) => cell.engine))];
  for (const engine of engines) expect(copyShare, engine).toContain(engine);
  expect(copyShare).toContain('measured (emulated engine)');
  expect(copyShare).toContain(`modelled (accelerator at ${report.copy!.acceleratorGBps} GB/s)`);
  expect(copyShare.some((text) => text.startsWith("The copy's share") && text.includes('mixed corpus'))).toBe(true);
});
