/**
 * `zaccel compress`, `zaccel decompress`, and `zaccel -d …` / `zaccel -9 …`:
 * files or stdin through the library, with gzip's habits.
 *
 * Where the output goes, for each input:
 * - `-c`: stdout; `-o FILE`: FILE (one input only). The input is kept.
 * - stdin (no file, or `-`): stdout, unless `-o`.
 * - otherwise gzip's rule: FILE → FILE.gz, or FILE.gz → FILE; the output gets
 *   the input's mode and times, and the input is removed once the output is
 *   in place, unless `-k`.
 * An existing output is refused without `-f`. Several files are processed in
 * turn; one that fails is reported and the rest still run (gzip does too).
 */
import { createReadStream, lstatSync, statSync, unlinkSync, type Stats } from 'node:fs';
import { basename } from 'node:path';
import type { Readable, Transform, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  type AccessModel,
  type CopyPolicy,
  createDeflateCore,
  createInflateCore,
  type EngineName,
  engineNames,
  type Format,
  type InflateFormat,
  type Level,
  type Strategy,
  ZaccelError,
} from '../../src/index.js';
import { badOption } from '../../src/internal.js';
import { coreTransform } from './core-transform.js';
import { flag, text, type Command, type CommandSpec, type OptionSpec, type ParsedArgs } from './command.js';
import { atomicOutput, removeTemporaryFilesOnSignals } from './files.js';
import { choice, integerFlag, integerInRange } from './options.js';
import { EXIT_ERROR, isClosedStdout, reportError } from './report.js';

/** Output chunk size for the CLI: large, for throughput. */
const CLI_CHUNK = 256 * 1024;

/** zlib's strategies by name; the index is zlib's number (Z_DEFAULT_STRATEGY = 0 … Z_FIXED = 4). */
const STRATEGIES = ['default', 'filtered', 'huffman-only', 'rle', 'fixed'] as const;

/** The suffix `compress FILE` appends, by format (pigz's .zz for zlib; raw deflate has no custom: .deflate). */
const COMPRESSED_SUFFIX: Record<Format, string> = { gzip: '.gz', zlib: '.zz', raw: '.deflate' };

/** Suffixes `decompress FILE` recognises, what replaces each, and the formats they stand for. */
const KNOWN_SUFFIXES: { suffix: string; replacement: string; formats: InflateFormat[] }[] = [
  { suffix: '.gz', replacement: '', formats: ['gzip', 'auto'] },
  { suffix: '.tgz', replacement: '.tar', formats: ['gzip', 'auto'] },
  { suffix: '-gz', replacement: '', formats: ['gzip', 'auto'] },
  { suffix: '.z', replacement: '', formats: ['gzip', 'auto'] },
  { suffix: '.zz', replacement: '', formats: ['zlib', 'auto'] },
  { suffix: '.deflate', replacement: '', formats: ['raw'] },
];

/** Options that only compress uses, and the one only decompress uses: giving them to the other is a usage error. */
const COMPRESS_ONLY = ['level', 'fast', 'best', 'strategy', 'window-bits', 'mem-level', 'copy'];
const DECOMPRESS_ONLY = ['max-output'];
const LEVEL_SWITCHES = ['1', '2', '3', '4', '5', '6', '7', '8', '9'];

const options: OptionSpec[] = [
  { name: 'decompress', short: 'd', description: 'decompress (`zaccel -d` is `zaccel decompress`)' },
  { name: 'stdout', short: 'c', description: 'write to stdout and keep the input files' },
  {
    name: 'keep',
    short: 'k',
    description: 'keep the input files (FILE → FILE.gz removes FILE once FILE.gz is complete)',
  },
  {
    name: 'force',
    short: 'f',
    description: 'overwrite existing outputs; write compressed data to a terminal; compress FILE.gz again',
  },
  {
    name: 'output',
    short: 'o',
    value: 'FILE',
    description: 'write to FILE instead (one input only; the input is kept; - is stdout)',
  },
  {
    name: 'suffix',
    short: 'S',
    value: 'SUF',
    description: 'suffix of compressed files (default .gz; .zz for zlib, .deflate for raw)',
  },
  ...LEVEL_SWITCHES.map((digit) => ({ name: digit, short: digit, description: `level ${digit}`, hidden: true })),
  { name: 'fast', description: 'compress: level 1, the same as -1' },
  { name: 'best', description: 'compress: level 9, the same as -9' },
  { name: 'level', value: 'N', description: "compress: level -1 (zlib's default, 6) to 9; default -1" },
  {
    name: 'format',
    value: 'FORMAT',
    description:
      'gzip (the default), zlib or raw; decompress also takes auto (gzip or zlib, from the header: its default)',
  },
  {
    name: 'strategy',
    value: 'NAME',
    description: `compress: zlib strategy ${STRATEGIES.join(', ')} (or its number, 0 to 4); the first is the default`,
  },
  { name: 'window-bits', value: 'N', description: 'compress: window size, 9 to 15 (512 bytes to 32 KiB); default 15' },
  { name: 'mem-level', value: 'N', description: 'compress: memory level, 1 to 9; default 8' },
  { name: 'engine', short: 'e', value: 'NAME', description: `${engineNames().join(' or ')}; default zlib` },
  {
    name: 'model',
    value: 'MODEL',
    description: 'dfltcc: the emulator access model, single or multiple; default multiple',
  },
  {
    name: 'cpu-amount',
    value: 'BYTES',
    description: 'dfltcc: bytes processed before the emulator returns CC3 (0: unbounded); default 0',
  },
  { name: 'copy', value: 'POLICY', description: 'compress: copy policy auto, always or never; default auto' },
  { name: 'max-output', value: 'BYTES', description: 'decompress: fail with ZACCEL_OUTPUT_LIMIT past this many bytes' },
];

const notes = [
  'With no FILE, or when FILE is -, read stdin and write stdout (or -o). Otherwise FILE becomes FILE.gz (FILE.gz becomes',
  "FILE), with FILE's mode and times, and FILE is removed once FILE.gz is complete, unless -k, -c or -o. An existing",
  'output is refused unless -f. Exit status: 0 done, 1 error, 2 usage error (or an output refused), 128+n killed by',
  'signal n (partial files removed).',
].join('\n');

const extraHelp = ['-1 … -9\tcompress: level 1 (fastest) to 9 (smallest); the last level given wins'];

function spec(name: string, usage: string): CommandSpec {
  return { name, usage, maxPositionals: Infinity, options, extraHelp, notes: [notes] };
}

export const compressCommand: Command = {
  spec: spec('compress', 'zaccel compress [options] [FILE...]'),
  run: (args) => runCodec(args, flag(args, 'decompress')),
};

export const decompressCommand: Command = {
  spec: spec('decompress', 'zaccel decompress [options] [FILE...]'),
  run: (args) => runCodec(args, true),
};

/** `zaccel -d FILE`, `zaccel -9 FILE`: gzip's own command line, without a command name. */
export const gzipStyleCommand: Command = {
  spec: spec('', 'zaccel [-d] [-ckf] [-1…-9] [options] [FILE...]'),
  run: (args) => runCodec(args, flag(args, 'decompress')),
};

interface CodecSettings {
  decompress: boolean;
  toStdout: boolean;
  output: string | undefined;
  keep: boolean;
  force: boolean;
  suffix: string | undefined;
  /** A new transform per input. */
  transform(): Transform;
  format: InflateFormat;
}

/** The level from -1 … -9, --fast, --best and --level: the last one given wins, as in gzip. */
function chosenLevel(args: ParsedArgs): Level {
  let level: Level = -1;
  for (const name of args.order) {
    if (LEVEL_SWITCHES.includes(name)) level = Number(name) as Level;
    else if (name === 'fast') level = 1;
    else if (name === 'best') level = 9;
    else if (name === 'level') level = integerInRange('level', text(args, 'level') ?? '', -1, 9) as Level;
  }
  return level;
}

function strategy(value: string): Strategy {
  const byName = STRATEGIES.indexOf(value as (typeof STRATEGIES)[number]);
  if (byName >= 0) return byName as Strategy;
  if (/^[0-4]$/.test(value)) return Number(value) as Strategy;
  throw badOption('strategy', value, `${STRATEGIES.join(', ')} or 0 to 4`);
}

/** Check every option before touching any file: a usage error exits 2 having done nothing. */
function settingsFrom(args: ParsedArgs, decompress: boolean): CodecSettings {
  const mode = decompress ? 'decompress' : 'compress';
  for (const name of decompress ? COMPRESS_ONLY : DECOMPRESS_ONLY) {
    if (args.values[name] !== undefined)
      throw new ZaccelError('ZACCEL_BAD_OPTION', `--${name} does not apply to ${mode}`);
  }
  const named = text(args, 'output');
  if (flag(args, 'stdout') && named !== undefined)
    throw new ZaccelError('ZACCEL_BAD_OPTION', '-c and -o cannot be used together');
  // `-o -` is stdout, as `-` is stdin.
  const toStdout = flag(args, 'stdout') || named === '-';
  const output = named === '-' ? undefined : named;
  if (output !== undefined && args.positionals.length > 1)
    throw new ZaccelError('ZACCEL_BAD_OPTION', '-o takes one input file, not several');
  const suffix = text(args, 'suffix');
  if (suffix !== undefined && (suffix === '' || suffix.includes('/')))
    throw badOption('suffix', suffix, 'a non-empty suffix without /');
  const emulator = {
    engine: choice<EngineName>('engine', text(args, 'engine') ?? 'zlib', engineNames()),
    dfltccModel: choice<AccessModel>('model', text(args, 'model') ?? 'multiple', ['single', 'multiple']),
    cpuAmount: integerFlag('cpu-amount', text(args, 'cpu-amount') ?? '0'),
    chunkSize: CLI_CHUNK,
  };
  const common = { decompress, toStdout, output, keep: flag(args, 'keep'), force: flag(args, 'force'), suffix };
  if (decompress) {
    const format = choice<InflateFormat>('format', text(args, 'format') ?? 'auto', ['raw', 'zlib', 'gzip', 'auto']);
    const maxOutput = text(args, 'max-output');
    const maxOutputLength =
      maxOutput === undefined ? undefined : integerInRange('max-output', maxOutput, 0, Number.MAX_SAFE_INTEGER);
    return {
      ...common,
      format,
      transform: () => coreTransform(createInflateCore(format, { ...emulator, maxOutputLength })),
    };
  }
  const format = choice<Format>('format', text(args, 'format') ?? 'gzip', ['raw', 'zlib', 'gzip']);
  const deflateOptions = {
    ...emulator,
    level: chosenLevel(args),
    strategy: strategy(text(args, 'strategy') ?? 'default'),
    // zlib takes 8 only for the zlib format and turns it into 9; node:zlib turns 8 into 9 for raw too. 9 is the true floor.
    windowBits: integerInRange('window-bits', text(args, 'window-bits') ?? '15', 9, 15),
    memLevel: integerInRange('mem-level', text(args, 'mem-level') ?? '8', 1, 9),
    copy: choice<CopyPolicy>('copy', text(args, 'copy') ?? 'auto', ['auto', 'always', 'never']),
  };
  return { ...common, format, transform: () => coreTransform(createDeflateCore(format, deflateOptions)) };
}

/** gzip's name for the output of FILE, or a usage error saying why there is none. */
function derivedOutput(input: string, settings: CodecSettings): string {
  if (!settings.decompress) {
    const suffix = settings.suffix ?? COMPRESSED_SUFFIX[settings.format as Format];
    if (input.endsWith(suffix) && !settings.force) {
      throw new ZaccelError(
        'ZACCEL_BAD_OPTION',
        `${input} already has the ${suffix} suffix; unchanged (-f compresses it again)`,
      );
    }
    return `${input}${suffix}`;
  }
  const known =
    settings.suffix === undefined
      ? KNOWN_SUFFIXES.filter((entry) => entry.formats.includes(settings.format))
      : [{ suffix: settings.suffix, replacement: '' }];
  const match = known.find((entry) => basename(input).length > entry.suffix.length && input.endsWith(entry.suffix));
  if (match === undefined) {
    const names = known.map((entry) => entry.suffix).join(', ');
    throw new ZaccelError(
      'ZACCEL_BAD_OPTION',
      `${input} has no known suffix (${names}); unchanged (use -c, -o FILE or -S SUF)`,
    );
  }
  return input.slice(0, input.length - match.suffix.length) + match.replacement;
}

/** Run the source through the transform to stdout, keeping stdout open for the next input. */
async function toStdout(source: Readable, transform: Transform, settings: CodecSettings): Promise<void> {
  if (!settings.decompress && process.stdout.isTTY && !settings.force) {
    throw new ZaccelError(
      'ZACCEL_BAD_OPTION',
      'compressed data is not written to a terminal (use -o FILE, a pipe, or -f)',
    );
  }
  await pipeline(source, transform, process.stdout as Writable, { end: false });
}

/** Run the source through the transform into a file that appears only if everything succeeded. */
async function toFile(
  source: Readable,
  transform: Transform,
  target: string,
  force: boolean,
  like?: Stats,
): Promise<void> {
  const output = atomicOutput(target, force);
  try {
    await pipeline(source, transform, output.stream);
    await output.commit(like);
  } catch (error) {
    await output.discard();
    throw error;
  }
}

async function processOne(input: string, settings: CodecSettings): Promise<void> {
  if (input === '-') {
    if (settings.decompress && process.stdin.isTTY && !settings.force) {
      throw new ZaccelError(
        'ZACCEL_BAD_OPTION',
        'compressed data is not read from a terminal (give a FILE, a pipe, or -f)',
      );
    }
    if (settings.output === undefined) return toStdout(process.stdin, settings.transform(), settings);
    return toFile(process.stdin, settings.transform(), settings.output, settings.force);
  }
  const stats = statSync(input);
  if (stats.isDirectory()) throw new ZaccelError('ZACCEL_BAD_OPTION', `${input} is a directory; ignored`);
  // As gzip: FILE → FILE.gz would remove the link and keep its target's contents under the link's name; -f allows it.
  const derived = !settings.toStdout && settings.output === undefined;
  if (derived && !settings.force && lstatSync(input).isSymbolicLink()) {
    throw new ZaccelError('ZACCEL_BAD_OPTION', `${input} is a symbolic link; ignored (-f follows it)`);
  }
  if (settings.toStdout) return toStdout(createReadStream(input), settings.transform(), settings);
  if (settings.output !== undefined)
    return toFile(createReadStream(input), settings.transform(), settings.output, settings.force);
  await toFile(createReadStream(input), settings.transform(), derivedOutput(input, settings), settings.force, stats);
  if (!settings.keep) unlinkSync(input);
}

async function runCodec(args: ParsedArgs, decompress: boolean): Promise<void> {
  const settings = settingsFrom(args, decompress);
  removeTemporaryFilesOnSignals();
  const inputs = args.positionals.length === 0 ? ['-'] : args.positionals;
  // gzip's rule for several files: report each failure, go on, and exit 1 if any failed, else 2 if any was refused.
  let worst = 0;
  for (const input of inputs) {
    try {
      await processOne(input, settings);
    } catch (error) {
      if (isClosedStdout(error)) throw error;
      const status = reportError(error, input === '-' ? undefined : input);
      worst = worst === EXIT_ERROR || status === EXIT_ERROR ? EXIT_ERROR : status;
    }
  }
  if (worst !== 0) process.exitCode = worst;
}
