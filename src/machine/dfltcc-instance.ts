/**
 * One instance of the DFLTCC emulator in this thread, on one Machine, with
 * one configuration (access model and CPU-determined amount): its scratch
 * region, its register block, and the hazard hook that runs between the
 * encode read and the history read of the second operand.
 */
import { ZaccelError } from '../errors.js';
import type { AccessModel } from '../engines/engine.js';
import { emulatorImports, type Machine, type Region } from './machine.js';
import {
  HISTORY_ALIGNMENT,
  HISTORY_BYTES,
  PARAMETER_BLOCK_ALIGNMENT,
  PARAMETER_BLOCK_BYTES,
  ParameterBlock,
} from './parameter-block.js';
import { WebAssembly } from './webassembly.js';

export const FunctionCode = { QAF: 0, GDHT: 1, CMPR: 2, XPND: 4 } as const;
export const CIRCULAR_HISTORY = 0x80;

export const ConditionCode = {
  /** Normal completion (XPND: end of the final block). */
  OK: 0,
  /** First operand (output) full; its length is 0. */
  OUTPUT_FULL: 1,
  /** Second operand used up (OESC 0), or corrupt data (OESC != 0). */
  INPUT_SHORT: 2,
  /** CPU-determined amount processed: call again. */
  AGAIN: 3,
} as const;

interface EmulatorExports {
  dfltcc(gr0: number, gr1: number, registers: number): number;
  dfltcc_scratch_size(): number;
  dfltcc_init(scratch: number, model: number, cpuAmount: number): void;
}

/** The five register words after a call. */
export interface Registers {
  outputAddress: number;
  outputLength: number;
  inputAddress: number;
  inputLength: number;
}

/** Called between the encode read and the history read of a span (multiple model only). */
export type HazardHook = (parameterBlock: number, address: number, length: number) => void;

export class DfltccInstance {
  /** What this thread's instance with this configuration runs while a call is in progress. */
  hazardHook: HazardHook | undefined;
  private readonly exports: EmulatorExports;
  private readonly registers: Region;

  private constructor(
    private readonly machine: Machine,
    readonly model: AccessModel,
    readonly cpuAmount: number,
  ) {
    const module = machine.module('dfltcc');
    if (module === undefined)
      throw new ZaccelError('ZACCEL_ENGINE_UNAVAILABLE', 'the DFLTCC emulator is not built: run npm run build');
    const instance = new WebAssembly.Instance(
      module,
      emulatorImports(machine.memory, (pb, address, length) => this.hazardHook?.(pb, address, length)),
    );
    this.exports = instance.exports as unknown as EmulatorExports;
    const scratch = machine.alloc(this.exports.dfltcc_scratch_size(), 64);
    this.registers = machine.alloc(20, 8);
    this.exports.dfltcc_init(scratch.address, model === 'multiple' ? 1 : 0, cpuAmount >>> 0);
  }

  /** This thread's instance on `machine` with this configuration, created on first use. */
  static of(machine: Machine, model: AccessModel, cpuAmount: number): DfltccInstance {
    let byKey = instances.get(machine);
    if (byKey === undefined) {
      byKey = new Map();
      instances.set(machine, byKey);
    }
    const key = `${model}/${cpuAmount}`;
    let instance = byKey.get(key);
    if (instance === undefined) {
      instance = new DfltccInstance(machine, model, cpuAmount);
      byKey.set(key, instance);
    }
    return instance;
  }

  /** A parameter block and a circular history buffer for one stream. */
  allocateStream(): { parameterBlock: Region; history: Region } {
    const parameterBlock = this.machine.alloc(PARAMETER_BLOCK_BYTES, PARAMETER_BLOCK_ALIGNMENT);
    try {
      return { parameterBlock, history: this.machine.alloc(HISTORY_BYTES, HISTORY_ALIGNMENT) };
    } catch (error) {
      this.machine.free(parameterBlock);
      throw error;
    }
  }

  block(region: Region): ParameterBlock {
    return new ParameterBlock(this.machine, region.address);
  }

  /** DFLTCC-QAF into the block; true when GDHT, CMPR, XPND and format 0 are all installed. */
  queryAvailableFunctions(parameterBlock: number): { deflate: boolean; inflate: boolean } {
    this.exports.dfltcc(FunctionCode.QAF, parameterBlock, this.registers.address);
    const functions = this.machine.u8(parameterBlock);
    const format0 = (this.machine.u8(parameterBlock + 24) & 0x80) !== 0;
    const has = (code: number) => (functions & (0x80 >>> code)) !== 0;
    return {
      deflate: format0 && has(FunctionCode.GDHT) && has(FunctionCode.CMPR),
      inflate: format0 && has(FunctionCode.XPND),
    };
  }

  /** DFLTCC-GDHT on a sample: no register changes. */
  generateTable(parameterBlock: number, sample: number, sampleLength: number): number {
    this.setRegisters(0, 0, sample, sampleLength, 0);
    return this.exports.dfltcc(FunctionCode.GDHT, parameterBlock, this.registers.address);
  }

  /** One CMPR or XPND with circular history. Returns the condition code; `after` gets the registers. */
  run(
    functionCode: number,
    parameterBlock: number,
    output: number,
    outputLength: number,
    input: number,
    inputLength: number,
    history: number,
    hazard: HazardHook | undefined,
  ): { conditionCode: number; registers: Registers } {
    this.setRegisters(output, outputLength, input, inputLength, history);
    this.hazardHook = hazard;
    let conditionCode: number;
    try {
      conditionCode = this.exports.dfltcc(functionCode | CIRCULAR_HISTORY, parameterBlock, this.registers.address);
    } finally {
      this.hazardHook = undefined;
    }
    const base = this.registers.address;
    return {
      conditionCode,
      registers: {
        outputAddress: this.machine.u32(base),
        outputLength: this.machine.u32(base + 4),
        inputAddress: this.machine.u32(base + 8),
        inputLength: this.machine.u32(base + 12),
      },
    };
  }

  private setRegisters(
    output: number,
    outputLength: number,
    input: number,
    inputLength: number,
    history: number,
  ): void {
    const base = this.registers.address;
    this.machine.setU32(base, output);
    this.machine.setU32(base + 4, outputLength);
    this.machine.setU32(base + 8, input);
    this.machine.setU32(base + 12, inputLength);
    this.machine.setU32(base + 16, history);
  }
}

const instances = new WeakMap<Machine, Map<string, DfltccInstance>>();
