/**
 * The dfltcc engine: the DFLTCC emulator, driven as IBM's zlib drives the
 * z15 accelerator, falling back to software zlib for what it cannot do.
 */
import type { Machine } from '../../machine/machine.js';
import { ZlibInstance } from '../../machine/zlib-instance.js';
import type { Engine } from '../engine.js';
import { acceleratorCanDeflate, DfltccDeflateCodec } from './deflate-codec.js';
import { DfltccInflateCodec } from './inflate-codec.js';

/** The emulated machine: an IBM z15, whose accelerator this emulates (DFLTCC, facility 151). */
export const EMULATED_MODEL = 'IBM z15 DFLTCC (emulated)';

export const dfltccEngine: Engine = {
  name: 'dfltcc',
  version: (machine: Machine) => `${EMULATED_MODEL}; software fallback zlib ${ZlibInstance.of(machine).version}`,
  available: (machine: Machine) => machine.module('dfltcc') !== undefined && machine.module('zlib') !== undefined,
  deflateAccess: (parameters) =>
    acceleratorCanDeflate(parameters.dfltcc, parameters.level, parameters.windowBits, parameters.strategy)
      ? parameters.dfltcc.model
      : 'single',
  createDeflate: (machine, parameters) => new DfltccDeflateCodec(machine, parameters),
  createInflate: (machine, parameters) => new DfltccInflateCodec(machine, parameters),
  restoreDeflate: (machine, parameters, state) => DfltccDeflateCodec.restore(machine, parameters, state),
  restoreInflate: (machine, parameters, state) => DfltccInflateCodec.restore(machine, parameters, state),
};
