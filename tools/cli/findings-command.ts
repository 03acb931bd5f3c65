/**
 * `zaccel findings`: run the hazard and migration matrix and write
 * docs/FINDINGS.md from the runs.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { findingsMarkdown, runFindings, type FindingsOptions } from '../findings/findings.js';
import { camelFlags, type Command, type CommandSpec } from './command.js';
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

const spec: CommandSpec = {
  name: 'findings',
  usage: 'zaccel findings [options]',
  maxPositionals: 0,
  options: [
    { name: 'out', value: 'FILE', description: 'where to write the Markdown', default: 'docs/FINDINGS.md' },
    { name: 'seeds', value: 'LIST', description: 'migration seeds, comma-separated', default: '1,2,3' },
    { name: 'seconds', value: 'S', description: 'real-thread hazard time per configuration', default: '2' },
    { name: 'ram', value: 'SIZE', description: 'guest RAM per migration', default: '32M' },
    { name: 'rounds', value: 'N', description: 'live rounds per migration', default: '5' },
    {
      name: 'patterns',
      value: 'LIST',
      description: 'guest write patterns, comma-separated (counter, copy, increment, patch)',
      default: 'counter,copy',
    },
    { name: 'json', description: 'also print the raw results as JSON' },
  ],
};

export const findingsCommand: Command = {
  spec,
  async run(args) {
    const flags = camelFlags<FindingsFlags>(spec, args);
    const progress = progressLine();
    const options: FindingsOptions = {
      seeds: flags.seeds.split(',').map((seed) => Math.round(positiveFlag('seeds', seed, 1))),
      hazardSeconds: positiveFlag('seconds', flags.seconds, 2),
      patterns: flags.patterns
        .split(',')
        .map((pattern) => choice<WritePattern>('patterns', pattern.trim(), ['counter', 'copy', 'increment', 'patch'])),
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
  },
};
