/**
 * Building stream cores from user options: the format of each node:zlib
 * name, option validation, and the Machine to run on.
 */
import type { Format, InflateFormat } from '../engines/engine.js';
import { defaultMachine } from '../machine/default-machine.js';
import { resolveDeflateOptions, resolveInflateOptions, type DeflateOptions, type InflateOptions } from '../options.js';
import { DeflateCore } from './deflate-core.js';
import { InflateCore } from './inflate-core.js';

export function createDeflateCore(
  format: Format,
  options: DeflateOptions | undefined,
  chunkDefault?: number,
): DeflateCore {
  const resolved = resolveDeflateOptions(format, options ?? {}, chunkDefault);
  return new DeflateCore(resolved, options?.machine ?? defaultMachine());
}

export function createInflateCore(
  format: InflateFormat,
  options: InflateOptions | undefined,
  chunkDefault?: number,
  outputLimitDefault?: number,
): InflateCore {
  const resolved = resolveInflateOptions(format, options ?? {}, chunkDefault, outputLimitDefault);
  return new InflateCore(resolved, options?.machine ?? defaultMachine());
}
