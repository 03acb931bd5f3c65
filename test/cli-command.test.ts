/**
 * The CLI's option parsing (tools/cli/command.ts) in-process: parseArgs
 * behind an option table, negative numbers as values, the order of level
 * switches, coded usage errors, and help written from the same table.
 */
import { describe, expect, test } from 'vitest';
import { camelFlags, commandHelp, parseCommand, type CommandSpec } from '../tools/cli/command.js';

const spec: CommandSpec = {
  name: 'demo',
  usage: 'zaccel demo [options] [FILE]',
  maxPositionals: 1,
  options: [
    { name: 'level', value: 'N', description: 'a level' },
    { name: 'output', short: 'o', value: 'FILE', description: 'where' },
    { name: 'keep', short: 'k', description: 'keep it' },
    { name: 'file', value: 'PATH', repeatable: true, description: 'more files' },
    { name: 'mem-level', value: 'N', description: 'memory', default: '8' },
    { name: '9', short: '9', description: 'best', hidden: true },
  ],
};

describe('parseCommand', () => {
  test('values, switches, grouped short flags, repeatable options and positionals', () => {
    const parsed = parseCommand(spec, ['-k9', '-o', 'out', '--file', 'a', '--file=b', 'input']);
    expect(parsed.values).toMatchObject({ keep: true, 9: true, output: 'out', file: ['a', 'b'] });
    expect(parsed.positionals).toEqual(['input']);
    expect(parsed.order).toEqual(['keep', '9', 'output', 'file', 'file']);
  });

  test('a negative number after an option is its value, not an option', () => {
    expect(parseCommand(spec, ['--level', '-1']).values.level).toBe('-1');
    expect(parseCommand(spec, ['-o', '-2']).values.output).toBe('-2');
    expect(parseCommand({ ...spec, maxPositionals: Infinity }, ['--', '--level', '-1']).positionals).toEqual([
      '--level',
      '-1',
    ]);
  });

  test('unknown options, missing values and extra arguments are ZACCEL_BAD_OPTION, naming the problem', () => {
    expect(() => parseCommand(spec, ['-l', '3'])).toThrow(
      expect.objectContaining({
        zaccelCode: 'ZACCEL_BAD_OPTION',
        message: expect.stringMatching(/^unknown option -l \(zaccel demo --help/),
      }),
    );
    expect(() => parseCommand(spec, ['--output'])).toThrow(
      expect.objectContaining({ zaccelCode: 'ZACCEL_BAD_OPTION' }),
    );
    expect(() => parseCommand(spec, ['a', 'b'])).toThrow(
      expect.objectContaining({
        zaccelCode: 'ZACCEL_BAD_OPTION',
        message: expect.stringMatching(/unexpected argument "b"/),
      }),
    );
  });

  test('camelFlags fills in defaults under camelCase names', () => {
    expect(camelFlags(spec, parseCommand(spec, []))).toMatchObject({ memLevel: '8', keep: undefined });
    expect(camelFlags(spec, parseCommand(spec, ['--mem-level', '3']))).toMatchObject({ memLevel: '3' });
  });
});

test('commandHelp lists every option that is not hidden, with its default, and -h', () => {
  const help = commandHelp(spec, 'a demo');
  expect(help).toMatch(/^usage: zaccel demo \[options\] \[FILE\]\n\na demo\n\noptions:\n/);
  expect(help).toMatch(/^ {2}-o, --output FILE +where$/m);
  expect(help).toMatch(/^ {6}--mem-level N +memory \(default 8\)$/m);
  expect(help).toMatch(/^ {2}-h, --help +show this help$/m);
  expect(help).not.toMatch(/--9/);
});
