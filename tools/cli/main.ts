#!/usr/bin/env node
/**
 * The zaccel command line. This module loads only node: built-ins and the
 * command table; the chosen command's module is imported when it runs.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ZaccelError } from '../../src/index.js';
import { packageRoot } from '../../src/internal.js';
import { commandHelp, flag, parseCommand } from './command.js';
import { COMMANDS, GZIP_STYLE, type CommandEntry } from './commands.js';
import { dieOfSignal } from './files.js';
import { EXIT_USAGE, isClosedStdout, reportError } from './report.js';

function version(): string {
  const manifest = JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version: string };
  return `zaccel ${manifest.version}\n`;
}

function generalHelp(): string {
  const width = Math.max(...COMMANDS.map((entry) => entry.name.length));
  return [
    'usage: zaccel COMMAND [options] [arguments]   (zaccel COMMAND --help lists its options)',
    '       zaccel [-d] [-ckf] [-1…-9] [options] [FILE...]   gzip-style: compress, or decompress with -d',
    '',
    'real zlib and an emulated IBM Z DFLTCC accelerator in WebAssembly',
    '',
    'commands:',
    ...COMMANDS.map((entry) => `  ${entry.name.padEnd(width)}  ${entry.summary}`),
    '',
    'options:',
    '  -h, --help     show this help',
    '  -V, --version  print the version',
    '',
    'exit status: 0 done, 1 error, 2 usage error, 128+n killed by signal n',
    '',
  ].join('\n');
}

/** Which command the arguments name, and the arguments left for it. */
function chooseCommand(argv: string[]): { entry: CommandEntry; args: string[] } {
  const [first, ...rest] = argv;
  const entry = COMMANDS.find((candidate) => candidate.name === first);
  if (entry !== undefined) return { entry, args: rest };
  // An option first (or nothing, with stdin a pipe) is gzip's command line; an unknown word is a mistyped command.
  if (first === undefined || first.startsWith('-')) return { entry: GZIP_STYLE, args: argv };
  const names = COMMANDS.map((candidate) => candidate.name).join(', ');
  throw new ZaccelError(
    'ZACCEL_BAD_OPTION',
    `unknown command ${JSON.stringify(first)} (commands: ${names}; zaccel --help)`,
  );
}

async function main(argv: string[]): Promise<void> {
  const [first, second] = argv;
  if (first === '-V' || first === '--version') {
    process.stdout.write(version());
    return;
  }
  if (first === '-h' || first === '--help' || (first === 'help' && second === undefined)) {
    process.stdout.write(generalHelp());
    return;
  }
  if (first === 'help') {
    await main([second, '--help']);
    return;
  }
  if (first === undefined && process.stdin.isTTY) {
    // Nothing to read and nothing asked: show what there is, as a usage error.
    process.stderr.write(generalHelp());
    process.exitCode = EXIT_USAGE;
    return;
  }
  const { entry, args } = chooseCommand(argv);
  const command = await entry.load();
  const parsed = parseCommand(command.spec, args);
  if (flag(parsed, 'help')) {
    process.stdout.write(commandHelp(command.spec, entry.summary));
    return;
  }
  await command.run(parsed);
}

// A reader that goes away (`zaccel compress big | head -c1`) ends us quietly, as SIGPIPE ends gzip.
process.stdout.on('error', (error) => {
  if (isClosedStdout(error)) dieOfSignal('SIGPIPE');
  else process.exitCode = reportError(error);
});

try {
  await main(process.argv.slice(2));
} catch (error) {
  if (isClosedStdout(error)) dieOfSignal('SIGPIPE');
  else process.exitCode = reportError(error);
}
