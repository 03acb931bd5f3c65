/**
 * `zaccel findings`: run the hazard and migration matrix and write
 * docs/FINDINGS.md from the runs.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Command } from 'commander';
import { findingsMarkdown, runFindings, type FindingsOptions } from '../findings/findings.js';
import { parseSize } from './migrate-command.js';
import { choice, positiveFlag } from './options.js';
import type { WritePattern } from '../migrate/protocol.js';
import { progressLine } from './progress.js';

interface FindingsFlags {
  out: string;
  seeds: string;
  seconds: string;
  ram: string;
  rounds: string;
  patterns: string;
  json?: boolean;
}

export function registerFindingsCommand(program: Command): void {
  program
    .command('findings')
    .description('run engine x model x copy policy through hazard and migrate, and write the findings')
    .option('--out <file>', 'where to write the Markdown', 'docs/FINDINGS.md')
    .option('--seeds <list>', 'migration seeds, comma-separated', '1,2,3')
    .option('--seconds <s>', 'real-thread hazard time per configuration', '2')
    .option('--ram <size>', 'guest RAM per migration', '32M')
    .option('--rounds <n>', 'live rounds per migration', '5')
    .option('--patterns <list>', 'guest write patterns, comma-separated (counter, copy, increment, patch)', 'counter,copy')
    .option('--json', 'also print the raw results as JSON')
    .action(async (flags: FindingsFlags) => {
      const progress = progressLine();
      const options: FindingsOptions = {
        seeds: flags.seeds.split(',').map((seed) => Math.round(positiveFlag('seeds', seed, 1))),
        hazardSeconds: positiveFlag('seconds', flags.seconds, 2),
        patterns: flags.patterns.split(',').map((pattern) => choice<WritePattern>('patterns', pattern.trim(), ['counter', 'copy', 'increment', 'patch'])),
        migration: {
          ramBytes: parseSize('ram', flags.ram),
          pageSize: 4096,
          channels: 2,
          packetPages: 128,
          dirtyRate: 0,
          hotPages: 512,
          rounds: Math.round(positiveFlag('rounds', flags.rounds, 5)),
          level: 1,
          cpuAmount: 0,
        },
        progress: progress.update,
      };
      const rows = await runFindings(options);
      progress.done();
      const command = `node dist/tools/cli/main.js findings ${process.argv.slice(3).join(' ')}`.trim();
      const markdown = findingsMarkdown(rows, options, command);
      mkdirSync(dirname(flags.out), { recursive: true });
      writeFileSync(flags.out, markdown);
      process.stdout.write(flags.json ? `${JSON.stringify(rows, null, 2)}\n` : markdown);
    });
}
