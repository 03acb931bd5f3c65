/**
 * The inflate stream core: push(chunk, final) in, ondata(chunk) out. It
 * enforces maxOutputLength as output is produced, handles preset
 * dictionaries and gzip members the way node:zlib does, and turns every
 * way zlib can stop into either "call again" or a coded error.
 */
import { constants } from '../constants.js';
import type { Engine, InflateCodec } from '../engines/engine.js';
import { resolveEngine } from '../engines/registry.js';
import { outputTooLarge, ZaccelError } from '../errors.js';
import type { Machine, Region } from '../machine/machine.js';
import type { ResolvedInflateOptions } from '../options.js';
import { inflateDocument, type InflateCoreState } from '../snapshot/document.js';
import { encodeSnapshot, modulesOf } from '../snapshot/format.js';
import { StreamResources } from './stream-resources.js';
import { StreamWindows } from './stream-windows.js';

const GZIP_MAGIC_FIRST = 0x1f;
const GZIP_MAGIC_SECOND = 0x8b;
/** The smallest gzip member: a 10-byte header, an empty deflate block, and the 8-byte trailer. */
const GZIP_MINIMUM_MEMBER = 18;
/** deflate's densest coding: 258 bytes per 2-bit-ish match, about 1032:1; an ISIZE above that is a lie. */
const DEFLATE_MAXIMUM_RATIO = 1032;
/** A whole-output region starts at least this big, when no ISIZE says better. */
const WHOLE_OUTPUT_MINIMUM = 64 * 1024;
/** A whole-output region grows to at most this; past it, full regions are copied out and the region reused. */
const WHOLE_OUTPUT_MAXIMUM = 256 * 1024 * 1024;

/** The output of a whole-buffer inflate: one growing region of the Machine, filled from its start. */
interface WholeOutput {
  region: Region;
  /** Bytes of the region holding output. */
  used: number;
  /** Output already copied out (only when the region reached WHOLE_OUTPUT_MAXIMUM). */
  spilled: Buffer[];
}

export class InflateCore {
  /** What this core does: tells a restored stream's core apart without instanceof. */
  readonly kind = 'inflate' as const;
  /** Receives each piece of output, a copy the receiver may keep. */
  ondata: (chunk: Buffer) => void = () => {};
  readonly engine: Engine;
  readonly codec: InflateCodec;
  /** Compressed bytes consumed so far (node:zlib's bytesWritten). */
  bytesIn = 0;
  /** Uncompressed bytes produced so far. */
  bytesOut = 0;
  private readonly resources: StreamResources;
  /** The staging and output windows of streaming calls, made on first use. */
  private readonly windows: StreamWindows;
  /** The current member (or the whole stream) reached its end. */
  private memberEnded = false;
  /** gzip: a zero byte followed a member; node:zlib ignores everything from there on. */
  private ignoringRest = false;
  /** The first byte of the stream, to know whether 'auto' found gzip. */
  private firstByte = -1;
  /** During inflateWhole: where output goes instead of the window and ondata. */
  private whole: WholeOutput | undefined;

  /** With `resume`, the core continues a stream from its snapshot (see restoreStream) instead of starting one. */
  constructor(
    readonly options: ResolvedInflateOptions,
    readonly machine: Machine,
    resume?: InflateCoreState,
  ) {
    this.engine = resolveEngine(options.engine, machine);
    this.resources = new StreamResources(machine, this);
    this.windows = new StreamWindows(this.resources, options.chunkSize);
    try {
      this.codec = this.resources.own(
        resume === undefined
          ? this.engine.createInflate(machine, options)
          : this.engine.restoreInflate(machine, options, resume.codec),
      );
    } catch (error) {
      this.resources.close();
      throw error;
    }
    if (resume === undefined) {
      this.presetRawDictionary();
    } else {
      this.bytesIn = resume.bytesIn;
      this.bytesOut = resume.bytesOut;
      this.memberEnded = resume.memberEnded;
      this.ignoringRest = resume.ignoringRest;
      this.firstByte = resume.firstByte;
    }
  }

  /**
   * The stream's whole continuation state as one byte string (see
   * src/snapshot/format.ts). Taken between calls; restoreStream() continues it
   * in any Machine, thread or process that has the same wasm modules.
   */
  snapshot(): Buffer {
    this.resources.assertOpen();
    const state: InflateCoreState = {
      bytesIn: this.bytesIn,
      bytesOut: this.bytesOut,
      memberEnded: this.memberEnded,
      ignoringRest: this.ignoringRest,
      firstByte: this.firstByte,
      codec: this.codec.snapshot(),
    };
    return encodeSnapshot(inflateDocument(this.engine.name, this.options, state), modulesOf(this.engine.name));
  }

  /** Raw streams have no header to ask for a dictionary: it is set up front (zlib and gzip ask with Z_NEED_DICT). */
  private presetRawDictionary(): void {
    if (this.options.format !== 'raw' || this.options.dictionary === undefined) return;
    try {
      this.applyDictionary();
    } catch (error) {
      this.close();
      throw error;
    }
  }

  get closed(): boolean {
    return this.resources.closed;
  }

  /** True once the stream (every gzip member so far) has ended. */
  get ended(): boolean {
    return this.memberEnded;
  }

  /**
   * Decompress a chunk. With `final`, this is the end of the input: a stream
   * that has not ended is truncated.
   */
  push(chunk: Uint8Array, final: boolean): void {
    this.resources.assertOpen();
    try {
      for (let offset = 0; offset < chunk.length; offset += this.windows.stage.size) {
        const length = Math.min(this.windows.stage.size, chunk.length - offset);
        this.machine.write(this.windows.stage.address, chunk, offset, length);
        this.inflate(this.windows.stage.address, length);
      }
      if (final && !this.memberEnded) {
        // node:zlib's message, verbatim: programs match on it.
        throw new ZaccelError('ZACCEL_TRUNCATED', 'unexpected end of file');
      }
    } catch (error) {
      this.close();
      throw error;
    }
  }

  /**
   * Decompress a whole input as native one-shot callers do (uncompress()): the input in one region, the
   * output straight into one region and copied out once. The region is sized from the gzip ISIZE trailer
   * when that is plausible, otherwise from the input's size, and grows geometrically; it never holds
   * more than maxOutputLength + 1 bytes, so the limit is enforced as push() enforces it. With `final`, a
   * stream that has not ended is truncated; without it the output so far is returned (Z_SYNC_FLUSH).
   * Returns the output; ondata is not called.
   */
  inflateWhole(input: Uint8Array, final: boolean): Buffer {
    this.resources.assertOpen();
    try {
      const source = this.resources.region(Math.max(input.length, 1));
      this.machine.write(source.address, input);
      const whole: WholeOutput = { region: this.resources.region(this.wholeOutputBytes(input)), used: 0, spilled: [] };
      this.whole = whole;
      this.inflate(source.address, input.length, final);
      if (final && !this.memberEnded) {
        throw new ZaccelError('ZACCEL_TRUNCATED', 'unexpected end of file');
      }
      const last = this.machine.read(whole.region.address, whole.used);
      this.resources.release(source);
      this.resources.release(whole.region);
      return whole.spilled.length === 0 ? last : Buffer.concat([...whole.spilled, last]);
    } catch (error) {
      this.close();
      throw error;
    } finally {
      this.whole = undefined;
    }
  }

  /**
   * The first size of a whole-output region. A gzip trailer's ISIZE is the last member's size modulo
   * 2^32: exact for the usual single member, and only trusted when deflate could have made that much
   * from this input. Never more than maxOutputLength + 1.
   */
  private wholeOutputBytes(input: Uint8Array): number {
    const ceiling = Math.min(this.options.maxOutputLength + 1, WHOLE_OUTPUT_MAXIMUM);
    const gzip =
      this.options.format === 'gzip' ||
      (this.options.format === 'auto' && input[0] === GZIP_MAGIC_FIRST && input[1] === GZIP_MAGIC_SECOND);
    if (gzip && input.length >= GZIP_MINIMUM_MEMBER) {
      const end = input.length;
      const isize = (input[end - 4] | (input[end - 3] << 8) | (input[end - 2] << 16) | (input[end - 1] << 24)) >>> 0;
      // Exactly ISIZE: the call that ends the stream fills the region, which is not taken as "more pending".
      if (isize > 0 && isize <= input.length * DEFLATE_MAXIMUM_RATIO) return Math.max(1, Math.min(isize, ceiling));
    }
    return Math.max(1, Math.min(Math.max(WHOLE_OUTPUT_MINIMUM, input.length * 4), ceiling));
  }

  /**
   * Room for more whole output: the region doubles (one move inside the Machine) up to the limit + 1 and
   * WHOLE_OUTPUT_MAXIMUM; a full region of the maximum size is copied out and reused.
   */
  private growWholeOutput(whole: WholeOutput): void {
    const wanted = Math.min(
      whole.region.size * 2,
      this.options.maxOutputLength + 1 - this.bytesOut + whole.used,
      WHOLE_OUTPUT_MAXIMUM,
    );
    if (wanted <= whole.region.size) {
      whole.spilled.push(this.machine.read(whole.region.address, whole.used));
      whole.used = 0;
      return;
    }
    const larger = this.resources.region(wanted);
    this.machine.copy(larger.address, whole.region.address, whole.used);
    this.resources.release(whole.region);
    whole.region = larger;
  }

  /** Start over on a new stream (inflateReset), keeping the options. */
  reset(): void {
    this.resources.assertOpen();
    const status = this.codec.reset();
    if (status !== constants.Z_OK) throw this.error('ZACCEL_STREAM_STATE', status);
    this.memberEnded = false;
    this.ignoringRest = false;
    this.firstByte = -1;
    this.presetRawDictionary();
  }

  /** Free every machine region of the stream. Idempotent. */
  close(): void {
    this.resources.close();
  }

  /**
   * Run the codec over one input range, into the window (each piece to ondata) or, during inflateWhole,
   * straight into the whole-output region. `finishing` (the whole input, on the zlib engine) asks with
   * Z_FINISH as uncompress-style callers do, which spares zlib its sliding-window copy at the end.
   */
  private inflate(address: number, length: number, finishing = false): void {
    if (this.firstByte < 0 && length > 0) this.firstByte = this.machine.u8(address);
    const whole = this.whole;
    const flush = finishing && this.engine.name === 'zlib' ? constants.Z_FINISH : constants.Z_NO_FLUSH;
    while (length > 0 || !this.memberEnded) {
      if (this.memberEnded) {
        if (!this.startNextMember(address, length)) return;
      }
      const limit = this.options.maxOutputLength - this.bytesOut;
      if (whole !== undefined && whole.used === whole.region.size) this.growWholeOutput(whole);
      const target = whole === undefined ? this.windows.output.address : whole.region.address + whole.used;
      const room = whole === undefined ? this.windows.output.size : whole.region.size - whole.used;
      // Ask for at most one byte past the limit: enough to know it was passed.
      const capacity = Math.min(room, limit + 1);
      const step = this.codec.inflate(address, length, target, capacity, flush);
      address += step.consumed;
      length -= step.consumed;
      this.bytesIn += step.consumed;
      if (step.produced > 0) {
        this.bytesOut += step.produced;
        if (this.bytesOut > this.options.maxOutputLength) {
          throw outputTooLarge(this.options.maxOutputLength);
        }
        if (whole === undefined) this.ondata(this.machine.read(this.windows.output.address, step.produced));
        else whole.used += step.produced;
      }
      switch (step.status) {
        case constants.Z_STREAM_END:
          this.memberEnded = true;
          continue; // whatever input is left is a next member or trailing data
        case constants.Z_OK:
          // A full output window may hide more output: go round again. Otherwise all input was used.
          if (length > 0 || step.produced === capacity) continue;
          return;
        case constants.Z_BUF_ERROR:
          // With Z_FINISH, a full output is not the end: go round with more room.
          if (flush === constants.Z_FINISH && step.produced === capacity) continue;
          // No progress possible: every input byte is consumed and nothing is pending. Wait for more.
          if (length === 0) return;
          throw new ZaccelError('ZACCEL_INTERNAL', 'inflate made no progress with input and output available');
        case constants.Z_NEED_DICT:
          this.applyDictionary();
          continue;
        case constants.Z_DATA_ERROR:
          throw this.error('ZACCEL_DATA_ERROR', step.status);
        case constants.Z_MEM_ERROR:
          throw this.error('ZACCEL_MEMORY_EXHAUSTED', step.status);
        default:
          throw this.error('ZACCEL_STREAM_STATE', step.status);
      }
    }
  }

  /**
   * After the end of a stream, decide what the remaining input is. gzip
   * (and 'auto' that found gzip) follows node:zlib: a nonzero byte starts a
   * new member, a zero byte starts padding that is ignored. zlib and raw
   * streams end for good: more bytes are an error, because silently
   * dropping data would hide a loss.
   */
  private startNextMember(address: number, length: number): boolean {
    if (length === 0 || this.ignoringRest) return false;
    const gzip =
      this.options.format === 'gzip' || (this.options.format === 'auto' && this.firstByte === GZIP_MAGIC_FIRST);
    if (!gzip) {
      throw new ZaccelError('ZACCEL_TRAILING_DATA', `${length} bytes follow the end of the compressed stream`);
    }
    if (this.machine.u8(address) === 0) {
      this.ignoringRest = true;
      return false;
    }
    const status = this.codec.reset();
    if (status !== constants.Z_OK) throw this.error('ZACCEL_STREAM_STATE', status);
    this.memberEnded = false;
    return true;
  }

  private applyDictionary(): void {
    const dictionary = this.options.dictionary;
    if (dictionary === undefined) {
      // node:zlib's messages, verbatim, and its errno (Z_NEED_DICT) for both cases.
      throw new ZaccelError('ZACCEL_NEED_DICTIONARY', 'Missing dictionary', {
        zlibStatus: constants.Z_NEED_DICT,
      });
    }
    const region = this.resources.region(Math.max(dictionary.length, 1));
    try {
      this.machine.write(region.address, dictionary);
      const status = this.codec.setDictionary(region.address, dictionary.length);
      if (status !== constants.Z_OK) {
        throw new ZaccelError('ZACCEL_NEED_DICTIONARY', 'Bad dictionary', { zlibStatus: constants.Z_NEED_DICT });
      }
    } finally {
      this.resources.release(region);
    }
  }

  private error(
    code: 'ZACCEL_DATA_ERROR' | 'ZACCEL_MEMORY_EXHAUSTED' | 'ZACCEL_STREAM_STATE',
    status: number,
  ): ZaccelError {
    const message = this.codec.message();
    return new ZaccelError(code, message ?? `inflate failed with status ${status}`, {
      zlibStatus: status,
      zlibMessage: message,
    });
  }
}
