/**
 * The deflate stream core: push(chunk, flush) in, ondata(chunk) out. It owns
 * a codec and its machine regions, makes the copy decision before every
 * deflate call, and is the one streaming loop every adapter and one-shot
 * runs on.
 */
import { constants, type FlushMode, type Level, type Strategy } from '../constants.js';
import type { CodecStep, DeflateCodec, Engine } from '../engines/engine.js';
import { resolveEngine } from '../engines/registry.js';
import { ZaccelError } from '../errors.js';
import type { Machine, Region } from '../machine/machine.js';
import type { ResolvedDeflateOptions } from '../options.js';
import { deflateDocument, type DeflateCoreState } from '../snapshot/document.js';
import { encodeSnapshot, modulesOf } from '../snapshot/format.js';
import { CopyLedger, mustCopy } from './copy-policy.js';
import { StreamResources } from './stream-resources.js';
import { StreamWindows } from './stream-windows.js';

/** Input that already lives in machine memory, such as guest RAM. */
export interface MachineInput {
  address: number;
  length: number;
  /** True when nothing else can write the range during the call. */
  stable: boolean;
}

export class DeflateCore {
  /** What this core does: tells a restored stream's core apart without instanceof. */
  readonly kind = 'deflate' as const;
  /** Receives each piece of output, a copy the receiver may keep. */
  ondata: (chunk: Buffer) => void = () => {};
  readonly engine: Engine;
  readonly codec: DeflateCodec;
  readonly copies: CopyLedger;
  /** Uncompressed bytes consumed so far. */
  bytesIn = 0;
  /** Compressed bytes produced so far. */
  bytesOut = 0;
  private readonly resources: StreamResources;
  /** The staging and output windows of streaming calls, made on first use. */
  private readonly windows: StreamWindows;
  private privateCopy: Region | undefined;
  private finished = false;
  private level: Level;
  private strategy: Strategy;

  /** With `resume`, the core continues a stream from its snapshot (see restoreStream) instead of starting one. */
  constructor(
    readonly options: ResolvedDeflateOptions,
    readonly machine: Machine,
    resume?: DeflateCoreState,
  ) {
    this.engine = resolveEngine(options.engine, machine);
    this.level = resume?.level ?? options.level;
    this.strategy = resume?.strategy ?? options.strategy;
    this.resources = new StreamResources(machine, this);
    this.windows = new StreamWindows(this.resources, options.chunkSize);
    try {
      this.codec = this.resources.own(
        resume === undefined
          ? this.engine.createDeflate(machine, options)
          : this.engine.restoreDeflate(
              machine,
              { ...options, level: this.level, strategy: this.strategy },
              resume.codec,
            ),
      );
    } catch (error) {
      this.resources.close();
      throw error;
    }
    this.copies = new CopyLedger(this.engine.name);
    if (resume === undefined) {
      this.applyDictionary();
    } else {
      // The dictionary is already in the restored history; the counters go on from where they were.
      this.bytesIn = resume.bytesIn;
      this.bytesOut = resume.bytesOut;
      this.finished = resume.finished;
      Object.assign(this.copies.counters, resume.copies);
    }
  }

  /**
   * The stream's whole continuation state as one byte string: options,
   * counters, check values and the engine's state (see src/snapshot/format.ts).
   * Taken between calls; restoreStream() continues it in any Machine, thread
   * or process that has the same wasm modules, with byte-identical output.
   */
  snapshot(): Buffer {
    this.resources.assertOpen();
    const state: DeflateCoreState = {
      bytesIn: this.bytesIn,
      bytesOut: this.bytesOut,
      finished: this.finished,
      level: this.level,
      strategy: this.strategy,
      copies: { ...this.copies.counters },
      codec: this.codec.snapshot(),
    };
    return encodeSnapshot(deflateDocument(this.engine.name, this.options, state), modulesOf(this.engine.name));
  }

  get closed(): boolean {
    return this.resources.closed;
  }

  /** Whether a one-shot should be one deflate(Z_FINISH) over the whole input (compress2()), not a stream of pieces. */
  get wholeOneShot(): boolean {
    return this.engine.name === 'zlib' || this.codec.wholeWrites === true;
  }

  /**
   * Compress a JavaScript chunk. It is staged into machine memory, which makes it stable: in pieces of the
   * stage's size, or whole (one deflate call) when the codec asks for whole writes.
   */
  push(chunk: Uint8Array, flush: FlushMode): void {
    this.resources.assertOpen();
    this.guard(() => {
      const piece = this.windows.stage.size;
      if (chunk.length === 0) {
        this.deflate(this.windows.stage.address, 0, true, flush);
        return;
      }
      if (chunk.length > piece && this.codec.wholeWrites === true) {
        const whole = this.resources.region(chunk.length);
        try {
          this.machine.write(whole.address, chunk);
          this.deflate(whole.address, chunk.length, true, flush);
        } finally {
          this.resources.release(whole);
        }
        return;
      }
      for (let offset = 0; offset < chunk.length; offset += piece) {
        const length = Math.min(piece, chunk.length - offset);
        this.machine.write(this.windows.stage.address, chunk, offset, length);
        this.deflate(
          this.windows.stage.address,
          length,
          true,
          offset + length === chunk.length ? flush : constants.Z_NO_FLUSH,
        );
      }
    });
  }

  /**
   * Compress a whole input in one deflate call, as native code calling
   * deflate(Z_FINISH) once does: the input in one region and an output region
   * of deflateBound's size. Stored (level 0) block boundaries depend on the
   * buffers zlib is given, so this is what makes level 0 byte-identical too.
   * Returns the compressed stream.
   */
  compressWhole(data: Uint8Array): Buffer {
    this.resources.assertOpen();
    let result: Buffer | undefined;
    this.guard(() => {
      const input = this.resources.region(Math.max(data.length, 1));
      const output = this.resources.region(this.codec.bound(data.length) + 64);
      try {
        this.machine.write(input.address, data);
        this.copies.decided();
        const step = this.codec.deflate(input.address, data.length, output.address, output.size, constants.Z_FINISH);
        if (step.status !== constants.Z_STREAM_END) throw this.statusError(step.status, 'deflate');
        this.bytesIn += step.consumed;
        this.bytesOut += step.produced;
        this.finished = true;
        result = this.machine.read(output.address, step.produced);
      } finally {
        this.resources.release(input);
        this.resources.release(output);
      }
    });
    return result!;
  }

  /** Compress input that lives in machine memory, where it lies unless the copy decision says otherwise. */
  pushRegion(input: MachineInput, flush: FlushMode): void {
    this.resources.assertOpen();
    this.guard(() => {
      const copying = mustCopy(this.options.copy, this.codec.access, input.stable);
      // A private copy is made piece by piece, each before the deflate call that reads it.
      const piece = copying ? this.windows.stage.size : Math.max(input.length, 1);
      let offset = 0;
      do {
        const length = Math.min(piece, input.length - offset);
        const last = offset + length >= input.length;
        this.deflate(input.address + offset, length, input.stable, last ? flush : constants.Z_NO_FLUSH);
        offset += length;
      } while (offset < input.length);
    });
  }

  /** Change level and strategy mid-stream (deflateParams); what it flushes goes to ondata. */
  params(level: Level, strategy: Strategy): void {
    this.resources.assertOpen();
    this.guard(() => {
      for (;;) {
        const step = this.codec.params(level, strategy, this.windows.output.address, this.windows.output.size);
        this.emit(step);
        if (step.status === constants.Z_OK) break;
        // Z_BUF_ERROR: the flush of the old parameters filled the output; drain and try again.
        if (step.status === constants.Z_BUF_ERROR && step.produced > 0) continue;
        throw this.statusError(step.status, 'deflateParams');
      }
      this.level = level;
      this.strategy = strategy;
    });
  }

  /** Start a new stream with the same parameters (deflateReset) and dictionary. */
  reset(): void {
    this.resources.assertOpen();
    this.guard(() => {
      this.check(this.codec.reset(), 'deflateReset');
      this.finished = false;
      this.applyDictionary();
    });
  }

  get currentLevel(): Level {
    return this.level;
  }

  get currentStrategy(): Strategy {
    return this.strategy;
  }

  get ended(): boolean {
    return this.finished;
  }

  /** Free every machine region of the stream. Idempotent. */
  close(): void {
    this.resources.close();
  }

  /**
   * One input range through the codec: the copy decision, then deflate calls
   * until the input is consumed and the flush is complete.
   */
  private deflate(address: number, length: number, stable: boolean, flush: FlushMode): void {
    if (this.finished) {
      if (length === 0) return; // flushing a finished stream produces nothing
      throw new ZaccelError('ZACCEL_STREAM_CLOSED', 'write after the deflate stream finished');
    }
    this.copies.decided();
    if (mustCopy(this.options.copy, this.codec.access, stable) && length > 0) {
      this.privateCopy ??= this.resources.region(this.windows.stage.size);
      const started = process.hrtime.bigint();
      this.machine.copy(this.privateCopy.address, address, length);
      this.copies.copied(length, Number(process.hrtime.bigint() - started));
      address = this.privateCopy.address;
    }
    for (;;) {
      const step = this.codec.deflate(address, length, this.windows.output.address, this.windows.output.size, flush);
      address += step.consumed;
      length -= step.consumed;
      this.bytesIn += step.consumed;
      this.emit(step);
      switch (step.status) {
        case constants.Z_STREAM_END:
          // Only Z_FINISH ends the stream; all input has been consumed.
          this.finished = true;
          return;
        case constants.Z_OK:
          // A full output window means more may be pending: call again with the same flush.
          if (length > 0 || step.produced === this.windows.output.size) continue;
          return;
        case constants.Z_BUF_ERROR:
          // No progress was possible: nothing left to consume or flush. Not an error.
          if (length === 0) return;
          throw new ZaccelError('ZACCEL_INTERNAL', 'deflate made no progress with input and output available');
        default:
          throw this.statusError(step.status, 'deflate');
      }
    }
  }

  private emit(step: CodecStep): void {
    if (step.produced === 0) return;
    this.bytesOut += step.produced;
    this.ondata(this.machine.read(this.windows.output.address, step.produced));
  }

  private applyDictionary(): void {
    const dictionary = this.options.dictionary;
    if (dictionary === undefined) return;
    const region = this.resources.region(Math.max(dictionary.length, 1));
    try {
      this.machine.write(region.address, dictionary);
      this.check(this.codec.setDictionary(region.address, dictionary.length), 'deflateSetDictionary');
    } finally {
      this.resources.release(region);
    }
  }

  private check(status: number, call: string): void {
    if (status !== constants.Z_OK) throw this.statusError(status, call);
  }

  private statusError(status: number, call: string): ZaccelError {
    const message = this.codec.message();
    const text = `${call} failed${message === undefined ? '' : `: ${message}`}`;
    const details = { zlibStatus: status, zlibMessage: message };
    if (status === constants.Z_STREAM_ERROR) return new ZaccelError('ZACCEL_STREAM_STATE', text, details);
    if (status === constants.Z_MEM_ERROR) return new ZaccelError('ZACCEL_MEMORY_EXHAUSTED', text, details);
    return new ZaccelError('ZACCEL_INTERNAL', `${text} (status ${status})`, details);
  }

  /** Any failure frees the stream: nothing half-open is left in the Machine. */
  private guard(body: () => void): void {
    try {
      body();
    } catch (error) {
      this.close();
      throw error;
    }
  }
}
