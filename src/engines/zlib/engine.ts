/**
 * The zlib engine: unmodified zlib 1.3.1 in WebAssembly.
 */
import type { Machine } from '../../machine/machine.js';
import { ZlibInstance } from '../../machine/zlib-instance.js';
import type { Engine } from '../engine.js';
import { ZlibDeflateCodec, ZlibInflateCodec } from './codecs.js';

export const zlibEngine: Engine = {
  name: 'zlib',
  version: (machine: Machine) => ZlibInstance.of(machine).version,
  available: (machine: Machine) => machine.module('zlib') !== undefined,
  // Level 0 reads its input twice (into the output and into the window), but
  // stored blocks never refer back to the window, so every level is `single`.
  deflateAccess: () => 'single',
  createDeflate: (machine, parameters) => new ZlibDeflateCodec(machine, parameters),
  createInflate: (machine, parameters) => new ZlibInflateCodec(machine, parameters),
  restoreDeflate: (machine, parameters, state) => ZlibDeflateCodec.restore(machine, parameters, state),
  restoreInflate: (machine, parameters, state) => ZlibInflateCodec.restore(machine, parameters, state),
};
