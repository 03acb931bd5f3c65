/**
 * `zaccel hazard`: zlib-ng's concurrency test on zaccel's engines.
 */
import type { Command } from 'commander';
import type { CopyPolicy } from '../../src/core/copy-policy.js';
import type { AccessModel, EngineName } from '../../src/engines/engine.js';
import { runHazard } from '../hazard/hazard.js';
import type { HazardResult, MutationPattern } from '../hazard/scenario.js';
import { choice, integerFlag, positiveFlag } from './options.js';
import { progressLine } from './progress.js';

interface HazardFlags {
  engine: string;
  model: string;
  copy: string;
  iterations?: string;
  seconds?: string;
  deterministic?: boolean;
  pattern: string;
  cpuAmount: string;
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

export function registerHazardCommand(program: Command): void {
  program
    .command('hazard')
    .description("zlib-ng's test_deflate_concurrency: compress a buffer while another thread writes it, then check the untouched half")
    .option('-e, --engine <engine>', 'zlib or dfltcc', 'dfltcc')
    .option('--model <model>', 'dfltcc access model: single or multiple', 'multiple')
    .option('--copy <policy>', 'copy policy: auto, always or never', 'never')
    .option('-n, --iterations <n>', 'runs to make')
    .option('-s, --seconds <s>', 'run for this long (default 1 s when --iterations is not given)')
    .option('--deterministic', 'write at a chosen point instead of racing: inside the emulator\'s hazard hook (dfltcc) or between calls (zlib)')
    .option('--pattern <pattern>', 'snapshot (the writer increments the first half; the second half is its copy) or sweep (zlib-ng\'s writer over the whole buffer)', 'snapshot')
    .option('--cpu-amount <bytes>', 'dfltcc: bytes processed before CC3 (0: unbounded)', '0')
    .option('--until-corrupt', 'stop at the first corrupt run')
    .option('--json', 'print the result as JSON')
    .action(async (flags: HazardFlags) => {
      const iterations = flags.iterations === undefined ? undefined : Math.round(positiveFlag('iterations', flags.iterations, 1));
      const seconds = flags.seconds === undefined ? (iterations === undefined ? 1 : undefined) : positiveFlag('seconds', flags.seconds, 1);
      const progress = progressLine();
      const result = await runHazard(
        {
          engine: choice<EngineName>('engine', flags.engine, ['zlib', 'dfltcc']),
          model: choice<AccessModel>('model', flags.model, ['single', 'multiple']),
          copy: choice<CopyPolicy>('copy', flags.copy, ['auto', 'always', 'never']),
          iterations,
          seconds,
          deterministic: flags.deterministic === true,
          pattern: choice<MutationPattern>('pattern', flags.pattern, ['snapshot', 'sweep']),
          cpuAmount: integerFlag('cpu-amount', flags.cpuAmount),
          stopAtFirstCorruption: flags.untilCorrupt === true,
        },
        (runs, corrupt) => progress.update(`${runs} runs, ${corrupt} corrupt`),
      );
      progress.done();
      process.stdout.write(flags.json ? `${JSON.stringify(result, null, 2)}\n` : `${describeHazard(result)}\n`);
    });
}
