/**
 * The benchmark's charts, drawn with Vega-Lite and rendered to SVG by Vega
 * in Node (no browser, no canvas).
 *
 * Vega and Vega-Lite are optional peer dependencies (a consumer who only compresses never installs them), so they
 * are imported when a chart is drawn, not when this module loads.
 *
 * Both charts are built so that no series can hide another: series that land on the same spot (the emulator's
 * `single` and `multiple` models often do) keep distinct hollow shapes, and measured and modelled values get panels,
 * colours, dashes and labels of their own. Axes are fitted to the data rather than to Vega's "nice" round numbers.
 */
import type { TopLevelSpec } from 'vega-lite';
import type { CopyResult } from './copy-suite.js';
import type { GridResult } from './grid-suite.js';

/** The main corpus, as bench-command builds it; the copy suite always runs on it. */
const MAIN_CORPUS = 'mixed corpus';
const MAIN_CORPUS_PARTS = 'text, binary/code and VM-page thirds';

/** A chart written beside the report. */
export interface ChartFile {
  title: string;
  /** Relative to the report's folder. */
  file: string;
  svg: string;
}

async function render(spec: TopLevelSpec): Promise<string> {
  const [vega, vegaLite] = await Promise.all([import('vega'), import('vega-lite')]);
  const withConfig: TopLevelSpec = {
    ...spec,
    config: { legend: { labelLimit: 320 }, font: 'sans-serif', title: { fontSize: 14, subtitleFontSize: 12 } },
  };
  const view = new vega.View(vega.parse(vegaLite.compile(withConfig).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** A log-scale domain that holds `values` with a little room on each side, instead of whole decades. */
function logDomain(values: number[]): [number, number] {
  const positive = values.filter((value) => value > 0);
  return [Math.min(...positive) / 1.25, Math.max(...positive) * 1.25];
}

/** A linear domain that holds `values` with 5% of their range (at least 0.5) as margin. */
function linearDomain(values: number[]): [number, number] {
  const low = Math.min(...values);
  const high = Math.max(...values);
  const margin = Math.max((high - low) * 0.05, 0.5);
  return [low - margin, high + margin];
}

function mebibytes(bytes: number): string {
  return `${Math.round((bytes / 2 ** 20) * 10) / 10} MiB`;
}

function chunkLabel(bytes: number): string {
  return bytes >= 2 ** 20 && bytes % 2 ** 20 === 0
    ? `${bytes / 2 ** 20} MiB`
    : bytes >= 1024 && bytes % 1024 === 0
      ? `${bytes / 1024} KiB`
      : `${bytes} B`;
}

/** Hollow shapes, one per series: two series on the same point still show two outlines. */
const SHAPES = [
  'circle',
  'square',
  'diamond',
  'triangle-up',
  'triangle-down',
  'cross',
  'triangle-left',
  'triangle-right',
];

/** Compression throughput against compressed size: one point per contender and level (main corpus, one chunk size). */
export function throughputRatioChart(grid: GridResult, chunk: number): Promise<string> {
  const corpus = grid.corpora[0];
  const values = grid.cells
    .filter((cell) => cell.operation === 'deflate' && cell.chunk === chunk && cell.corpus === corpus.name)
    .map((cell) => ({
      contender: cell.contender,
      level: `L${cell.level}`,
      throughput: cell.throughput.median,
      size: 100 * cell.ratio,
    }));
  const contenders = [...new Set(values.map((value) => value.contender))];
  const x = {
    field: 'size',
    type: 'quantitative',
    title: 'compressed size, % of input (smaller is better)',
    scale: { domain: linearDomain(values.map((value) => value.size)), nice: false },
  } as const;
  const y = {
    field: 'throughput',
    type: 'quantitative',
    title: 'compression throughput, MB/s (log scale)',
    scale: { type: 'log', domain: logDomain(values.map((value) => value.throughput)), nice: false },
  } as const;
  return render({
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: {
      text: `Compression throughput against compressed size: ${corpus.name === 'mixed' ? MAIN_CORPUS : `corpus ${corpus.name}`}, ${mebibytes(corpus.bytes)}, ${chunkLabel(chunk)} chunks`,
      subtitle: `${corpus.name === 'mixed' ? `${MAIN_CORPUS_PARTS}; ` : ''}the labels give the compression level`,
    },
    width: 600,
    height: 380,
    data: { values },
    layer: [
      {
        mark: { type: 'point', filled: false, size: 140, strokeWidth: 2 },
        encoding: {
          x,
          y,
          color: {
            field: 'contender',
            type: 'nominal',
            title: 'contender',
            scale: { domain: contenders, scheme: 'category10' },
          },
          shape: {
            field: 'contender',
            type: 'nominal',
            title: 'contender',
            scale: { domain: contenders, range: SHAPES },
          },
          tooltip: [
            { field: 'contender' },
            { field: 'level' },
            { field: 'throughput', format: '.1f', title: 'MB/s' },
            { field: 'size', format: '.1f', title: 'size %' },
          ],
        },
      },
      {
        mark: { type: 'text', dx: 12, dy: -8, fontSize: 10, color: '#555' },
        encoding: { x, y, text: { field: 'level' } },
      },
    ],
  });
}

/**
 * The copy's share of deflate time against chunk size: one panel per engine, each with the measured share (the
 * emulated engine) and the modelled one (the same copy next to an accelerator at hardware speed).
 */
export function copyShareChart(copy: CopyResult): Promise<string> {
  const measured = 'measured (emulated engine)';
  const modelled = `modelled (accelerator at ${copy.acceleratorGBps} GB/s)`;
  const values = copy.cells
    .filter((cell) => cell.policy === 'always')
    .flatMap((cell) => [
      {
        engine: cell.engine,
        chunk: chunkLabel(cell.chunk),
        bytes: cell.chunk,
        share: 100 * cell.copyShare,
        kind: measured,
      },
      {
        engine: cell.engine,
        chunk: chunkLabel(cell.chunk),
        bytes: cell.chunk,
        share: 100 * cell.modelledShare,
        kind: modelled,
      },
    ]);
  const engines = [...new Set(values.map((value) => value.engine))];
  const chunkOrder = [...new Set([...values].sort((a, b) => a.bytes - b.bytes).map((value) => value.chunk))];
  const x = {
    field: 'chunk',
    type: 'ordinal',
    title: 'bytes per deflate call',
    sort: chunkOrder,
    axis: { labelAngle: 0 },
  } as const;
  const y = {
    field: 'share',
    type: 'quantitative',
    title: 'copy share of deflate time, % (log scale)',
    scale: { type: 'log', domain: logDomain(values.map((value) => value.share)), nice: false },
  } as const;
  const color = {
    field: 'kind',
    type: 'nominal',
    title: null,
    scale: { domain: [measured, modelled], range: ['#1f77b4', '#d62728'] },
    legend: { orient: 'bottom', symbolType: 'stroke', symbolStrokeWidth: 3, symbolSize: 400 },
  } as const;
  const strokeDash = {
    field: 'kind',
    type: 'nominal',
    title: null,
    scale: {
      domain: [measured, modelled],
      range: [
        [1, 0],
        [6, 4],
      ],
    },
  } as const;
  return render({
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: {
      text: `The copy's share of deflate time, policy always: ${MAIN_CORPUS}, ${mebibytes(copy.corpusBytes)}`,
      subtitle: `${MAIN_CORPUS_PARTS}; one panel per engine`,
    },
    data: { values },
    facet: { column: { field: 'engine', type: 'nominal', title: null, sort: engines, header: { labelFontSize: 12 } } },
    spec: {
      width: 220,
      height: 300,
      layer: [
        {
          mark: { type: 'line', strokeWidth: 2, point: { filled: true, size: 50 } },
          encoding: {
            x,
            y,
            color,
            strokeDash,
            tooltip: [
              { field: 'engine' },
              { field: 'chunk' },
              { field: 'kind' },
              { field: 'share', format: '.2f', title: '%' },
            ],
          },
        },
        {
          mark: { type: 'text', dy: -10, fontSize: 10 },
          encoding: { x, y, color, text: { field: 'share', format: '.2f' } },
        },
      ],
    },
  });
}

/** Every chart that `report` has data for, with the file name it is written under. */
export async function benchCharts(report: { engines?: GridResult; copy?: CopyResult }): Promise<ChartFile[]> {
  const charts: ChartFile[] = [];
  if (report.engines) {
    const chunk = report.engines.chunks.includes(65536) ? 65536 : report.engines.chunks[0];
    charts.push({
      title: 'Compression throughput against compressed size',
      file: 'charts/throughput-ratio.svg',
      svg: await throughputRatioChart(report.engines, chunk),
    });
  }
  if (report.copy) {
    charts.push({
      title: "The copy's share of deflate time against chunk size",
      file: 'charts/copy-share.svg',
      svg: await copyShareChart(report.copy),
    });
  }
  return charts;
}
