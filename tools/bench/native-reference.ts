/**
 * The native reference contender: zlib 1.3.1 built with gcc from the same
 * verified source (wasm/build/zref), timing itself in C.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ZaccelError } from '../../src/index.js';
import { packageRoot } from '../../src/internal.js';

const run = promisify(execFile);

export interface NativeRun {
  bytes: number;
  compressedBytes: number;
  rounds: number;
  seconds: number;
}

export function nativeReferencePath(): string {
  return join(packageRoot(), 'wasm/build/zref');
}

export function nativeReferenceAvailable(): boolean {
  return existsSync(nativeReferencePath());
}

/** Deflate (or inflate) `file` in `chunk`-byte pieces for at least `seconds`, in native code. */
export async function runNative(
  mode: 'deflate' | 'inflate',
  level: number,
  chunk: number,
  seconds: number,
  file: string,
): Promise<NativeRun> {
  if (!nativeReferenceAvailable())
    throw new ZaccelError('ZACCEL_NOT_BUILT', `${nativeReferencePath()} is missing: run npm run build`);
  const { stdout } = await run(nativeReferencePath(), [
    'bench',
    mode,
    String(level),
    String(chunk),
    String(seconds),
    file,
  ]);
  return JSON.parse(stdout) as NativeRun;
}

/**
 * The whole-buffer calls C programs make, timed in C for at least `seconds`: `deflate` is compress2() (one
 * deflate(Z_FINISH) into a deflateBound() buffer), `inflate` is uncompress() (one inflate(Z_FINISH) into a
 * buffer of the known size). `cpuSeconds` is the process's CPU time over the same rounds.
 */
export async function runNativeOneShot(
  mode: 'deflate' | 'inflate',
  level: number,
  seconds: number,
  file: string,
): Promise<NativeRun & { cpuSeconds: number }> {
  if (!nativeReferenceAvailable())
    throw new ZaccelError('ZACCEL_NOT_BUILT', `${nativeReferencePath()} is missing: run npm run build`);
  const { stdout } = await run(nativeReferencePath(), ['oneshot', mode, String(level), String(seconds), file]);
  return JSON.parse(stdout) as NativeRun & { cpuSeconds: number };
}
