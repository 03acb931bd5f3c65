// Functions the host provides (besides env.memory and env.abort).

/**
 * Called only in the `multiple` access model, once per span of the CMPR second operand, after the span
 * was encoded from memory and before it is read again to append it to the history. A no-op is valid;
 * tests use it to modify the input deterministically in that gap (spec §7).
 */
// @ts-ignore: decorator
@external("env", "hazard")
export declare function hazard(pb: i32, addr: i32, len: i32): void;
