import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Build the wasm modules the tests load once, in the main process, before any worker starts.
    globalSetup: ['test/support/build-test-modules.ts'],
    // Measure each test's longest event-loop stall, and let the loop turn between tests.
    setupFiles: ['test/support/loop-watch.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // Child processes: a test that leaves threads or handles behind cannot hold up the others. The default worker
    // count (cores - 1: one on a two-core CI machine) is kept; the tests keep their own event loop free instead.
    pool: 'forks',
  },
});
