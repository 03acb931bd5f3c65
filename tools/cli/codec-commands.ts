/**
 * `zaccel compress` and `zaccel decompress`: a file or stdin in, `-o` or
 * stdout out, streamed through the library.
 */
import { createReadStream } from 'node:fs';
import type { Readable, Transform, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Command } from 'commander';
import { DeflateStream, InflateStream } from '../../src/api/node-streams.js';
import type { CopyPolicy } from '../../src/core/copy-policy.js';
import type { AccessModel, EngineName, Format, InflateFormat } from '../../src/engines/engine.js';
import { badOption } from '../../src/errors.js';
import { choice, integerFlag } from './options.js';
import type { Level, Strategy } from '../../src/constants.js';
import { atomicOutput } from './files.js';

/** Output chunk size for the CLI: large, for throughput. */
const CLI_CHUNK = 256 * 1024;

interface CodecFlags {
  output?: string;
  format: string;
  engine: string;
  model: string;
  cpuAmount: string;
  force?: boolean;
}

/** The dfltcc engine's emulator options, from the flags. */
function emulatorOptions(flags: CodecFlags): { dfltccModel: AccessModel; cpuAmount: number } {
  return {
    dfltccModel: choice<AccessModel>('model', flags.model, ['single', 'multiple']),
    cpuAmount: integerFlag('cpu-amount', flags.cpuAmount),
  };
}

interface CompressFlags extends CodecFlags {
  level: string;
  strategy: string;
  windowBits: string;
  memLevel: string;
  copy: string;
}

interface DecompressFlags extends CodecFlags {
  maxOutput?: string;
}

/** Run input through the transform into the output, which only appears if everything succeeded. */
async function run(input: string | undefined, transform: Transform, output: string | undefined, binaryToTerminal: boolean, force: boolean): Promise<void> {
  const source: Readable = input === undefined || input === '-' ? process.stdin : createReadStream(input);
  if (output === undefined || output === '-') {
    if (binaryToTerminal && process.stdout.isTTY && !force) {
      throw badOption('output', 'a terminal', 'a file (-o) or a pipe: compressed data is not for terminals (use --force)');
    }
    await pipeline(source, transform, process.stdout as Writable, { end: false });
    return;
  }
  const target = atomicOutput(output);
  try {
    await pipeline(source, transform, target.stream);
    await target.commit();
  } catch (error) {
    await target.discard();
    throw error;
  }
}

export function registerCodecCommands(program: Command): void {
  program
    .command('compress')
    .description('compress a file or stdin with zlib or the emulated DFLTCC accelerator')
    .argument('[input]', 'file to compress (default: stdin)')
    .option('-o, --output <file>', 'write here (default: stdout); written only if compression succeeds')
    .option('-f, --format <format>', 'raw, zlib or gzip', 'gzip')
    .option('-l, --level <level>', 'compression level -1..9', '-1')
    .option('--strategy <strategy>', 'zlib strategy 0..4 (default, filtered, huffman-only, rle, fixed)', '0')
    .option('--window-bits <bits>', 'window size, 9..15', '15')
    .option('--mem-level <level>', 'memory level, 1..9', '8')
    .option('-e, --engine <engine>', 'zlib or dfltcc', 'zlib')
    .option('--model <model>', 'dfltcc: the emulator access model, single or multiple', 'multiple')
    .option('--cpu-amount <bytes>', 'dfltcc: bytes processed before the emulator returns CC3 (0: unbounded)', '0')
    .option('--copy <policy>', 'copy policy: auto, always or never', 'auto')
    .option('--force', 'write compressed data even to a terminal')
    .action(async (input: string | undefined, flags: CompressFlags) => {
      const transform = new DeflateStream(choice<Format>('format', flags.format, ['raw', 'zlib', 'gzip']), {
        level: integerFlag('level', flags.level) as Level,
        strategy: integerFlag('strategy', flags.strategy) as Strategy,
        windowBits: integerFlag('window-bits', flags.windowBits),
        memLevel: integerFlag('mem-level', flags.memLevel),
        engine: flags.engine as EngineName,
        copy: flags.copy as CopyPolicy,
        chunkSize: CLI_CHUNK,
        ...emulatorOptions(flags),
      });
      await run(input, transform, flags.output, true, flags.force ?? false);
    });

  program
    .command('decompress')
    .description('decompress a file or stdin')
    .argument('[input]', 'file to decompress (default: stdin)')
    .option('-o, --output <file>', 'write here (default: stdout); written only if the whole stream is valid')
    .option('-f, --format <format>', 'raw, zlib, gzip or auto (zlib or gzip, from the header)', 'auto')
    .option('-e, --engine <engine>', 'zlib or dfltcc', 'zlib')
    .option('--model <model>', 'dfltcc: the emulator access model, single or multiple', 'multiple')
    .option('--cpu-amount <bytes>', 'dfltcc: bytes processed before the emulator returns CC3 (0: unbounded)', '0')
    .option('--max-output <bytes>', 'fail with ZACCEL_OUTPUT_LIMIT past this many bytes')
    .action(async (input: string | undefined, flags: DecompressFlags) => {
      const transform = new InflateStream(choice<InflateFormat>('format', flags.format, ['raw', 'zlib', 'gzip', 'auto']), {
        engine: flags.engine as EngineName,
        maxOutputLength: flags.maxOutput === undefined ? undefined : integerFlag('max-output', flags.maxOutput),
        chunkSize: CLI_CHUNK,
        ...emulatorOptions(flags),
      });
      await run(input, transform, flags.output, false, true);
    });
}
