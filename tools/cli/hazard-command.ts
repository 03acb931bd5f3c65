/**
 * `zaccel hazard`: zlib-ng's concurrency test on zaccel's engines.
 */
import { runHazard } from '../hazard/hazard.js';
import type { HazardResult, MutationPattern } from '../hazard/scenario.js';
import { camelFlags, type Command, type CommandSpec } from './command.js';
import { engineChoice, engineOptionSpecs, type EngineFlags } from './engine-options.js';
import { choice, positiveFlag } from './options.js';
import { progressLine } from './progress.js';

interface HazardFlags extends EngineFlags {
  iterations?: string;
  seconds?: string;
  deterministic?: boolean;
  pattern: string;
  untilCorrupt?: boolean;
  json?: boolean;
}

export function describeHazard(result: HazardResult): string {
  const engine = result.engine === 'dfltcc' ? `dfltcc (${result.model})` : result.engine;
  const copySeconds = result.copyNanoseconds / 1e9;
  return [
    `${engine}, copy ${result.copy}, ${result.mode}, ${result.pattern} writer`,
    `runs ${result.runs}, corrupt ${result.corruptRuns} (${(100 * result.detectionRate).toFixed(1)}%)${result.firstCorruptRun === null ? '' : `, first at run ${result.firstCorruptRun}`}`,
    `copies ${result.copies}, ${result.copyBytes} bytes, ${copySeconds.toFixed(6)} s copying; writer sweeps ${result.mutations}; ${result.seconds.toFixed(2)} s`,
  ].join('\n');
}

const spec: CommandSpec = {
  name: 'hazard',
  usage: 'zaccel hazard [options]',
  maxPositionals: 0,
  options: [
    ...engineOptionSpecs('never'),
    { name: 'iterations', short: 'n', value: 'N', description: 'runs to make' },
    {
      name: 'seconds',
      short: 's',
      value: 'S',
      description: 'run for this long (default 1 s when --iterations is not given)',
    },
    {
      name: 'deterministic',
      description:
        "write at a chosen point instead of racing: inside the emulator's hazard hook (dfltcc) or between calls (zlib)",
    },
    {
      name: 'pattern',
      value: 'PATTERN',
      description:
        "snapshot (the writer increments the first half; the second half is its copy) or sweep (zlib-ng's writer over the whole buffer)",
      default: 'snapshot',
    },
    { name: 'until-corrupt', description: 'stop at the first corrupt run' },
    { name: 'json', description: 'print the result as JSON' },
  ],
};

export const hazardCommand: Command = {
  spec,
  async run(args) {
    const flags = camelFlags<HazardFlags>(spec, args);
    const iterations =
      flags.iterations === undefined ? undefined : Math.round(positiveFlag('iterations', flags.iterations, 1));
    const seconds =
      flags.seconds === undefined
        ? iterations === undefined
          ? 1
          : undefined
        : positiveFlag('seconds', flags.seconds, 1);
    const progress = progressLine();
    const result = await runHazard(
      {
        ...engineChoice(flags),
        iterations,
        seconds,
        deterministic: flags.deterministic === true,
        pattern: choice<MutationPattern>('pattern', flags.pattern, ['snapshot', 'sweep']),
        stopAtFirstCorruption: flags.untilCorrupt === true,
      },
      (runs, corrupt) => progress.update(`${runs} runs, ${corrupt} corrupt`),
    );
    progress.done();
    process.stdout.write(flags.json ? `${JSON.stringify(result, null, 2)}\n` : `${describeHazard(result)}\n`);
  },
};
