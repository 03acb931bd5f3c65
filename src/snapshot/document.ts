/**
 * A stream core's state as a snapshot document: which kind of core, its
 * resolved options, the core's own fields (counters, the current level and
 * strategy, where a gzip stream is between members) and its codec's state.
 * One place writes and reads it, so the two cannot drift apart.
 */
import type { CopyCounters } from '../core/copy-policy.js';
import type { CodecState, SnapshotValue } from '../engines/engine.js';
import type { Level, Strategy } from '../constants.js';
import {
  resolveDeflateOptions,
  resolveInflateOptions,
  type ResolvedDeflateOptions,
  type ResolvedInflateOptions,
} from '../options.js';
import { isZaccelError } from '../errors.js';
import { badSnapshot, SnapshotFields } from './fields.js';
import type { SnapshotDocument } from './format.js';

/** What a deflate core adds to its codec's state. */
export interface DeflateCoreState {
  bytesIn: number;
  bytesOut: number;
  finished: boolean;
  level: Level;
  strategy: Strategy;
  copies: CopyCounters;
  codec: CodecState;
}

/** What an inflate core adds to its codec's state. */
export interface InflateCoreState {
  bytesIn: number;
  bytesOut: number;
  memberEnded: boolean;
  ignoringRest: boolean;
  firstByte: number;
  codec: CodecState;
}

type Resolved = ResolvedDeflateOptions | ResolvedInflateOptions;

/** The options as recorded: JSON, with the dictionary as bytes and an unbounded output limit as null. */
function optionsState(options: Resolved): CodecState {
  const state: CodecState = {};
  for (const [key, value] of Object.entries(options)) {
    if (value === undefined) continue;
    if (key === 'dfltcc') state[key] = { ...(value as object) } as CodecState;
    else if (key === 'maxOutputLength') state[key] = Number.isFinite(value) ? (value as number) : null;
    else state[key] = value as SnapshotValue;
  }
  return state;
}

export function deflateDocument(
  engine: string,
  options: ResolvedDeflateOptions,
  core: DeflateCoreState,
): SnapshotDocument {
  return {
    kind: 'deflate',
    engine,
    options: optionsState(options),
    core: { ...core, copies: { ...core.copies } } as unknown as CodecState,
  };
}

export function inflateDocument(
  engine: string,
  options: ResolvedInflateOptions,
  core: InflateCoreState,
): SnapshotDocument {
  return { kind: 'inflate', engine, options: optionsState(options), core: { ...core } as unknown as CodecState };
}

/**
 * Options read back through the same validation user options get, so a
 * recorded option that is out of range is refused like a user's would be.
 */
function readOptions<T>(resolve: () => T): T {
  try {
    return resolve();
  } catch (error) {
    if (isZaccelError(error) && error.zaccelCode === 'ZACCEL_BAD_OPTION')
      throw badSnapshot(`recorded options: ${error.message}`);
    throw error;
  }
}

function userOptions(options: CodecState): Record<string, unknown> {
  const dfltcc = (options.dfltcc ?? {}) as Record<string, unknown>;
  const { model, cpuAmount, ...settings } = dfltcc;
  return {
    ...options,
    dfltcc: settings,
    dfltccModel: model,
    cpuAmount,
    maxOutputLength: options.maxOutputLength === null ? undefined : options.maxOutputLength,
  };
}

export type ParsedDocument =
  | { kind: 'deflate'; options: ResolvedDeflateOptions; core: DeflateCoreState }
  | { kind: 'inflate'; options: ResolvedInflateOptions; core: InflateCoreState };

/** The document's kind, options and core state, every field checked. */
export function parseDocument(document: SnapshotDocument): ParsedDocument {
  const top = new SnapshotFields(document, 'snapshot');
  const kind = top.oneOf('kind', ['deflate', 'inflate'] as const);
  const engine = top.oneOf('engine', ['zlib', 'dfltcc'] as const);
  const recorded = top.nested('options');
  if (recorded.engine !== engine) throw badSnapshot('the engine of the options and of the snapshot differ');
  const core = new SnapshotFields(top.nested('core'), `${kind} core`);
  const counter = (name: string) => core.integer(name, 0, Number.MAX_SAFE_INTEGER);
  const codec = core.nested('codec');
  if (kind === 'deflate') {
    const format = new SnapshotFields(recorded, 'options').oneOf('format', ['raw', 'zlib', 'gzip'] as const);
    const options = readOptions(() => resolveDeflateOptions(format, userOptions(recorded) as never, 64));
    const copies = new SnapshotFields(core.nested('copies'), 'copy counters');
    return {
      kind,
      options,
      core: {
        bytesIn: counter('bytesIn'),
        bytesOut: counter('bytesOut'),
        finished: core.boolean('finished'),
        level: core.integer('level', -1, 9) as Level,
        strategy: core.integer('strategy', 0, 4) as Strategy,
        copies: {
          decisions: copies.integer('decisions', 0, Number.MAX_SAFE_INTEGER),
          copies: copies.integer('copies', 0, Number.MAX_SAFE_INTEGER),
          copyBytes: copies.integer('copyBytes', 0, Number.MAX_SAFE_INTEGER),
          copyNanoseconds: copies.integer('copyNanoseconds', 0, Number.MAX_SAFE_INTEGER),
        },
        codec,
      },
    };
  }
  const format = new SnapshotFields(recorded, 'options').oneOf('format', ['raw', 'zlib', 'gzip', 'auto'] as const);
  const options = readOptions(() => resolveInflateOptions(format, userOptions(recorded) as never, 64));
  return {
    kind,
    options,
    core: {
      bytesIn: counter('bytesIn'),
      bytesOut: counter('bytesOut'),
      memberEnded: core.boolean('memberEnded'),
      ignoringRest: core.boolean('ignoringRest'),
      firstByte: core.integer('firstByte', -1, 255),
      codec,
    },
  };
}
