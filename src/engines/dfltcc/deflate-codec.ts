/**
 * The dfltcc engine's deflate: what IBM's zlib integration does around the
 * DFLTCC instruction (dfltcc-spec.md section 8), against the emulator.
 *
 * The wrapper (zlib or gzip header and trailer) is written in software. The
 * body is either the accelerator (CMPR, with GDHT for dynamic blocks) or, for
 * what the accelerator cannot do, software zlib producing raw DEFLATE. A
 * deflateParams that moves between the two forces a full flush first, as
 * IBM's zlib does: "do not convert between window formats".
 */
import { constants, type FlushMode, type Level, type Strategy } from '../../constants.js';
import { ZaccelError } from '../../errors.js';
import { ConditionCode, DfltccInstance, FunctionCode, type HazardHook } from '../../machine/dfltcc-instance.js';
import type { Machine, Region } from '../../machine/machine.js';
import { HISTORY_BYTES, PARAMETER_BLOCK_BYTES, type ParameterBlock } from '../../machine/parameter-block.js';
import { ZlibInstance } from '../../machine/zlib-instance.js';
import { badSnapshot, SnapshotFields } from '../../snapshot/fields.js';
import {
  type AccessModel,
  type CodecState,
  type CodecStep,
  type DeflateCodec,
  type ResolvedDeflateParameters,
  restoredCodec,
} from '../engine.js';
import { ZlibDeflateCodec } from '../zlib/codecs.js';
import type { DfltccModel, DfltccSettings } from './settings.js';
import { initialCheck, PendingOutput, streamHeader, streamTrailer } from './wrapper.js';

/** zlib's flush ranking: a repeated flush of equal or lower rank without new input does nothing. */
const rank = (flush: number): number => (flush < 0 ? -1 : flush * 2 - (flush > 4 ? 9 : 0));

/** zlib's compress function for a level (configuration_table[level].func): deflateParams flushes when it changes. */
const compressFunction = (level: Level): 'stored' | 'fast' | 'slow' => {
  const actual = level === -1 ? 6 : level;
  return actual === 0 ? 'stored' : actual <= 3 ? 'fast' : 'slow';
};

/** Can the accelerator compress with these parameters? (dfltcc_can_deflate) */
export function acceleratorCanDeflate(
  settings: DfltccSettings,
  level: Level,
  windowBits: number,
  strategy: Strategy,
): boolean {
  const actual = level === -1 ? 6 : level;
  return (
    settings.enabled &&
    !settings.reproducible &&
    (settings.levelMask & (1 << actual)) !== 0 &&
    windowBits === 15 &&
    (strategy === constants.Z_DEFAULT_STRATEGY || strategy === constants.Z_FIXED)
  );
}

/** A cursor over the caller's output window. */
interface Output {
  address: number;
  room: number;
}

export class DfltccDeflateCodec implements DeflateCodec {
  readonly engine = 'dfltcc' as const;
  /** Deflate calls handed to software zlib because the accelerator could not take them. */
  fallbacks = 0;
  /** Runs between the emulator's encode read and history read (multiple model): for deterministic hazard tests. */
  hazardHook: HazardHook | undefined;

  private readonly settings: DfltccSettings & DfltccModel;
  private readonly format: ResolvedDeflateParameters['format'];
  private readonly windowBits: number;
  private readonly memLevel: number;
  private level: Level;
  private strategy: Strategy;
  private readonly instance: DfltccInstance | undefined;
  private readonly regions: Region[] = [];
  private readonly block: ParameterBlock | undefined;
  private readonly history: number;
  private software: ZlibDeflateCodec | undefined;
  private usingAccelerator: boolean;
  private readonly pending = new PendingOutput();
  private check: number;
  private totalIn = 0;
  private blockThreshold = 0;
  private headerQueued = false;
  private trailerQueued = false;
  private dictionaryId: number | undefined;
  private lastFlush = -2;
  /** The flush already written for the input so far (-1: none): repeating it must not write it again. */
  private writtenFlush = -1;
  private ended = false;

  constructor(
    private readonly machine: Machine,
    parameters: ResolvedDeflateParameters,
  ) {
    this.settings = parameters.dfltcc;
    this.format = parameters.format;
    this.windowBits = parameters.windowBits;
    this.memLevel = parameters.memLevel;
    this.level = parameters.level;
    this.strategy = parameters.strategy;
    this.check = initialCheck(this.format);
    let accelerated = false;
    try {
      if (this.settings.enabled) {
        this.instance = DfltccInstance.of(machine, this.settings.model, this.settings.cpuAmount);
        const { parameterBlock, history } = this.instance.allocateStream();
        this.regions.push(parameterBlock, history);
        this.block = this.instance.block(parameterBlock);
        this.history = history.address;
        // QAF, as IBM's zlib does at init: deflate needs GDHT, CMPR and format 0.
        accelerated = this.instance.queryAvailableFunctions(parameterBlock.address).deflate;
        this.resetBlock();
      } else {
        this.history = 0;
      }
      this.usingAccelerator =
        accelerated && acceleratorCanDeflate(this.settings, this.level, this.windowBits, this.strategy);
      if (!this.usingAccelerator) this.software = this.createSoftware();
    } catch (error) {
      this.end();
      throw error;
    }
  }

  /** The emulator's access model while the accelerator compresses; software zlib reads input once. */
  get access(): AccessModel {
    return this.usingAccelerator ? this.settings.model : 'single';
  }

  /** Each write is one deflate() call, as a C program's (unless the `chunked` option asks for 64 KiB pieces). */
  get wholeWrites(): boolean {
    return !this.settings.chunked;
  }

  /** Whether the accelerator (rather than software zlib) is compressing now. */
  get accelerated(): boolean {
    return this.usingAccelerator;
  }

  message(): string | undefined {
    return this.software?.message();
  }

  checkValue(): number {
    return this.check;
  }

  bound(sourceLength: number): number {
    const wrapper =
      this.format === 'zlib' ? 6 + (this.dictionaryId === undefined ? 0 : 4) : this.format === 'gzip' ? 18 : 0;
    // The accelerator's worst case: every byte a 9-bit literal after a full dynamic header (spec 8.4).
    const accelerator = 2 * sourceLength + 288 + wrapper;
    return Math.max(accelerator, this.software?.bound(sourceLength) ?? 0);
  }

  setDictionary(address: number, length: number): number {
    if (this.format === 'gzip' || this.headerQueued) return constants.Z_STREAM_ERROR;
    const zlib = ZlibInstance.of(this.machine);
    // zlib sets FDICT only for a dictionary it actually loads: an empty one leaves the header as it was.
    // (IBM's dfltcc_deflate_set_dictionary sets strstart = 1 even then; the header here is zlib's.)
    if (this.format === 'zlib' && length > 0) this.dictionaryId = zlib.exports.adler32(1, address, length) >>> 0;
    if (this.usingAccelerator) {
      // The dictionary goes into the circular history (only its last 32 KiB stay).
      this.block!.appendHistory(this.history, address, length);
      return constants.Z_OK;
    }
    return this.software!.setDictionary(address, length);
  }

  reset(): number {
    this.assertOpen();
    this.pending.take(this.pending.length);
    this.pending.bits = this.pending.bitCount = 0;
    this.check = initialCheck(this.format);
    this.totalIn = 0;
    this.headerQueued = this.trailerQueued = false;
    this.writtenFlush = -1;
    this.dictionaryId = undefined;
    this.lastFlush = -2;
    if (this.block !== undefined) this.resetBlock();
    if (this.software !== undefined) return this.software.reset();
    return constants.Z_OK;
  }

  /**
   * deflateParams as zlib with IBM's hook does it. The hook asks for a
   * Z_FULL_FLUSH only when the change moves between accelerator and software
   * and DFLTCC was already used (dfltcc_was_deflate_used: input taken, NT
   * cleared, or history loaded). zlib itself then runs deflate(Z_BLOCK) when
   * the strategy or the compress function changes, once deflate() has been
   * called: on the accelerator that closes the open block with a software
   * end-of-block, and the next input opens a new block (fixed for Z_FIXED).
   */
  params(level: Level, strategy: Strategy, outputAddress: number, outputCapacity: number): CodecStep {
    this.assertOpen();
    const wantAccelerator =
      this.block !== undefined && acceleratorCanDeflate(this.settings, level, this.windowBits, strategy);
    if (wantAccelerator === this.usingAccelerator && !this.usingAccelerator) {
      // Software to software: software zlib's own deflateParams (its own Z_BLOCK flush).
      this.level = level;
      this.strategy = strategy;
      return this.software!.params(level, strategy, outputAddress, outputCapacity);
    }
    const hookFlush =
      wantAccelerator !== this.usingAccelerator && this.wasDeflateUsed()
        ? constants.Z_FULL_FLUSH
        : constants.Z_NO_FLUSH;
    let produced = 0;
    const changes =
      strategy !== this.strategy ||
      compressFunction(level) !== compressFunction(this.level) ||
      hookFlush !== constants.Z_NO_FLUSH;
    if (changes && this.lastFlush !== -2) {
      const flush = rank(hookFlush) > rank(constants.Z_BLOCK) ? hookFlush : constants.Z_BLOCK;
      const step = this.deflate(outputAddress, 0, outputAddress, outputCapacity, flush);
      if (step.status === constants.Z_STREAM_ERROR) return step;
      produced = step.produced;
      // Not done (DEFLATE_DONE): output still pending, or the machine still holds bits or an open block.
      const holding = this.usingAccelerator && (this.block!.cf || this.block!.bcf);
      if (this.pending.length > 0 || holding || (flush === constants.Z_FULL_FLUSH && produced === outputCapacity)) {
        return { status: constants.Z_BUF_ERROR, consumed: 0, produced };
      }
    }
    this.level = level;
    this.strategy = strategy;
    if (wantAccelerator !== this.usingAccelerator) {
      this.usingAccelerator = wantAccelerator;
      if (wantAccelerator) {
        this.software?.end();
        this.software = undefined;
        this.block!.hl = 0;
        this.block!.bcf = false;
      } else {
        this.software = this.createSoftware();
      }
      this.writtenFlush = -1;
    }
    return { status: constants.Z_OK, consumed: 0, produced };
  }

  /** dfltcc_was_deflate_used: input was taken, a CMPR ran (NT cleared), or the history holds a dictionary. */
  private wasDeflateUsed(): boolean {
    const block = this.block!;
    return this.totalIn > 0 || !block.nt || block.hl > 0;
  }

  deflate(
    inputAddress: number,
    inputLength: number,
    outputAddress: number,
    outputCapacity: number,
    flush: FlushMode,
  ): CodecStep {
    this.assertOpen();
    const output: Output = { address: outputAddress, room: outputCapacity };
    const step = (status: number, consumed: number): CodecStep => ({
      status,
      consumed,
      produced: outputCapacity - output.room,
    });
    const previousFlush = this.lastFlush;
    this.lastFlush = flush;
    // zlib applies its duplicate-flush rule only when no output was pending at entry.
    const pendingAtEntry = this.pending.length > 0;

    if (!this.headerQueued) {
      this.pending.pushBytes(streamHeader(this.format, this.level, this.strategy, this.windowBits, this.dictionaryId));
      this.headerQueued = true;
    }
    if (!this.drainPending(output)) {
      this.lastFlush = -1; // the output filled: the same flush must be allowed to continue
      return step(constants.Z_OK, 0);
    }
    if (this.trailerQueued)
      return step(flush === constants.Z_FINISH ? constants.Z_STREAM_END : constants.Z_STREAM_ERROR, 0);
    // A repeated flush with no new input has nothing to do (zlib's duplicate-flush rule), even with bits
    // queued in the machine (CF=1): they stay in the continuation state until the next write or flush.
    if (!pendingAtEntry && inputLength === 0 && flush !== constants.Z_FINISH && rank(flush) <= rank(previousFlush)) {
      return step(constants.Z_BUF_ERROR, 0);
    }

    const body = this.usingAccelerator
      ? this.acceleratorBody(inputAddress, inputLength, output, flush)
      : this.softwareBody(inputAddress, inputLength, output, flush);
    if (body.consumed > 0) this.writtenFlush = -1;
    if (!body.done) {
      this.lastFlush = -1; // the output filled: the same flush must be allowed to continue
      return step(constants.Z_OK, body.consumed);
    }

    if (flush !== constants.Z_NO_FLUSH && this.writtenFlush !== flush) {
      if (this.usingAccelerator) this.writeFlush(flush);
      if (flush === constants.Z_FINISH) {
        this.pending.align();
        this.pending.pushBytes(streamTrailer(this.format, this.check, this.totalIn));
        this.trailerQueued = true;
      }
      this.writtenFlush = flush;
    }
    if (!this.drainPending(output)) {
      this.lastFlush = -1;
      return step(constants.Z_OK, body.consumed);
    }
    if (this.trailerQueued) return step(constants.Z_STREAM_END, body.consumed);
    const progress = body.consumed > 0 || output.room < outputCapacity;
    return step(progress ? constants.Z_OK : constants.Z_BUF_ERROR, body.consumed);
  }

  end(): void {
    if (this.ended) return;
    this.ended = true;
    this.software?.end();
    this.software = undefined;
    for (const region of this.regions.splice(0)) this.machine.free(region);
  }

  // --- snapshots -----------------------------------------------------------

  /**
   * The codec's whole continuation state: its own fields, the parameter
   * block (the accelerator's state, CSB included) and the circular history,
   * and the software fallback's zlib state when one is running.
   */
  snapshot(): CodecState {
    this.assertOpen();
    const pending = this.pending.snapshot();
    return {
      fallbacks: this.fallbacks,
      level: this.level,
      strategy: this.strategy,
      usingAccelerator: this.usingAccelerator,
      check: this.check,
      totalIn: this.totalIn,
      blockThreshold: this.blockThreshold,
      headerQueued: this.headerQueued,
      trailerQueued: this.trailerQueued,
      dictionaryId: this.dictionaryId ?? null,
      lastFlush: this.lastFlush,
      writtenFlush: this.writtenFlush,
      pending: pending.bytes,
      pendingBits: pending.bits,
      pendingBitCount: pending.bitCount,
      parameterBlock: this.block === undefined ? null : this.machine.read(this.block.address, PARAMETER_BLOCK_BYTES),
      history: this.block === undefined ? null : this.machine.read(this.history, HISTORY_BYTES),
      software: this.software?.snapshot() ?? null,
    };
  }

  /** A codec that continues from `state`, a snapshot() of one made with the same parameters, in any Machine. */
  static restore(machine: Machine, parameters: ResolvedDeflateParameters, state: CodecState): DfltccDeflateCodec {
    return restoredCodec(new DfltccDeflateCodec(machine, parameters), (codec) => codec.adopt(state));
  }

  private adopt(state: CodecState): void {
    const fields = new SnapshotFields(state, 'dfltcc deflate codec');
    const largestWord = 2 ** 32 - 1;
    this.fallbacks = fields.integer('fallbacks', 0, Number.MAX_SAFE_INTEGER);
    this.level = fields.integer('level', -1, 9) as Level;
    this.strategy = fields.integer('strategy', 0, 4) as Strategy;
    this.check = fields.integer('check', 0, largestWord);
    this.totalIn = fields.integer('totalIn', 0, Number.MAX_SAFE_INTEGER);
    this.blockThreshold = fields.integer('blockThreshold', 0, Number.MAX_SAFE_INTEGER);
    this.headerQueued = fields.boolean('headerQueued');
    this.trailerQueued = fields.boolean('trailerQueued');
    this.dictionaryId = fields.optionalInteger('dictionaryId', 0, largestWord);
    this.lastFlush = fields.integer('lastFlush', -2, 6);
    this.writtenFlush = fields.integer('writtenFlush', -1, 6);
    this.pending.restore(
      fields.bytes('pending'),
      fields.integer('pendingBits', 0, 255),
      fields.integer('pendingBitCount', 0, 7),
    );
    const usingAccelerator = fields.boolean('usingAccelerator');
    const software = fields.optionalState('software');
    if (usingAccelerator === (software !== undefined))
      throw badSnapshot('dfltcc deflate codec: accelerator and software state disagree');
    if (this.block === undefined) {
      if (state.parameterBlock !== null || usingAccelerator)
        throw badSnapshot('dfltcc deflate codec: accelerator state for a stream without one');
    } else {
      this.machine.write(this.block.address, fields.bytes('parameterBlock', PARAMETER_BLOCK_BYTES));
      this.machine.write(this.history, fields.bytes('history', HISTORY_BYTES));
    }
    this.usingAccelerator = usingAccelerator;
    this.software?.end();
    this.software = undefined;
    if (software !== undefined) {
      this.software = this.createSoftware();
      this.software.restoreState(software);
    }
  }

  // --- the accelerator path ----------------------------------------------

  /**
   * IBM's dfltcc_deflate(), step for step: compress with CMPR until the input
   * is consumed and the machine holds nothing (CF=0), or the output is full.
   * Each pass of the outer loop is one pass of IBM's `again:` label: the
   * block-switch rule is decided there, once per pass, never between the
   * CMPR calls of a CC3 loop. Blocks are closed by writeFlush() for a flush,
   * here for a block switch.
   */
  private acceleratorBody(
    input: number,
    length: number,
    output: Output,
    flush: FlushMode,
  ): { consumed: number; done: boolean } {
    const block = this.block!;
    const settings = this.settings;
    let consumed = 0;
    for (;;) {
      let masked = 0;
      let noFlush = flush === constants.Z_NO_FLUSH;
      // No input and nothing buffered in the parameter block: the flush (if any) is writeFlush()'s.
      if (length === 0 && !block.cf) return { consumed, done: true };
      // An open non-final block that has taken more than a block's worth of input, with enough new input to
      // sample, is closed so that a new dynamic block can adapt to the data. With output still buffered in the
      // machine (CF=1), all input is masked and this pass drains it and closes the block in software.
      if (block.bcf && noFlush && this.totalIn > this.blockThreshold && length >= settings.dhtMinSampleSize) {
        if (block.cf) {
          masked += length;
          length = 0;
          noFlush = false;
        } else {
          this.closeBlock();
        }
      }
      // CMPR is never issued with an empty first operand, nor with software output still pending.
      if (!this.drainPending(output) || output.room === 0) return { consumed, done: false };
      // More than a block of input without a flush: pass one block's worth, so that a later pass starts a new block.
      if (noFlush && length > settings.blockSize) {
        masked += length - settings.blockSize;
        length = settings.blockSize;
      }
      // Z_FINISH opens the final block: BHF stays set until the stream ends.
      if (flush === constants.Z_FINISH && !block.bcf) block.bhf = true;
      // The partial byte travels through SBB; the check value through CV; NT=0 honours history and CV.
      this.machine.setU8(output.address, this.pending.bits);
      block.sbb = this.pending.bitCount;
      block.cvt = this.format !== 'gzip';
      block.checkValue = this.check;
      block.nt = false;
      if (!block.bcf) {
        // Opening a block: fixed Huffman for the very first one (and for Z_FIXED), else a table from GDHT.
        if (this.strategy === constants.Z_FIXED || (this.totalIn === 0 && this.blockThreshold > 0)) {
          block.htt = false;
        } else {
          this.instance!.generateTable(block.address, input, length);
          block.htt = true;
        }
      }
      let conditionCode: number;
      do {
        const run = this.instance!.run(
          FunctionCode.CMPR,
          block.address,
          output.address,
          output.room,
          input,
          length,
          this.history,
          this.hazardHook,
        );
        conditionCode = run.conditionCode;
        const used = length - run.registers.inputLength;
        const produced = run.registers.outputAddress - output.address;
        output.address += produced;
        output.room -= produced;
        input += used;
        length -= used;
        consumed += used;
        this.totalIn += used;
        // A small remainder with masked input behind it waits for the next pass (IBM: "inefficient").
        if (length < 4096 && masked > 0) break;
      } while (conditionCode === ConditionCode.AGAIN);
      this.pending.bitCount = block.sbb;
      this.pending.bits =
        this.pending.bitCount === 0 ? 0 : this.machine.u8(output.address) & ((1 << this.pending.bitCount) - 1);
      this.check = block.checkValue;
      if (conditionCode === ConditionCode.INPUT_SHORT) {
        throw new ZaccelError(
          'ZACCEL_INTERNAL',
          `DFLTCC-CMPR ended with condition code 2 (OESC 0x${block.oesc.toString(16).padStart(2, '0')})`,
        );
      }
      length += masked;
      // The pass that drained the machine for a block switch closes the block (a flush's close is writeFlush()'s).
      if (conditionCode === ConditionCode.OK && !noFlush && flush === constants.Z_NO_FLUSH) this.closeBlock();
      if (length !== 0 && output.room !== 0) continue;
      return { consumed, done: conditionCode === ConditionCode.OK && length === 0 };
    }
  }

  /** Close the open block: the end-of-block symbol from EOBS/EOBL, written in software. The next block may take a block's worth. */
  private closeBlock(): void {
    const block = this.block!;
    const { bits, length } = block.endOfBlock();
    this.pending.putBits(bits, length);
    block.bcf = false;
    this.blockThreshold = this.totalIn + this.settings.blockSize;
  }

  /** What zlib's deflate() adds for a flush once the accelerator has consumed the input. */
  private writeFlush(flush: FlushMode): void {
    const block = this.block!;
    if (flush === constants.Z_FINISH) {
      const finalOpen = block.bcf && block.bhf;
      if (block.bcf) this.closeBlock();
      // No final block yet (a non-final one was open, or no input at all): an empty final block.
      if (!finalOpen) this.pending.emptyFixedBlock(true);
      return;
    }
    if (block.bcf) this.closeBlock();
    if (flush === constants.Z_PARTIAL_FLUSH) this.pending.emptyFixedBlock(false);
    else if (flush === constants.Z_SYNC_FLUSH || flush === constants.Z_FULL_FLUSH) this.pending.emptyStoredBlock(false);
    // Z_FULL_FLUSH forgets the history, so what follows decodes on its own.
    if (flush === constants.Z_FULL_FLUSH) block.hl = 0;
  }

  // --- the software path -------------------------------------------------

  private softwareBody(
    input: number,
    length: number,
    output: Output,
    flush: FlushMode,
  ): { consumed: number; done: boolean } {
    const software = this.software!;
    this.fallbacks++;
    // Software zlib writes its own flush markers and final block; the wrapper stays ours.
    const step = software.deflate(input, length, output.address, output.room, flush);
    if (
      step.status !== constants.Z_OK &&
      step.status !== constants.Z_STREAM_END &&
      step.status !== constants.Z_BUF_ERROR
    ) {
      throw new ZaccelError('ZACCEL_INTERNAL', `software deflate failed: ${software.message() ?? step.status}`, {
        zlibStatus: step.status,
      });
    }
    if (step.consumed > 0 && this.format !== 'raw') {
      const zlib = ZlibInstance.of(this.machine).exports;
      this.check =
        (this.format === 'gzip'
          ? zlib.crc32(this.check, input, step.consumed)
          : zlib.adler32(this.check, input, step.consumed)) >>> 0;
    }
    this.totalIn += step.consumed;
    output.address += step.produced;
    output.room -= step.produced;
    // zlib's contract: the input is consumed and the flush complete once output room is left over.
    return {
      consumed: step.consumed,
      done: step.status === constants.Z_STREAM_END || (step.consumed === length && output.room > 0),
    };
  }

  private createSoftware(): ZlibDeflateCodec {
    return new ZlibDeflateCodec(this.machine, {
      format: 'raw',
      level: this.level,
      windowBits: this.windowBits,
      memLevel: this.memLevel,
      strategy: this.strategy,
      dfltcc: this.settings,
    });
  }

  // --- helpers -----------------------------------------------------------

  /** Move pending whole bytes into the output. True when nothing is left pending. */
  private drainPending(output: Output): boolean {
    if (this.pending.length > 0 && output.room > 0) {
      const bytes = this.pending.take(output.room);
      this.machine.write(output.address, bytes);
      output.address += bytes.length;
      output.room -= bytes.length;
    }
    return this.pending.length === 0;
  }

  private resetBlock(): void {
    this.block!.reset(this.settings.ribm);
    this.blockThreshold = this.settings.firstFhtBlockSize;
  }

  private assertOpen(): void {
    if (this.ended) throw new ZaccelError('ZACCEL_STREAM_CLOSED');
  }
}
