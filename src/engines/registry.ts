/**
 * The engines zaccel knows, by name.
 */
import { badOption, ZaccelError } from '../errors.js';
import type { Machine } from '../machine/machine.js';
import type { Engine, EngineName } from './engine.js';
import { dfltccEngine } from './dfltcc/engine.js';
import { zlibEngine } from './zlib/engine.js';

const engines = new Map<EngineName, Engine>([
  ['zlib', zlibEngine],
  ['dfltcc', dfltccEngine],
]);

/** Every engine, available here or not. */
export const allEngines = (): Engine[] => [...engines.values()];

export const engineNames = (): EngineName[] => [...engines.keys()];

export function resolveEngine(name: unknown, machine: Machine): Engine {
  const engine = typeof name === 'string' ? engines.get(name as EngineName) : undefined;
  if (engine === undefined)
    throw badOption(
      'engine',
      name,
      engineNames()
        .map((n) => `'${n}'`)
        .join(' or '),
    );
  if (!engine.available(machine)) {
    throw new ZaccelError('ZACCEL_ENGINE_UNAVAILABLE', `engine '${engine.name}' is not built: run npm run build`);
  }
  return engine;
}
