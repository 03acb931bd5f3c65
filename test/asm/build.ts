// Builds the emulator (and the test-only parameter-block probe) when a source is newer than the
// output. Test files call ensureBuilt() at load time; concurrent workers each build into a private
// temporary file and rename it into place, so a half-written module is never loaded.

import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, renameSync, statSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

const root = fileURLToPath(new URL('../../', import.meta.url));
const asmSrc = join(root, 'asm/src');
const buildDir = join(root, 'asm/build');

function newestSource(extra: string[] = []): number {
  let newest = 0;
  for (const f of readdirSync(asmSrc)) newest = Math.max(newest, statSync(join(asmSrc, f)).mtimeMs);
  for (const f of extra) newest = Math.max(newest, statSync(f).mtimeMs);
  newest = Math.max(newest, statSync(join(root, 'asm/asconfig.json')).mtimeMs);
  return newest;
}

function stale(output: string, extra: string[] = []): boolean {
  return !existsSync(output) || statSync(output).mtimeMs < newestSource(extra);
}

function asc(args: string[], output: string): void {
  mkdirSync(buildDir, { recursive: true });
  const temp = `${output}.${process.pid}.tmp.wasm`;
  execFileSync('npx', ['asc', ...args, '-o', temp], { cwd: root, stdio: 'pipe' });
  renameSync(temp, output);
}

export const emulatorWasm = join(buildDir, 'dfltcc.wasm');
export const probeWasm = join(buildDir, 'param-block-probe.wasm');

/** Build asm/build/dfltcc.wasm with the project's release command when it is missing or stale. */
export function ensureBuilt(): void {
  if (stale(emulatorWasm)) {
    asc(['asm/src/index.ts', '--config', 'asm/asconfig.json', '--target', 'release'], emulatorWasm);
  }
}

/** Build the parameter-block probe (test only). */
export function ensureProbeBuilt(): void {
  const probeSource = join(root, 'test/asm/probe/param-block-probe.ts');
  if (stale(probeWasm, [probeSource])) {
    asc(['test/asm/probe/param-block-probe.ts', '--runtime', 'stub', '-O3', '--noAssert'], probeWasm);
  }
}
