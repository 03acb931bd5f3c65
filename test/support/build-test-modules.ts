/**
 * vitest global setup: builds the DFLTCC emulator and the test-only parameter-block probe before any test worker
 * starts, when they are missing or stale (a fresh clone has no probe). Test files still call ensureBuilt() and
 * ensureProbeBuilt() when they load, but then find the modules up to date: the build, many seconds of `npx asc`
 * on a busy machine, runs here in vitest's main process instead of holding a test worker's event loop.
 */
import { ensureBuilt, ensureProbeBuilt } from '../asm/build.js';

export default function setup(): void {
  ensureBuilt();
  ensureProbeBuilt();
}
