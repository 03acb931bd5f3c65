/**
 * `zaccel bench` (and `npm run bench`): the benchmark harness.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import type { Level } from '../constants.js';
import { markdownReport, type BenchReport } from '../bench/report.js';
import { systemInfo } from '../bench/system-info.js';
import { runZlibSuite } from '../bench/zlib-suite.js';
import { badOption } from '../errors.js';
import { Machine } from '../machine/machine.js';

interface BenchFlags {
  quick?: boolean;
  json?: boolean;
  out?: string;
  corpusMib?: string;
  repetitions?: string;
  seconds?: string;
  chunk?: string;
}

function positive(name: string, text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0) throw badOption(name, text, 'a positive number');
  return value;
}

/** One status line, redrawn in place on a terminal; silent otherwise. */
function progressLine(): { update: (message: string) => void; done: () => void } {
  const tty = process.stderr.isTTY === true;
  const started = Date.now();
  return {
    update(message) {
      if (!tty) return;
      const seconds = ((Date.now() - started) / 1000).toFixed(0);
      process.stderr.write(`\r\x1b[2K[${seconds}s] ${message}`.slice(0, (process.stderr.columns ?? 120) + 8));
    },
    done() {
      if (tty) process.stderr.write('\r\x1b[2K');
    },
  };
}

export function registerBenchCommand(program: Command): void {
  program
    .command('bench')
    .description('benchmark the zlib engine against native zlib (gcc, same source) and node:zlib')
    .option('--quick', 'small corpus, one repetition: a smoke run for CI')
    .option('--json', 'print the JSON report instead of Markdown')
    .option('--out <dir>', 'also write report.md and report.json here')
    .option('--corpus-mib <n>', 'corpus size in MiB (default 32, quick 4)')
    .option('--repetitions <n>', 'interleaved repetitions (default 5, quick 1)')
    .option('--seconds <s>', 'minimum measuring time per cell (default 1, quick 0.1)')
    .option('--chunk <bytes>', 'bytes per deflate call and output window', '65536')
    .action(async (flags: BenchFlags) => {
      const quick = flags.quick === true;
      const progress = progressLine();
      const report: BenchReport = {
        system: systemInfo(),
        command: `zaccel bench ${process.argv.slice(3).join(' ')}`.trim(),
        startedAt: new Date().toISOString(),
      };
      report.zlib = await runZlibSuite({
        corpusBytes: Math.round(positive('corpus-mib', flags.corpusMib, quick ? 4 : 32) * 2 ** 20),
        levels: [1, 6, 9] as Level[],
        chunk: Math.round(positive('chunk', flags.chunk, 65536)),
        repetitions: Math.round(positive('repetitions', flags.repetitions, quick ? 1 : 5)),
        seconds: positive('seconds', flags.seconds, quick ? 0.1 : 1),
        machine: Machine.create(),
        progress: progress.update,
      });
      progress.done();
      const markdown = markdownReport(report);
      if (flags.out !== undefined) {
        mkdirSync(flags.out, { recursive: true });
        writeFileSync(join(flags.out, 'report.md'), markdown);
        writeFileSync(join(flags.out, 'report.json'), `${JSON.stringify(report, null, 2)}\n`);
      }
      process.stdout.write(flags.json ? `${JSON.stringify(report, null, 2)}\n` : markdown);
    });
}
