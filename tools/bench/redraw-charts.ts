/**
 * Redraws a benchmark report's charts from its JSON, without running the benchmark again:
 * `npm run charts` (docs/), or `node dist/tools/bench/redraw-charts.js DIR` for the report in DIR.
 *
 * It reads DIR/benchmarks.json (written by `npm run bench -- --out DIR`) and rewrites the SVG files it names under
 * DIR/charts/. The Markdown report links the same file names, so it needs no change.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { benchCharts } from './charts.js';
import type { BenchReport } from './report.js';

const folder = process.argv[2] ?? 'docs';
const report = JSON.parse(readFileSync(join(folder, 'benchmarks.json'), 'utf8')) as BenchReport;
for (const chart of await benchCharts(report)) {
  const path = join(folder, chart.file);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, chart.svg);
  process.stdout.write(`wrote ${path}\n`);
}
