#!/usr/bin/env node
/**
 * The zaccel command line.
 */
import { Command, CommanderError } from 'commander';
import { isZaccelError } from '../../src/errors.js';
import { registerBenchCommand } from './bench-command.js';
import { registerCodecCommands } from './codec-commands.js';
import { registerFindingsCommand } from './findings-command.js';
import { registerHazardCommand } from './hazard-command.js';
import { registerMigrateCommand } from './migrate-command.js';
import { registerServeCommand } from './serve-command.js';

const program = new Command()
  .name('zaccel')
  .description('real zlib and an emulated IBM Z DFLTCC accelerator in WebAssembly')
  .exitOverride();

registerCodecCommands(program);
registerBenchCommand(program);
registerHazardCommand(program);
registerMigrateCommand(program);
registerFindingsCommand(program);
registerServeCommand(program);

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) {
    process.exitCode = error.exitCode;
  } else if (isZaccelError(error)) {
    process.stderr.write(`zaccel: ${error.zaccelCode}: ${error.message}\n`);
    process.exitCode = error.zaccelCode === 'ZACCEL_BAD_OPTION' ? 2 : 1;
  } else {
    const code = (error as NodeJS.ErrnoException).code;
    process.stderr.write(`zaccel: ${code ? `${code}: ` : ''}${(error as Error).message}\n`);
    process.exitCode = 1;
  }
}
