/**
 * zaccel: real zlib and an emulated IBM Z DFLTCC accelerator in WebAssembly,
 * behind an API shaped like node:zlib.
 */
export * from './constants.js';
export {
  ErrorCodes,
  ZaccelError,
  ZaccelRangeError,
  ZaccelTypeError,
  isZaccelError,
  type AnyZaccelError,
  type ErrorCode,
  type ZaccelErrorFields,
} from './errors.js';
export {
  closeThreadPool,
  setThreadPoolSize,
  threadPoolSize,
  threadPoolStats,
  type ThreadPoolStats,
} from './threads/pool.js';
export type { DeflateOptions, InflateOptions } from './options.js';
export type { AccessModel, EngineName, Format, InflateFormat } from './engines/engine.js';
export { engineNames } from './engines/registry.js';
export { copyStats, resetCopyStats, type CopyCounters, type CopyPolicy } from './core/copy-policy.js';
export { DeflateCore, type MachineInput } from './core/deflate-core.js';
export { InflateCore } from './core/inflate-core.js';
export { createDeflateCore, createInflateCore } from './core/factories.js';
export { restoreStream, snapshotKind, type RestoreOptions } from './snapshot/restore.js';
export {
  Machine,
  type MachineDescriptor,
  type MachineOptions,
  type MachineStats,
  type Region,
} from './machine/machine.js';
export { defaultMachine, setDefaultMachine } from './machine/default-machine.js';
export {
  deflate,
  deflateRaw,
  deflateRawSync,
  deflateSync,
  gunzip,
  gunzipSync,
  gzip,
  gzipSync,
  inflate,
  inflateRaw,
  inflateRawSync,
  inflateSync,
  unzip,
  unzipSync,
  type Callback,
  type InputData,
  type OneShotInfo,
} from './api/one-shot.js';
export {
  createDeflate,
  createDeflateRaw,
  createGunzip,
  createGzip,
  createInflate,
  createInflateRaw,
  createUnzip,
  Deflate,
  DeflateRaw,
  DeflateStream,
  Gunzip,
  Gzip,
  Inflate,
  InflateRaw,
  InflateStream,
  Unzip,
  ZlibBase,
  type ZlibClass,
} from './api/node-streams.js';
export {
  CompressionStream,
  DecompressionStream,
  type WebDecompressionFormat,
  type WebFormat,
} from './api/web-streams.js';
