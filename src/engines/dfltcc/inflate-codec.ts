/**
 * The dfltcc engine's inflate: the zlib or gzip header and trailer in
 * software, everything between them through DFLTCC-XPND, which decodes
 * block after block until the end of the final block (dfltcc-spec.md 3.5
 * and 8.4). Decompression stays on the accelerator at every level, as on
 * the hardware; only DFLTCC=0 sends it to software zlib.
 */
import { constants, type FlushMode } from '../../constants.js';
import { ZaccelError } from '../../errors.js';
import { ConditionCode, DfltccInstance, FunctionCode } from '../../machine/dfltcc-instance.js';
import type { Machine, Region } from '../../machine/machine.js';
import { HISTORY_BYTES, PARAMETER_BLOCK_BYTES, type ParameterBlock } from '../../machine/parameter-block.js';
import { ZlibInstance } from '../../machine/zlib-instance.js';
import { badSnapshot, SnapshotFields } from '../../snapshot/fields.js';
import {
  type CodecState,
  type CodecStep,
  type Format,
  type InflateCodec,
  type ResolvedInflateParameters,
  restoredCodec,
} from '../engine.js';
import { ZlibInflateCodec } from '../zlib/codecs.js';
import { HeaderParser } from './header-parser.js';
import type { DfltccSettings } from './settings.js';
import { initialCheck } from './wrapper.js';

type Stage = 'header' | 'dictionary' | 'body' | 'trailer' | 'done';

export class DfltccInflateCodec implements InflateCodec {
  readonly engine = 'dfltcc' as const;
  fallbacks = 0;
  private readonly settings: DfltccSettings;
  private readonly software: ZlibInflateCodec | undefined;
  private readonly instance: DfltccInstance | undefined;
  private readonly block: ParameterBlock | undefined;
  private readonly regions: Region[] = [];
  private readonly history: number = 0;
  private stage: Stage = 'header';
  private header!: HeaderParser;
  private format: Format = 'raw';
  private dictionaryId: number | undefined;
  private readonly trailer: number[] = [];
  private totalOut = 0;
  private lastMessage: string | undefined;
  private ended = false;

  constructor(
    private readonly machine: Machine,
    private readonly parameters: ResolvedInflateParameters,
  ) {
    this.settings = parameters.dfltcc;
    try {
      let accelerated = false;
      if (this.settings.enabled) {
        this.instance = DfltccInstance.of(machine, parameters.dfltcc.model, parameters.dfltcc.cpuAmount);
        const { parameterBlock, history } = this.instance.allocateStream();
        this.regions.push(parameterBlock, history);
        this.block = this.instance.block(parameterBlock);
        this.history = history.address;
        accelerated = this.instance.queryAvailableFunctions(parameterBlock.address).inflate;
      }
      if (!accelerated) this.software = new ZlibInflateCodec(machine, parameters);
      this.start();
    } catch (error) {
      this.end();
      throw error;
    }
  }

  message(): string | undefined {
    return this.software?.message() ?? this.lastMessage;
  }

  checkValue(): number {
    return this.block?.checkValue ?? this.software!.checkValue();
  }

  setDictionary(address: number, length: number): number {
    if (this.software !== undefined) return this.software.setDictionary(address, length);
    const rawAtStart = this.format === 'raw' && this.stage === 'body' && this.block!.nt;
    if (this.stage !== 'dictionary' && !rawAtStart) return constants.Z_STREAM_ERROR;
    if (
      this.stage === 'dictionary' &&
      ZlibInstance.of(this.machine).exports.adler32(1, address, length) >>> 0 !== this.dictionaryId
    ) {
      return constants.Z_DATA_ERROR;
    }
    // The dictionary becomes history; the first XPND then honours it (NT=0) with a fresh check value.
    const block = this.block!;
    block.appendHistory(this.history, address, length);
    block.nt = false;
    block.checkValue = initialCheck(this.format);
    this.stage = 'body';
    return constants.Z_OK;
  }

  reset(): number {
    if (this.software !== undefined) return this.software.reset();
    this.start();
    return constants.Z_OK;
  }

  inflate(
    inputAddress: number,
    inputLength: number,
    outputAddress: number,
    outputCapacity: number,
    flush: FlushMode,
  ): CodecStep {
    if (this.ended) throw new ZaccelError('ZACCEL_STREAM_CLOSED');
    if (this.software !== undefined) {
      this.fallbacks++;
      return this.software.inflate(inputAddress, inputLength, outputAddress, outputCapacity, flush);
    }
    const block = this.block!;
    let input = inputAddress;
    let length = inputLength;
    let output = outputAddress;
    let room = outputCapacity;
    const step = (status: number): CodecStep => ({
      status,
      consumed: inputLength - length,
      produced: outputCapacity - room,
    });
    for (;;) {
      switch (this.stage) {
        case 'header': {
          if (length === 0) return step(inputLength === 0 ? constants.Z_BUF_ERROR : constants.Z_OK);
          const result = this.header.feed(this.machine.u8(input));
          input++;
          length--;
          if (result.kind === 'error') return this.dataError(result.message, step);
          if (result.kind === 'done') {
            this.format = result.format;
            this.dictionaryId = result.dictionaryId;
            this.startBody();
            if (this.dictionaryId !== undefined) {
              this.stage = 'dictionary';
              return step(constants.Z_NEED_DICT);
            }
          }
          continue;
        }
        case 'dictionary':
          return step(constants.Z_NEED_DICT);
        case 'body': {
          // Nothing to decode from and nothing held: wait for input.
          if (length === 0 && !block.cf)
            return step(inputLength - length > 0 || room < outputCapacity ? constants.Z_OK : constants.Z_BUF_ERROR);
          const { conditionCode, registers } = this.instance!.run(
            FunctionCode.XPND,
            block.address,
            output,
            room,
            input,
            length,
            this.history,
            undefined,
          );
          const produced = registers.outputAddress - output;
          this.totalOut += produced;
          output += produced;
          room -= produced;
          length -= registers.inputAddress - input;
          input = registers.inputAddress;
          if (conditionCode === ConditionCode.AGAIN) continue;
          if (conditionCode === ConditionCode.OUTPUT_FULL) return step(constants.Z_OK);
          if (conditionCode === ConditionCode.INPUT_SHORT) {
            const oesc = block.oesc;
            if (oesc !== 0)
              return this.dataError(
                `Operation-Ending-Supplemental Code is 0x${oesc.toString(16).toUpperCase().padStart(2, '0')}`,
                step,
              );
            return step(constants.Z_OK); // all input consumed; partial bits are held in the CSB
          }
          // CC0: the final block ended. Skip the rest of the byte holding its last bit, then the trailer.
          if (block.sbb !== 0) {
            input++;
            length--;
          }
          this.stage = this.format === 'raw' ? 'done' : 'trailer';
          continue;
        }
        case 'trailer': {
          const needed = this.format === 'zlib' ? 4 : 8;
          while (this.trailer.length < needed && length > 0) {
            this.trailer.push(this.machine.u8(input));
            input++;
            length--;
          }
          if (this.trailer.length < needed) return step(constants.Z_OK);
          const problem = this.checkTrailer();
          if (problem !== undefined) return this.dataError(problem, step);
          this.stage = 'done';
          continue;
        }
        case 'done':
          return step(constants.Z_STREAM_END);
      }
    }
  }

  end(): void {
    if (this.ended) return;
    this.ended = true;
    this.software?.end();
    for (const region of this.regions.splice(0)) this.machine.free(region);
  }

  /** The codec's whole continuation state: its fields, the header parser's, the parameter block and the history (or software zlib's state). */
  snapshot(): CodecState {
    if (this.ended) throw new ZaccelError('ZACCEL_STREAM_CLOSED');
    return {
      fallbacks: this.fallbacks,
      stage: this.stage,
      header: this.header.snapshot(),
      format: this.format,
      dictionaryId: this.dictionaryId ?? null,
      trailer: [...this.trailer],
      totalOut: this.totalOut,
      lastMessage: this.lastMessage ?? null,
      parameterBlock: this.block === undefined ? null : this.machine.read(this.block.address, PARAMETER_BLOCK_BYTES),
      history: this.block === undefined ? null : this.machine.read(this.history, HISTORY_BYTES),
      software: this.software?.snapshot() ?? null,
    };
  }

  /** A codec that continues from `state`, a snapshot() of one made with the same parameters, in any Machine. */
  static restore(machine: Machine, parameters: ResolvedInflateParameters, state: CodecState): DfltccInflateCodec {
    return restoredCodec(new DfltccInflateCodec(machine, parameters), (codec) => codec.adopt(state));
  }

  private adopt(state: CodecState): void {
    const fields = new SnapshotFields(state, 'dfltcc inflate codec');
    this.fallbacks = fields.integer('fallbacks', 0, Number.MAX_SAFE_INTEGER);
    this.stage = fields.oneOf('stage', ['header', 'dictionary', 'body', 'trailer', 'done'] as const);
    const header = new SnapshotFields(fields.nested('header'), 'dfltcc inflate header');
    this.header.restore({
      bytes: header.integers('bytes', 0, 255),
      format:
        header.optionalString('format') === undefined ? null : header.oneOf('format', ['raw', 'zlib', 'gzip'] as const),
      flags: header.integer('flags', 0, 255),
      extraLength: header.integer('extraLength', -1, 65535),
      stage: header.oneOf('stage', ['fixed', 'extra', 'name', 'comment', 'hcrc', 'dictionary'] as const),
      dictionaryId: header.optionalInteger('dictionaryId', 0, 2 ** 32 - 1) ?? null,
      hcrcStart: header.integer('hcrcStart', -1, Number.MAX_SAFE_INTEGER),
    });
    this.format = fields.oneOf('format', ['raw', 'zlib', 'gzip'] as const);
    this.dictionaryId = fields.optionalInteger('dictionaryId', 0, 2 ** 32 - 1);
    this.trailer.length = 0;
    this.trailer.push(...fields.integers('trailer', 0, 255));
    if (this.trailer.length > 8) throw badSnapshot('dfltcc inflate codec: a trailer longer than 8 bytes');
    this.totalOut = fields.integer('totalOut', 0, Number.MAX_SAFE_INTEGER);
    this.lastMessage = fields.optionalString('lastMessage');
    const software = fields.optionalState('software');
    if ((software !== undefined) !== (this.software !== undefined))
      throw badSnapshot('dfltcc inflate codec: software state where none runs, or none where it does');
    if (this.block !== undefined) {
      this.machine.write(this.block.address, fields.bytes('parameterBlock', PARAMETER_BLOCK_BYTES));
      this.machine.write(this.history, fields.bytes('history', HISTORY_BYTES));
    } else if (state.parameterBlock !== null) {
      throw badSnapshot('dfltcc inflate codec: accelerator state for a stream without one');
    }
    if (software !== undefined) this.software!.restoreState(software);
  }

  private start(): void {
    const zlib = ZlibInstance.of(this.machine).exports;
    const scratch = this.machine;
    this.header = new HeaderParser(this.parameters.format, this.parameters.windowBits, (bytes) => {
      // The gzip header CRC: computed by zlib's crc32 over a copy in machine memory.
      const region = scratch.alloc(Math.max(bytes.length, 1));
      try {
        scratch.write(region.address, Uint8Array.from(bytes));
        return zlib.crc32(0, region.address, bytes.length) >>> 0;
      } finally {
        scratch.free(region);
      }
    });
    this.trailer.length = 0;
    this.totalOut = 0;
    this.dictionaryId = undefined;
    this.lastMessage = undefined;
    this.stage = 'header';
    if (this.block !== undefined) this.block.reset(this.settings.ribm);
    if (this.parameters.format === 'raw') {
      this.format = 'raw';
      this.startBody();
    }
  }

  private startBody(): void {
    this.stage = 'body';
    // With DFLTCC=0 there is no parameter block: software zlib does everything (a raw stream starts here).
    const block = this.block;
    if (block === undefined) return;
    block.cvt = this.format !== 'gzip';
    // NT=1: the first XPND ignores history and initialises the check value.
    block.nt = true;
  }

  private checkTrailer(): string | undefined {
    const bytes = this.trailer;
    const check = this.block!.checkValue;
    if (this.format === 'zlib') {
      const stored = ((bytes[0] << 24) | (bytes[1] << 16) | (bytes[2] << 8) | bytes[3]) >>> 0;
      return stored === check ? undefined : 'incorrect data check';
    }
    const crc = (bytes[0] | (bytes[1] << 8) | (bytes[2] << 16) | (bytes[3] << 24)) >>> 0;
    const size = (bytes[4] | (bytes[5] << 8) | (bytes[6] << 16) | (bytes[7] << 24)) >>> 0;
    if (crc !== check) return 'incorrect data check';
    if (size !== this.totalOut % 2 ** 32) return 'incorrect length check';
    return undefined;
  }

  private dataError(message: string, step: (status: number) => CodecStep): CodecStep {
    this.lastMessage = message;
    return step(constants.Z_DATA_ERROR);
  }
}
