/**
 * `zaccel bench` (and `npm run bench`): the benchmark harness. Its packages
 * (tinybench, pako, fflate; autocannon and the service for the http suite;
 * vega for the charts) load only when it runs, after a check that says what
 * to install if any is missing.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { Level } from '../../src/index.js';
import { badOption } from '../../src/internal.js';
import { ALL_CONTENDERS, type ContenderName } from '../bench/contender-names.js';
import type { BenchReport } from '../bench/report.js';
import type { CorpusName } from '../corpus/corpus.js';
import { camelFlags, type Command, type CommandSpec } from './command.js';
import { importWithPackages, requirePackages, type PackageNeed } from './optional-packages.js';
import { positiveFlag as positive } from './options.js';
import { progressLine } from './progress.js';

const SUITES = ['engines', 'oneshot', 'corpora', 'copy', 'http'] as const;
/** The one-shot suite's sizes of the mixed corpus (those up to the run's corpus size). */
const ONE_SHOT_SIZES = [64 * 1024, 1024 * 1024, 16 * 1024 * 1024];
type Suite = (typeof SUITES)[number];

interface BenchFlags {
  suites?: string;
  acceleratorGbps?: string;
  quick?: boolean;
  json?: boolean;
  out?: string;
  corpusMib?: string;
  repetitions?: string;
  seconds?: string;
  chunks?: string;
  levels?: string;
  contenders?: string;
  file?: string[];
}

function list<T>(name: string, text: string | undefined, fallback: T[], parse: (item: string) => T | undefined): T[] {
  if (text === undefined) return fallback;
  return text.split(',').map((item) => {
    const value = parse(item.trim());
    if (value === undefined) throw badOption(name, item, 'a comma-separated list of valid values');
    return value;
  });
}

/** The main corpus: text-like, binary/code-like and VM-page-like thirds. */
function mixedCorpus(corpus: (name: CorpusName, bytes: number, seed: number) => Uint8Array, bytes: number): Uint8Array {
  const third = Math.floor(bytes / 3);
  const out = new Uint8Array(bytes);
  out.set(corpus('text', third, 31));
  out.set(corpus('binary', third, 32), third);
  out.set(corpus('vm-pages', bytes - 2 * third, 33), 2 * third);
  return out;
}

const spec: CommandSpec = {
  name: 'bench',
  usage: 'zaccel bench [options]',
  maxPositionals: 0,
  options: [
    { name: 'quick', description: 'small corpus, one repetition, one chunk size: a smoke run for CI' },
    { name: 'json', description: 'print the JSON report instead of Markdown' },
    {
      name: 'out',
      value: 'DIR',
      description: 'also write BENCHMARKS.md, benchmarks.json and charts/*.svg here (npm run bench -- --out docs)',
    },
    { name: 'corpus-mib', value: 'N', description: 'main corpus size in MiB (default 32, quick 2)' },
    { name: 'repetitions', value: 'N', description: 'interleaved repetitions (default 3, quick 1)' },
    { name: 'seconds', value: 'S', description: 'minimum measuring time per cell (default 0.5, quick 0.05)' },
    {
      name: 'chunks',
      value: 'LIST',
      description: 'bytes per call, comma-separated (default 4096,65536,1048576; quick 65536)',
    },
    { name: 'levels', value: 'LIST', description: 'levels, comma-separated (default 1,6,9)' },
    {
      name: 'contenders',
      value: 'LIST',
      description: `contenders, comma-separated (default all: ${ALL_CONTENDERS.join(', ')})`,
    },
    {
      name: 'file',
      value: 'PATH',
      repeatable: true,
      description: 'your own file, benchmarked as an extra corpus (repeatable)',
    },
    { name: 'suites', value: 'LIST', description: `suites, comma-separated (default all: ${SUITES.join(', ')})` },
    {
      name: 'accelerator-gbps',
      value: 'N',
      description:
        "modelled accelerator throughput in GB/s for the copy suite (default: IBM's z15 figure per accelerator)",
    },
  ],
};

/** What each part of the run needs installed. */
function packageNeeds(suites: Suite[], charts: boolean): PackageNeed[] {
  const needs: PackageNeed[] = [{ packages: ['tinybench', 'pako', 'fflate'], purpose: 'the benchmark itself' }];
  if (suites.includes('http'))
    needs.push({
      packages: ['autocannon'],
      purpose: 'the http suite (or leave it out: --suites engines,corpora,copy)',
    });
  if (charts) needs.push({ packages: ['vega', 'vega-lite'], purpose: 'the charts of --out' });
  return needs;
}

/** The benchmark's modules, imported once the packages they use are known to be there. */
async function loadBench(suites: Suite[], charts: boolean) {
  requirePackages('bench', packageNeeds(suites, charts));
  const load = <T>(purpose: string, loader: () => Promise<T>) => importWithPackages('bench', purpose, loader);
  const [contenders, grid, oneShot, copy, report, validate, system, corpus, machine] = await Promise.all([
    load('the benchmark itself', () => import('../bench/contenders.js')),
    load('the benchmark itself', () => import('../bench/grid-suite.js')),
    load('the benchmark itself', () => import('../bench/one-shot-suite.js')),
    load('the benchmark itself', () => import('../bench/copy-suite.js')),
    load('the benchmark itself', () => import('../bench/report.js')),
    import('../bench/validate.js'),
    import('../bench/system-info.js'),
    import('../corpus/corpus.js'),
    import('../../src/index.js').then(({ Machine }) => ({ Machine })),
  ]);
  const http = suites.includes('http')
    ? await load('the http suite', () => import('../http-bench/http-bench.js'))
    : undefined;
  const chartModule = charts ? await load('the charts of --out', () => import('../bench/charts.js')) : undefined;
  return {
    ...contenders,
    ...grid,
    ...oneShot,
    ...copy,
    ...report,
    ...validate,
    ...system,
    ...corpus,
    ...machine,
    http,
    charts: chartModule,
  };
}

export const benchCommand: Command = {
  spec,
  async run(args) {
    const flags = camelFlags<BenchFlags>(spec, args);
    const quick = flags.quick === true;
    const suites = list<Suite>('suites', flags.suites, [...SUITES], (item) =>
      SUITES.includes(item as Suite) ? (item as Suite) : undefined,
    );
    const names = list('contenders', flags.contenders, ALL_CONTENDERS, (item) =>
      ALL_CONTENDERS.includes(item as ContenderName) ? (item as ContenderName) : undefined,
    );
    const bench = await loadBench(suites, flags.out !== undefined);
    const { Machine, corpus, runGrid, runOneShotSuite, runCopySuite, markdownReport, systemInfo, validateReport } =
      bench;
    const progress = progressLine();
    const machine = Machine.create();
    const chosen = bench.contenders(machine, names);
    const levels = list<Level>('levels', flags.levels, [1, 6, 9], (item) =>
      /^-?\d$/.test(item) && Number(item) >= -1 ? (Number(item) as Level) : undefined,
    );
    const chunks = list('chunks', flags.chunks, quick ? [65536] : [4096, 65536, 1048576], (item) =>
      Number(item) >= 64 ? Math.floor(Number(item)) : undefined,
    );
    const repetitions = Math.round(positive('repetitions', flags.repetitions, quick ? 1 : 3));
    const seconds = positive('seconds', flags.seconds, quick ? 0.05 : 0.5);
    const mainBytes = Math.round(positive('corpus-mib', flags.corpusMib, quick ? 2 : 32) * 2 ** 20);
    const report: BenchReport = {
      system: systemInfo(),
      command: `zaccel bench ${process.argv.slice(3).join(' ')}`.trim(),
      startedAt: new Date().toISOString(),
    };
    const main = mixedCorpus(corpus, mainBytes);
    const files = (flags.file ?? []).map((path) => ({
      name: basename(path),
      data: new Uint8Array(readFileSync(path)),
    }));
    if (suites.includes('engines')) {
      report.engines = await runGrid({
        contenders: chosen,
        corpora: [{ name: 'mixed', data: main }, ...files],
        levels,
        chunks,
        repetitions,
        seconds,
        progress: progress.update,
      });
    }
    if (suites.includes('oneshot')) {
      // The mix: text, binary, VM pages and random per quarter (tools/corpus's 'mixed'), at each size that
      // fits the run's corpus size (at least the smallest); each kind at 1 MiB (64 KiB with --quick).
      const sizes = ONE_SHOT_SIZES.filter((size, index) => index === 0 || size <= mainBytes);
      const kindBytes = quick ? ONE_SHOT_SIZES[0] : Math.min(ONE_SHOT_SIZES[1], Math.max(mainBytes, ONE_SHOT_SIZES[0]));
      report.oneShot = await runOneShotSuite({
        machine,
        contenders: chosen.map((contender) => contender.name),
        sized: sizes.map((size) => ({ name: `mixed ${bench.sizeLabel(size)}`, data: corpus('mixed', size, 61) })),
        kinds: [
          ...(['text', 'binary', 'vm-pages', 'mixed'] as const).map((name) => ({
            name,
            data: corpus(name, kindBytes, 62),
          })),
          ...files,
        ],
        levels,
        repetitions,
        seconds,
        progress: progress.update,
      });
    }
    if (suites.includes('copy')) {
      report.copy = await runCopySuite({
        machine,
        data: main,
        chunks,
        repetitions,
        seconds,
        acceleratorGBps: positive('accelerator-gbps', flags.acceleratorGbps, bench.DEFAULT_ACCELERATOR_GBPS),
        progress: progress.update,
      });
    }
    if (suites.includes('corpora')) {
      const kindBytes = Math.max(1, Math.floor(mainBytes / 4));
      report.corpora = await runGrid({
        contenders: chosen,
        corpora: (['text', 'binary', 'vm-pages'] as const).map((name) => ({ name, data: corpus(name, kindBytes, 51) })),
        levels: levels.filter((level) => level === 1 || level === 6),
        chunks: [chunks.includes(65536) ? 65536 : chunks[0]],
        repetitions,
        seconds,
        progress: progress.update,
      });
    }
    if (suites.includes('http')) {
      report.http = await bench.http!.runHttpSuite({
        quick,
        levels: levels.filter((level) => level === 1 || level === 6),
        progress: progress.update,
      });
    }
    progress.done();
    validateReport(
      report,
      chosen.map((contender) => contender.name),
    );
    if (flags.out !== undefined) {
      mkdirSync(join(flags.out, 'charts'), { recursive: true });
      report.charts = [];
      if (report.engines) {
        const chunk = report.engines.chunks.includes(65536) ? 65536 : report.engines.chunks[0];
        writeFileSync(
          join(flags.out, 'charts', 'throughput-ratio.svg'),
          await bench.charts!.throughputRatioChart(report.engines, chunk),
        );
        report.charts.push({
          title: 'Compression throughput against compressed size',
          file: 'charts/throughput-ratio.svg',
        });
      }
      if (report.copy) {
        writeFileSync(join(flags.out, 'charts', 'copy-share.svg'), await bench.charts!.copyShareChart(report.copy));
        report.charts.push({
          title: "The copy's share of deflate time against chunk size",
          file: 'charts/copy-share.svg',
        });
      }
      writeFileSync(join(flags.out, 'BENCHMARKS.md'), markdownReport(report));
      writeFileSync(join(flags.out, 'benchmarks.json'), `${JSON.stringify(report, null, 2)}\n`);
    }
    const markdown = markdownReport(report);
    process.stdout.write(flags.json ? `${JSON.stringify(report, null, 2)}\n` : markdown);
  },
};
