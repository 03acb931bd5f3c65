/**
 * One turn of the test worker's event loop, between the steps of a long synchronous test: vitest's worker
 * answers its RPC only when the loop turns, and gives up after 60 s of silence (on a busy machine, a test
 * that is 15 s of synchronous work when the machine is quiet can take that long).
 */
export const yieldToLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
