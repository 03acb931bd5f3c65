/**
 * `zaccel migrate`: the multifd live-migration simulator.
 */
import { badOption } from '../../src/internal.js';
import type { MigrateOptions, WritePattern } from '../migrate/protocol.js';
import { runMigration, type MigrateResult } from '../migrate/simulator.js';
import { camelFlags, type Command, type CommandSpec } from './command.js';
import { engineChoice, engineOptionSpecs, type EngineFlags } from './engine-options.js';
import { choice, integerFlag, positiveFlag } from './options.js';
import { progressLine } from './progress.js';

interface MigrateFlags extends EngineFlags {
  ram: string;
  pageSize: string;
  channels: string;
  packetPages: string;
  dirtyRate: string;
  hotPages: string;
  pattern: string;
  rounds: string;
  seed: string;
  level: string;
  json?: boolean;
}

/** "64M", "64MiB", "1G", "65536": bytes. */
export function parseSize(name: string, text: string): number {
  const match = /^(\d+(?:\.\d+)?)\s*([kmg]?)(i?b)?$/i.exec(text.trim());
  if (match === null) throw badOption(name, text, 'a size such as 65536, 512K, 64M or 1G');
  const scale = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[match[2].toLowerCase() as '' | 'k' | 'm' | 'g'];
  return Math.round(Number(match[1]) * scale);
}

export function describeMigration(result: MigrateResult): string {
  const { options } = result;
  const engine = options.engine === 'dfltcc' ? `dfltcc (${options.model})` : options.engine;
  const throughput = result.bytesIn / result.seconds / 1e6;
  const copyShare = result.compressNanoseconds === 0 ? 0 : result.copyNanoseconds / result.compressNanoseconds;
  return [
    `${engine}, copy ${options.copy}: ${(options.ramBytes / 2 ** 20).toFixed(0)} MiB of ${options.pageSize}-byte pages over ${options.channels} channels`,
    `rounds ${result.rounds}${result.converged ? ' (converged)' : ' (round limit)'}, pages sent ${result.pagesSent} (${result.pagesResent} pages more than once), guest writes ${result.guestWrites}`,
    `${result.bytesIn} bytes in, ${result.bytesOut} bytes out, ${throughput.toFixed(1)} MB/s; copies ${result.copies} (${result.copyBytes} bytes, ${(100 * copyShare).toFixed(2)}% of compress time)`,
    `corrupted pages ${result.corruptedPages}${result.firstCorruptedPage === null ? '' : ` (first: page ${result.firstCorruptedPage}; ${result.corruptedUnwrittenPages} never written by the guest)`}, undecodable packets ${result.decodeErrors}; ${result.seconds.toFixed(2)} s`,
  ].join('\n');
}

const spec: CommandSpec = {
  name: 'migrate',
  usage: 'zaccel migrate [options]',
  maxPositionals: 0,
  options: [
    ...engineOptionSpecs('auto'),
    { name: 'ram', value: 'SIZE', description: 'guest RAM', default: '64M' },
    { name: 'page-size', value: 'BYTES', description: 'page size', default: '4096' },
    {
      name: 'channels',
      value: 'N',
      description: 'multifd channels, each a thread with one persistent deflate stream',
      default: '2',
    },
    {
      name: 'packet-pages',
      value: 'N',
      description: 'pages per packet; each packet ends with Z_SYNC_FLUSH',
      default: '128',
    },
    {
      name: 'dirty-rate',
      value: 'PAGES_S',
      description: 'pages the guest writes per second (0: as fast as it can)',
      default: '0',
    },
    {
      name: 'hot-pages',
      value: 'N',
      description: "the guest's working set: 90% of writes land in these pages",
      default: '512',
    },
    {
      name: 'pattern',
      value: 'PATTERN',
      description:
        "counter (QEMU migration-test's guest: first byte of page after page +1), copy (change a page, copy it to the next), increment (every byte of a page +1) or patch (one 8-byte word)",
      default: 'counter',
    },
    { name: 'rounds', value: 'N', description: 'live rounds before the guest is stopped, at most', default: '10' },
    { name: 'seed', value: 'N', description: 'seed for the guest RAM contents and the write pattern', default: '1' },
    { name: 'level', value: 'LEVEL', description: 'compression level', default: '1' },
    { name: 'json', description: 'print the result as JSON' },
  ],
};

export const migrateCommand: Command = {
  spec,
  async run(args) {
    const flags = camelFlags<MigrateFlags>(spec, args);
    const pageSize = integerFlag('page-size', flags.pageSize);
    if (pageSize < 512 || pageSize > 1 << 20 || (pageSize & (pageSize - 1)) !== 0)
      throw badOption('page-size', pageSize, 'a power of two from 512 to 1 MiB');
    const options: MigrateOptions = {
      ...engineChoice(flags),
      ramBytes: parseSize('ram', flags.ram),
      pageSize,
      channels: Math.round(positiveFlag('channels', flags.channels, 2)),
      packetPages: Math.round(positiveFlag('packet-pages', flags.packetPages, 128)),
      dirtyRate: Math.max(0, integerFlag('dirty-rate', flags.dirtyRate)),
      hotPages: Math.round(positiveFlag('hot-pages', flags.hotPages, 512)),
      pattern: choice<WritePattern>('pattern', flags.pattern, ['counter', 'copy', 'increment', 'patch']),
      rounds: Math.round(positiveFlag('rounds', flags.rounds, 10)),
      seed: integerFlag('seed', flags.seed),
      level: integerFlag('level', flags.level),
    };
    if (options.ramBytes < pageSize || options.ramBytes > 512 * 2 ** 20)
      throw badOption('ram', flags.ram, 'at least one page and at most 512M');
    if (options.channels > 16) throw badOption('channels', options.channels, 'at most 16');
    if (options.level < -1 || options.level > 9) throw badOption('level', options.level, 'an integer from -1 to 9');
    const progress = progressLine();
    const result = await runMigration(options, (round, dirty, sent) =>
      progress.update(`round ${round}: ${dirty} pages dirty, ${sent} pages sent`),
    );
    progress.done();
    process.stdout.write(flags.json ? `${JSON.stringify(result, null, 2)}\n` : `${describeMigration(result)}\n`);
  },
};
