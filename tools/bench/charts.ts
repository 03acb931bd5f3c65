/**
 * The benchmark's charts, drawn with Vega-Lite and rendered to SVG by Vega
 * in Node (no browser, no canvas).
 */
import * as vega from 'vega';
import * as vegaLite from 'vega-lite';
import type { CopyResult } from './copy-suite.js';
import type { GridResult } from './grid-suite.js';

async function render(spec: vegaLite.TopLevelSpec): Promise<string> {
  const withConfig = { ...spec, config: { legend: { labelLimit: 320 }, font: 'sans-serif' } } as vegaLite.TopLevelSpec;
  const view = new vega.View(vega.parse(vegaLite.compile(withConfig).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** Compression throughput against compressed size, one point per contender and level (main corpus, one chunk size). */
export function throughputRatioChart(grid: GridResult, chunk: number): Promise<string> {
  const values = grid.cells
    .filter((cell) => cell.operation === 'deflate' && cell.chunk === chunk && cell.corpus === grid.corpora[0].name)
    .map((cell) => ({ contender: cell.contender, level: `level ${cell.level}`, throughput: cell.throughput.median, size: 100 * cell.ratio }));
  return render({
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: `Compression: throughput against compressed size (${chunk}-byte chunks)`,
    width: 560,
    height: 360,
    data: { values },
    mark: { type: 'point', filled: true, size: 90 },
    encoding: {
      x: { field: 'size', type: 'quantitative', title: 'compressed size, % of input (smaller is better)', scale: { zero: false } },
      y: { field: 'throughput', type: 'quantitative', title: 'MB/s (log)', scale: { type: 'log' } },
      color: { field: 'contender', type: 'nominal', title: 'contender' },
      shape: { field: 'level', type: 'nominal', title: 'level' },
      tooltip: [{ field: 'contender' }, { field: 'level' }, { field: 'throughput', format: '.1f' }, { field: 'size', format: '.1f' }],
    },
  });
}

/** The copy's share of deflate time against chunk size, per engine: measured under `always`, and modelled at accelerator speed. */
export function copyShareChart(copy: CopyResult): Promise<string> {
  const values = copy.cells
    .filter((cell) => cell.policy === 'always')
    .flatMap((cell) => [
      { engine: cell.engine, chunk: cell.chunk, share: 100 * cell.copyShare, kind: 'measured (emulated engine)' },
      { engine: cell.engine, chunk: cell.chunk, share: 100 * cell.modelledShare, kind: `modelled at ${copy.acceleratorGBps} GB/s` },
    ]);
  return render({
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: "The copy's share of deflate time (policy always)",
    width: 560,
    height: 360,
    data: { values },
    mark: { type: 'line', point: true },
    encoding: {
      x: { field: 'chunk', type: 'quantitative', title: 'bytes per deflate call (log)', scale: { type: 'log', base: 2 } },
      y: { field: 'share', type: 'quantitative', title: 'copy share of deflate time, %' },
      color: { field: 'engine', type: 'nominal', title: 'engine' },
      strokeDash: { field: 'kind', type: 'nominal', title: '' },
      tooltip: [{ field: 'engine' }, { field: 'chunk' }, { field: 'kind' }, { field: 'share', format: '.2f' }],
    },
  });
}
