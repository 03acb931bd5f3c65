/**
 * The CLI's commands: each name with its one-line summary and a loader.
 * A command's module, and whatever it imports, loads only when that command
 * runs: `zaccel compress` never loads the benchmark, the service or any
 * third-party package.
 */
import type { Command } from './command.js';

export interface CommandEntry {
  name: string;
  summary: string;
  load(): Promise<Command>;
}

export const COMMANDS: CommandEntry[] = [
  {
    name: 'compress',
    summary: 'compress files or stdin with zlib or the emulated DFLTCC accelerator (-d decompresses)',
    load: async () => (await import('./codec-commands.js')).compressCommand,
  },
  {
    name: 'decompress',
    summary: 'decompress gzip, zlib or raw deflate files or stdin',
    load: async () => (await import('./codec-commands.js')).decompressCommand,
  },
  {
    name: 'bench',
    summary: "benchmark zaccel's engines against native zlib (gcc, same source), node:zlib, pako and fflate",
    load: async () => (await import('./bench-command.js')).benchCommand,
  },
  {
    name: 'hazard',
    summary: "zlib-ng's test_deflate_concurrency: compress a buffer while another thread writes it",
    load: async () => (await import('./hazard-command.js')).hazardCommand,
  },
  {
    name: 'migrate',
    summary: 'simulate QEMU multifd live migration: compress guest RAM while the guest writes it',
    load: async () => (await import('./migrate-command.js')).migrateCommand,
  },
  {
    name: 'findings',
    summary: 'run the hazard and migration matrix and write docs/FINDINGS.md',
    load: async () => (await import('./findings-command.js')).findingsCommand,
  },
  {
    name: 'serve',
    summary: 'run the HTTP service (flags override the ZACCEL_* environment variables)',
    load: async () => (await import('./serve-command.js')).serveCommand,
  },
];

/** `zaccel -d FILE`, `zaccel -9 FILE`: gzip's command line, without a command name. */
export const GZIP_STYLE: CommandEntry = {
  name: '',
  summary: 'gzip-style: compress files or stdin, or decompress them with -d',
  load: async () => (await import('./codec-commands.js')).gzipStyleCommand,
};
