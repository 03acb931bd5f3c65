// DFLTCC emulator entry points (the ABI is documented in asm/README.md).
//
// Imports: env.memory (shared), env.abort, env.hazard(pb, addr, len).
// Exports: dfltcc, dfltcc_scratch_size, dfltcc_init, heap_base.

import { expand } from "./expand";
import { compress } from "./compress";
import { generateDynamicHuffmanTable } from "./gdht";
import { queryAvailableFunctions } from "./qaf";
import { configureInstance, SCRATCH_SIZE } from "./instance";
import { initCompressor } from "./compress";
import { CC_OP2_TOO_SHORT, FC_CMPR, FC_GDHT, FC_QAF, FC_XPND, FUNCTION_CODE_MASK } from "./param-block";

/**
 * Execute one DFLTCC instruction.
 * gr0: function code in bits 0-6 (mask 0x7F), history-buffer type in bit 7 (0x80 = circular).
 * gr1: parameter-block address.
 * regs: five little-endian u32 words: R1 address, R1+1 length, R2 address, R2+1 length, R3 address.
 * Returns the condition code 0-3.
 *
 * An unassigned function code stands in for the architecture's specification exception: nothing is
 * stored, no register changes, and the result is CC 2 (the emulator never traps).
 */
export function dfltcc(gr0: i32, gr1: i32, regs: i32): i32 {
  const fc = <u32>gr0 & FUNCTION_CODE_MASK;
  const pb = <usize>(<u32>gr1);
  const registers = <usize>(<u32>regs);
  if (fc == FC_QAF) return queryAvailableFunctions(pb);
  if (fc == FC_GDHT) return generateDynamicHuffmanTable(pb, registers);
  if (fc == FC_CMPR) return compress(<u32>gr0, pb, registers);
  if (fc == FC_XPND) return expand(<u32>gr0, pb, registers);
  return CC_OP2_TOO_SHORT;
}

/** Bytes of per-instance scratch memory dfltcc_init needs (64-byte alignment recommended). */
export function dfltcc_scratch_size(): i32 {
  return <i32>SCRATCH_SIZE;
}

/**
 * Configure this instance: `scratch` is a private region of dfltcc_scratch_size() bytes, `model` the
 * access model (0 single, 1 multiple) and `cpuAmount` the number of second-operand bytes processed
 * before CC3 (0 = unbounded). Must be called once per instance before dfltcc.
 */
export function dfltcc_init(scratch: i32, model: i32, cpuAmount: i32): void {
  configureInstance(<usize>(<u32>scratch), model, <u32>cpuAmount);
  initCompressor();
}

/** First address above this module's static data. */
export function heap_base(): i32 {
  return <i32>__heap_base;
}
