/**
 * The zlib engine's codecs: one z_stream each, living in its own arena
 * region of the Machine. These are thin: every call maps to one zlib call.
 */
import { constants, type FlushMode, type Level, type Strategy } from '../../constants.js';
import { ZaccelError } from '../../errors.js';
import type { Machine, Region } from '../../machine/machine.js';
import { ZlibInstance } from '../../machine/zlib-instance.js';
import {
  formatWindowBits,
  type AccessModel,
  type CodecState,
  type CodecStep,
  type DeflateCodec,
  type InflateCodec,
  type ResolvedDeflateParameters,
  type ResolvedInflateParameters,
  restoredCodec,
} from '../engine.js';

/** A z_stream in its arena. Subclasses add the deflate or inflate calls. */
abstract class ZlibStream {
  readonly engine = 'zlib' as const;
  readonly fallbacks = 0;
  protected readonly zlib: ZlibInstance;
  protected strm = 0;
  private arena: Region | undefined;

  protected constructor(
    protected readonly machine: Machine,
    private readonly arenaSize: number,
    init: (arena: Region) => number,
  ) {
    this.zlib = ZlibInstance.of(machine);
    const arena = machine.alloc(arenaSize, 16);
    const result = init(arena);
    if (result <= 0) {
      machine.free(arena);
      throw initError(result);
    }
    this.arena = arena;
    this.strm = result;
  }

  /** The z_stream and everything zlib allocated for it, as one blob (the glue's layout, wasm/zaccel_glue.c). */
  snapshot(): CodecState {
    const strm = this.live();
    const { size, write } = this.snapshotCalls();
    const length = size(strm);
    if (length === 0) throw new ZaccelError('ZACCEL_STREAM_STATE', 'the zlib stream cannot be snapshot in its state');
    const region = this.machine.alloc(length, 16);
    try {
      const status = write(strm, region.address);
      if (status !== constants.Z_OK)
        throw new ZaccelError('ZACCEL_STREAM_STATE', 'the zlib stream cannot be snapshot in its state', {
          zlibStatus: status,
        });
      return { zlib: this.machine.read(region.address, length) };
    } finally {
      this.machine.free(region);
    }
  }

  /**
   * Replace this codec's stream with the one a snapshot() holds, in a fresh
   * arena: the glue copies the state and fixes its pointers as
   * deflateCopy/inflateCopy do. A blob the glue refuses is ZACCEL_BAD_SNAPSHOT.
   */
  restoreState(state: CodecState): void {
    const blob = state.zlib;
    if (!(blob instanceof Uint8Array) || blob.length === 0)
      throw new ZaccelError('ZACCEL_BAD_SNAPSHOT', 'the snapshot has no zlib state');
    this.end();
    const arena = this.machine.alloc(this.arenaSize, 16);
    const staging = this.machine.alloc(blob.length, 16);
    let result: number;
    try {
      this.machine.write(staging.address, blob);
      result = this.restoreCall()(arena.address, arena.size, staging.address, blob.length);
    } finally {
      this.machine.free(staging);
    }
    if (result <= 0) {
      this.machine.free(arena);
      throw new ZaccelError(
        'ZACCEL_BAD_SNAPSHOT',
        `the snapshot's zlib state does not fit its options (status ${result})`,
        { zlibStatus: result },
      );
    }
    this.arena = arena;
    this.strm = result;
  }

  message(): string | undefined {
    return this.strm === 0 ? undefined : this.zlib.message(this.strm);
  }

  checkValue(): number {
    return this.zlib.adler(this.live());
  }

  end(): void {
    if (this.arena === undefined) return;
    this.release(this.strm);
    this.machine.free(this.arena);
    this.arena = undefined;
    this.strm = 0;
  }

  /** The stream's address; throws if the codec has ended. */
  protected live(): number {
    if (this.strm === 0) throw new ZaccelError('ZACCEL_STREAM_CLOSED');
    return this.strm;
  }

  /** Set the buffers, run one zlib call, and report what it did. */
  protected step(
    call: (strm: number) => number,
    inputAddress: number,
    inputLength: number,
    outputAddress: number,
    outputCapacity: number,
  ): CodecStep {
    const strm = this.live();
    this.zlib.setInput(strm, inputAddress, inputLength);
    this.zlib.setOutput(strm, outputAddress, outputCapacity);
    const status = call(strm);
    return {
      status,
      consumed: inputLength - this.zlib.availIn(strm),
      produced: outputCapacity - this.zlib.availOut(strm),
    };
  }

  protected abstract release(strm: number): void;
  protected abstract snapshotCalls(): { size: (strm: number) => number; write: (strm: number, out: number) => number };
  protected abstract restoreCall(): (arena: number, size: number, blob: number, length: number) => number;
}

export class ZlibDeflateCodec extends ZlibStream implements DeflateCodec {
  /** zlib reads every input byte once, into its window (level 0's stored path never refers back). */
  readonly access: AccessModel = 'single';

  constructor(machine: Machine, parameters: ResolvedDeflateParameters) {
    const zlib = ZlibInstance.of(machine);
    const size = zlib.exports.zaccel_deflate_arena_size(parameters.windowBits, parameters.memLevel);
    if (size === 0)
      throw new ZaccelError(
        'ZACCEL_BAD_OPTION',
        `invalid windowBits ${parameters.windowBits} or memLevel ${parameters.memLevel}`,
      );
    super(machine, size, (arena) =>
      zlib.exports.zaccel_deflate_init(
        arena.address,
        arena.size,
        parameters.level,
        formatWindowBits(parameters.format, parameters.windowBits),
        parameters.memLevel,
        parameters.strategy,
      ),
    );
  }

  deflate(
    inputAddress: number,
    inputLength: number,
    outputAddress: number,
    outputCapacity: number,
    flush: FlushMode,
  ): CodecStep {
    return this.step(
      (strm) => this.zlib.exports.deflate(strm, flush),
      inputAddress,
      inputLength,
      outputAddress,
      outputCapacity,
    );
  }

  params(level: Level, strategy: Strategy, outputAddress: number, outputCapacity: number): CodecStep {
    return this.step(
      (strm) => this.zlib.exports.deflateParams(strm, level, strategy),
      0,
      0,
      outputAddress,
      outputCapacity,
    );
  }

  setDictionary(address: number, length: number): number {
    return this.zlib.exports.deflateSetDictionary(this.live(), address, length);
  }

  reset(): number {
    return this.zlib.exports.deflateReset(this.live());
  }

  bound(sourceLength: number): number {
    return this.zlib.exports.deflateBound(this.live(), sourceLength) >>> 0;
  }

  /** A codec that continues from `state`, a snapshot() of one made with the same parameters. */
  static restore(machine: Machine, parameters: ResolvedDeflateParameters, state: CodecState): ZlibDeflateCodec {
    return restoredCodec(new ZlibDeflateCodec(machine, parameters), (codec) => codec.restoreState(state));
  }

  protected release(strm: number): void {
    this.zlib.exports.deflateEnd(strm);
  }

  protected snapshotCalls() {
    return { size: this.zlib.exports.zaccel_deflate_snapshot_size, write: this.zlib.exports.zaccel_deflate_snapshot };
  }

  protected restoreCall() {
    return this.zlib.exports.zaccel_deflate_restore;
  }
}

export class ZlibInflateCodec extends ZlibStream implements InflateCodec {
  constructor(machine: Machine, parameters: ResolvedInflateParameters) {
    const zlib = ZlibInstance.of(machine);
    super(machine, zlib.exports.zaccel_inflate_arena_size(), (arena) =>
      zlib.exports.zaccel_inflate_init(
        arena.address,
        arena.size,
        formatWindowBits(parameters.format, parameters.windowBits),
      ),
    );
  }

  inflate(
    inputAddress: number,
    inputLength: number,
    outputAddress: number,
    outputCapacity: number,
    flush: FlushMode,
  ): CodecStep {
    return this.step(
      (strm) => this.zlib.exports.inflate(strm, flush),
      inputAddress,
      inputLength,
      outputAddress,
      outputCapacity,
    );
  }

  setDictionary(address: number, length: number): number {
    return this.zlib.exports.inflateSetDictionary(this.live(), address, length);
  }

  reset(): number {
    return this.zlib.exports.inflateReset(this.live());
  }

  static restore(machine: Machine, parameters: ResolvedInflateParameters, state: CodecState): ZlibInflateCodec {
    return restoredCodec(new ZlibInflateCodec(machine, parameters), (codec) => codec.restoreState(state));
  }

  protected release(strm: number): void {
    this.zlib.exports.inflateEnd(strm);
  }

  protected snapshotCalls() {
    return { size: this.zlib.exports.zaccel_inflate_snapshot_size, write: this.zlib.exports.zaccel_inflate_snapshot };
  }

  protected restoreCall() {
    return this.zlib.exports.zaccel_inflate_restore;
  }
}

function initError(status: number): ZaccelError {
  if (status === constants.Z_MEM_ERROR) {
    return new ZaccelError('ZACCEL_INTERNAL', 'zlib arena too small for its stream', { zlibStatus: status });
  }
  return new ZaccelError('ZACCEL_BAD_OPTION', 'zlib rejected the stream parameters', { zlibStatus: status });
}
