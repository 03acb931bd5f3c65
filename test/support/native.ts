/**
 * The native reference (wasm/build/zref, gcc-built from the same zlib
 * source), driven in batch mode: one process for many deflate jobs, awaited
 * so that the test worker's event loop keeps turning while it runs.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packageRoot } from '../../src/machine/modules.js';
import { runProcess } from './run-process.js';

export const zrefPath = () => join(packageRoot(), 'wasm/build/zref');

export interface NativeJob {
  /** zlib's windowBits argument: negative raw, 8..15 zlib, 24..31 gzip. */
  windowBits: number;
  level: number;
  memLevel: number;
  strategy: number;
  input: Uint8Array;
  dictionary?: Uint8Array;
}

/** Deflate every job with native zlib; returns each output (or undefined where zlib refused). */
export async function nativeDeflate(jobs: NativeJob[]): Promise<(Buffer | undefined)[]> {
  const folder = mkdtempSync(join(tmpdir(), 'zaccel-native-'));
  try {
    const files = new Map<Uint8Array, string>();
    const fileOf = (data: Uint8Array) => {
      let path = files.get(data);
      if (path === undefined) {
        path = join(folder, `input-${files.size}`);
        writeFileSync(path, data);
        files.set(data, path);
      }
      return path;
    };
    const lines = jobs.map(
      (job) =>
        `deflate ${job.windowBits} ${job.level} ${job.memLevel} ${job.strategy} ${fileOf(job.input)} ${
          job.dictionary === undefined ? '-' : fileOf(job.dictionary)
        }\n`,
    );
    const run = await runProcess(zrefPath(), ['batch'], { input: Buffer.from(lines.join('')) });
    if (run.status !== 0) throw new Error(`zref failed: ${run.stderr.toString()}`);
    const out = run.stdout;
    const results: (Buffer | undefined)[] = [];
    let offset = 0;
    for (let index = 0; index < jobs.length; index++) {
      const length = out.readUInt32LE(offset);
      offset += 4;
      if (length === 0xffffffff) {
        results.push(undefined);
        continue;
      }
      results.push(out.subarray(offset, offset + length));
      offset += length;
    }
    return results;
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
}
