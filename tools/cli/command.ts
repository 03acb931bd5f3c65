/**
 * The CLI's one way to declare a command: its options in a table, parsed by
 * node:util's parseArgs (no third-party parser, so `zaccel compress` loads
 * nothing from node_modules), and its help written from the same table.
 * Every parsing failure becomes ZACCEL_BAD_OPTION, which exits 2.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { ZaccelError } from '../../src/index.js';

export interface OptionSpec {
  /** The long name, without dashes: `window-bits`. */
  name: string;
  /** One character: `o` for `-o`. */
  short?: string;
  /** The value's placeholder in the help (`FILE`); a switch when absent. */
  value?: string;
  description: string;
  /** The value when the option is not given, shown in the help. */
  default?: string;
  /** May be given more than once; the values arrive in order. */
  repeatable?: boolean;
  /** Left out of the help (the `-1` … `-9` switches are described by one line of their own). */
  hidden?: boolean;
}

export interface CommandSpec {
  /** The command's name, as typed after `zaccel` (empty for gzip-style `zaccel -d FILE`). */
  name: string;
  /** The synopsis after `usage:`. */
  usage: string;
  /** Positional arguments accepted at most (Infinity for a list of files). */
  maxPositionals: number;
  options: OptionSpec[];
  /** Extra help lines for options that are not one row each. */
  extraHelp?: string[];
  /** Paragraphs after the options. */
  notes?: string[];
}

export interface ParsedArgs {
  values: Record<string, string | boolean | string[] | undefined>;
  positionals: string[];
  /** Option names in the order given: the last of `-1` … `-9` wins, as in gzip. */
  order: string[];
}

/** A command: its table, and what it does once parsed. Modules load only when their command runs. */
export interface Command {
  spec: CommandSpec;
  run(args: ParsedArgs): Promise<void>;
}

const HELP: OptionSpec = { name: 'help', short: 'h', description: 'show this help' };

/**
 * parseArgs refuses `--level -1` as ambiguous. A negative number is never an
 * option here, so it is joined to the option before it, as `--level=-1`.
 */
function joinNegativeValues(args: string[], options: OptionSpec[]): string[] {
  const takesValue = new Set<string>();
  for (const option of options) {
    if (option.value === undefined) continue;
    takesValue.add(`--${option.name}`);
    if (option.short !== undefined) takesValue.add(`-${option.short}`);
  }
  const joined: string[] = [];
  for (let index = 0; index < args.length; index++) {
    const arg = args[index];
    if (arg === '--') {
      joined.push(...args.slice(index));
      break;
    }
    const next = args[index + 1];
    if (takesValue.has(arg) && next !== undefined && /^-\d+$/.test(next)) {
      joined.push(arg.startsWith('--') ? `${arg}=${next}` : `${arg}${next}`);
      index++;
    } else {
      joined.push(arg);
    }
  }
  return joined;
}

/** Parse a command's arguments (after the command name). Throws ZACCEL_BAD_OPTION on anything it does not accept. */
export function parseCommand(spec: CommandSpec, args: string[]): ParsedArgs {
  const all = [...spec.options, HELP];
  const options: NonNullable<ParseArgsConfig['options']> = {};
  for (const option of all) {
    options[option.name] = {
      type: option.value === undefined ? 'boolean' : 'string',
      multiple: option.repeatable === true,
    };
    if (option.short !== undefined) options[option.name].short = option.short;
  }
  const parse = () => {
    try {
      return parseArgs({
        args: joinNegativeValues(args, all),
        options,
        allowPositionals: true,
        strict: true,
        tokens: true,
      });
    } catch (error) {
      // parseArgs's first line names the problem; its advice about '--' only confuses a mistyped flag.
      const unknown = /^Unknown option '([^']+)'/.exec((error as Error).message);
      const problem = unknown === null ? (error as Error).message.split('\n')[0] : `unknown option ${unknown[1]}`;
      throw new ZaccelError(
        'ZACCEL_BAD_OPTION',
        `${problem} (${['zaccel', spec.name, '--help'].filter(Boolean).join(' ')} lists the options)`,
      );
    }
  };
  const parsed = parse();
  if (parsed.values.help !== true && parsed.positionals.length > spec.maxPositionals) {
    const extra = parsed.positionals[spec.maxPositionals];
    throw new ZaccelError('ZACCEL_BAD_OPTION', `unexpected argument ${JSON.stringify(extra)} (usage: ${spec.usage})`);
  }
  const order = (parsed.tokens ?? []).flatMap((token) => (token.kind === 'option' ? [token.name] : []));
  return { values: parsed.values as ParsedArgs['values'], positionals: parsed.positionals, order };
}

/** The help text of a command, from its option table; the summary is the command list's (commands.ts). */
export function commandHelp(spec: CommandSpec, summary: string): string {
  const rows = [...spec.options, HELP]
    .filter((option) => option.hidden !== true)
    .map((option) => {
      const long = `--${option.name}${option.value === undefined ? '' : ` ${option.value}`}`;
      const description =
        option.default === undefined ? option.description : `${option.description} (default ${option.default})`;
      return [option.short === undefined ? `    ${long}` : `-${option.short}, ${long}`, description];
    });
  const extra = (spec.extraHelp ?? []).map((line) => line.split('\t'));
  const table = [...extra, ...rows];
  const width = Math.min(30, Math.max(...table.map(([label]) => label.length)));
  const lines = table.map(([label, text]) =>
    label.length > width ? `  ${label}\n  ${' '.repeat(width)}  ${text}` : `  ${label.padEnd(width)}  ${text}`,
  );
  return [
    `usage: ${spec.usage}`,
    '',
    summary,
    '',
    'options:',
    ...lines,
    ...(spec.notes ?? []).flatMap((note) => ['', note]),
    '',
  ].join('\n');
}

/** A value option's value: the last one given, as a repeated flag overrides the earlier one. */
export function text(args: ParsedArgs, name: string): string | undefined {
  const value = args.values[name];
  if (Array.isArray(value)) return value[value.length - 1];
  return typeof value === 'string' ? value : undefined;
}

/** Whether a switch was given. */
export function flag(args: ParsedArgs, name: string): boolean {
  return args.values[name] === true;
}

/** `--max-body` → `maxBody`. */
export const camelCase = (name: string) => name.replace(/-([a-z])/g, (_match, letter: string) => letter.toUpperCase());

/** The values by camelCase name, defaults filled in: the shape the commands' flag interfaces describe. */
export function camelFlags<T>(spec: CommandSpec, args: ParsedArgs): T {
  const flags: Record<string, string | boolean | string[] | undefined> = {};
  for (const option of spec.options) flags[camelCase(option.name)] = args.values[option.name] ?? option.default;
  return flags as T;
}
