/**
 * The engine options that `hazard` and `migrate` share, declared and parsed once: which engine, the emulator's
 * access model and CPU amount, and the copy policy.
 */
import type { AccessModel, CopyPolicy, EngineName } from '../../src/index.js';
import type { OptionSpec } from './command.js';
import { choice, integerFlag } from './options.js';

/** The raw values, as camelFlags gives them (every one has a default). */
export interface EngineFlags {
  engine: string;
  model: string;
  copy: string;
  cpuAmount: string;
}

export interface EngineChoice {
  engine: EngineName;
  model: AccessModel;
  copy: CopyPolicy;
  cpuAmount: number;
}

/** The four options, with the command's own default copy policy. */
export function engineOptionSpecs(copyDefault: CopyPolicy): OptionSpec[] {
  return [
    { name: 'engine', short: 'e', value: 'NAME', description: 'zlib or dfltcc', default: 'dfltcc' },
    { name: 'model', value: 'MODEL', description: 'dfltcc access model: single or multiple', default: 'multiple' },
    { name: 'copy', value: 'POLICY', description: 'copy policy: auto, always or never', default: copyDefault },
    {
      name: 'cpu-amount',
      value: 'BYTES',
      description: 'dfltcc: bytes processed before CC3 (0: unbounded)',
      default: '0',
    },
  ];
}

export function engineChoice(flags: EngineFlags): EngineChoice {
  return {
    engine: choice<EngineName>('engine', flags.engine, ['zlib', 'dfltcc']),
    model: choice<AccessModel>('model', flags.model, ['single', 'multiple']),
    copy: choice<CopyPolicy>('copy', flags.copy, ['auto', 'always', 'never']),
    cpuAmount: integerFlag('cpu-amount', flags.cpuAmount),
  };
}
