/**
 * `zaccel bench` (and `npm run bench`): the benchmark harness.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { Command } from 'commander';
import type { Level } from '../../src/constants.js';
import { ALL_CONTENDERS, contenders, type ContenderName } from '../bench/contenders.js';
import { copyShareChart, throughputRatioChart } from '../bench/charts.js';
import { DEFAULT_ACCELERATOR_GBPS, runCopySuite } from '../bench/copy-suite.js';
import { runGrid } from '../bench/grid-suite.js';
import { runHttpSuite } from '../http-bench/http-bench.js';
import { markdownReport, type BenchReport } from '../bench/report.js';
import { systemInfo } from '../bench/system-info.js';
import { validateReport } from '../bench/validate.js';
import { corpus, type CorpusName } from '../corpus/corpus.js';
import { badOption } from '../../src/errors.js';
import { Machine } from '../../src/machine/machine.js';
import { positiveFlag as positive } from './options.js';
import { progressLine } from './progress.js';

const SUITES = ['engines', 'corpora', 'copy', 'http'] as const;
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
function mixedCorpus(bytes: number): Uint8Array {
  const third = Math.floor(bytes / 3);
  const out = new Uint8Array(bytes);
  out.set(corpus('text', third, 31));
  out.set(corpus('binary', third, 32), third);
  out.set(corpus('vm-pages', bytes - 2 * third, 33), 2 * third);
  return out;
}

export function registerBenchCommand(program: Command): void {
  program
    .command('bench')
    .description('benchmark zaccel\'s engines against native zlib (gcc, same source), node:zlib, pako and fflate')
    .option('--quick', 'small corpus, one repetition, one chunk size: a smoke run for CI')
    .option('--json', 'print the JSON report instead of Markdown')
    .option('--out <dir>', 'also write BENCHMARKS.md, benchmarks.json and charts/*.svg here (npm run bench -- --out docs)')
    .option('--corpus-mib <n>', 'main corpus size in MiB (default 32, quick 2)')
    .option('--repetitions <n>', 'interleaved repetitions (default 3, quick 1)')
    .option('--seconds <s>', 'minimum measuring time per cell (default 0.5, quick 0.05)')
    .option('--chunks <list>', 'bytes per call, comma-separated (default 4096,65536,1048576; quick 65536)')
    .option('--levels <list>', 'levels, comma-separated (default 1,6,9)')
    .option('--contenders <list>', `contenders, comma-separated (default all: ${ALL_CONTENDERS.join(', ')})`)
    .option('--file <path...>', 'your own files, benchmarked as extra corpora')
    .option('--suites <list>', `suites, comma-separated (default all: ${SUITES.join(', ')})`)
    .option('--accelerator-gbps <n>', `modelled accelerator throughput for the copy suite (default ${DEFAULT_ACCELERATOR_GBPS}: IBM's z15 figure per accelerator)`)
    .action(async (flags: BenchFlags) => {
      const quick = flags.quick === true;
      const progress = progressLine();
      const machine = Machine.create();
      const chosen = contenders(
        machine,
        list('contenders', flags.contenders, ALL_CONTENDERS, (item) => (ALL_CONTENDERS.includes(item as ContenderName) ? (item as ContenderName) : undefined)),
      );
      const levels = list<Level>('levels', flags.levels, [1, 6, 9], (item) => (/^-?\d$/.test(item) && Number(item) >= -1 ? (Number(item) as Level) : undefined));
      const chunks = list('chunks', flags.chunks, quick ? [65536] : [4096, 65536, 1048576], (item) => (Number(item) >= 64 ? Math.floor(Number(item)) : undefined));
      const repetitions = Math.round(positive('repetitions', flags.repetitions, quick ? 1 : 3));
      const seconds = positive('seconds', flags.seconds, quick ? 0.05 : 0.5);
      const mainBytes = Math.round(positive('corpus-mib', flags.corpusMib, quick ? 2 : 32) * 2 ** 20);
      const report: BenchReport = {
        system: systemInfo(),
        command: `zaccel bench ${process.argv.slice(3).join(' ')}`.trim(),
        startedAt: new Date().toISOString(),
      };
      const suites = list<Suite>('suites', flags.suites, [...SUITES], (item) => (SUITES.includes(item as Suite) ? (item as Suite) : undefined));
      const main = mixedCorpus(mainBytes);
      if (suites.includes('engines')) {
        report.engines = await runGrid({
          contenders: chosen,
          corpora: [{ name: 'mixed', data: main }, ...(flags.file ?? []).map((path) => ({ name: basename(path), data: new Uint8Array(readFileSync(path)) }))],
          levels,
          chunks,
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
          acceleratorGBps: positive('accelerator-gbps', flags.acceleratorGbps, DEFAULT_ACCELERATOR_GBPS),
          progress: progress.update,
        });
      }
      if (suites.includes('corpora')) {
        const kindBytes = Math.max(1, Math.floor(mainBytes / 4));
        report.corpora = await runGrid({
          contenders: chosen,
          corpora: (['text', 'binary', 'vm-pages'] as CorpusName[]).map((name) => ({ name, data: corpus(name, kindBytes, 51) })),
          levels: levels.filter((level) => level === 1 || level === 6),
          chunks: [chunks.includes(65536) ? 65536 : chunks[0]],
          repetitions,
          seconds,
          progress: progress.update,
        });
      }
      if (suites.includes('http')) {
        report.http = await runHttpSuite({ quick, levels: levels.filter((level) => level === 1 || level === 6), progress: progress.update });
      }
      progress.done();
      validateReport(report, chosen.map((contender) => contender.name));
      if (flags.out !== undefined) {
        mkdirSync(join(flags.out, 'charts'), { recursive: true });
        report.charts = [];
        if (report.engines) {
          const chunk = report.engines.chunks.includes(65536) ? 65536 : report.engines.chunks[0];
          writeFileSync(join(flags.out, 'charts', 'throughput-ratio.svg'), await throughputRatioChart(report.engines, chunk));
          report.charts.push({ title: 'Compression throughput against compressed size', file: 'charts/throughput-ratio.svg' });
        }
        if (report.copy) {
          writeFileSync(join(flags.out, 'charts', 'copy-share.svg'), await copyShareChart(report.copy));
          report.charts.push({ title: "The copy's share of deflate time against chunk size", file: 'charts/copy-share.svg' });
        }
        writeFileSync(join(flags.out, 'BENCHMARKS.md'), markdownReport(report));
        writeFileSync(join(flags.out, 'benchmarks.json'), `${JSON.stringify(report, null, 2)}\n`);
      }
      const markdown = markdownReport(report);
      process.stdout.write(flags.json ? `${JSON.stringify(report, null, 2)}\n` : markdown);
    });
}
