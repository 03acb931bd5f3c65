/**
 * The small internal entry: what zaccel's own service (`server/`) and tools (`tools/`) need beyond the public
 * entry (`index.ts`). Not part of the public API and not exported by the package; it exists so that nothing
 * outside `src/` reaches into the library's modules one by one (test/house.test.ts holds `server/` and `tools/`
 * to the two entries).
 */
export { emptyCounters } from './core/copy-policy.js';
export type { DfltccDeflateCodec } from './engines/dfltcc/deflate-codec.js';
export { resolveEngine } from './engines/registry.js';
export { badOption } from './errors.js';
/** Guest RAM in the Machine: the migration simulator's and the hazard test's shared pages. */
export { GuestMemory, type GuestLayout } from './machine/guest-memory.js';
export { packageRoot } from './machine/modules.js';
export { resolveDeflateOptions } from './options.js';
