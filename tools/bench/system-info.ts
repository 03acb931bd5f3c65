/**
 * The machine line every benchmark report carries.
 */
import { cpus, totalmem } from 'node:os';
import { versions } from 'node:process';

export interface SystemInfo {
  cpu: string;
  cores: number;
  memoryGiB: number;
  node: string;
  v8: string;
  nodeZlib: string;
  platform: string;
}

export function systemInfo(): SystemInfo {
  const cpu = cpus()[0]?.model?.trim() ?? 'unknown CPU';
  return {
    cpu,
    cores: cpus().length,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: versions.node,
    v8: versions.v8,
    nodeZlib: versions.zlib ?? 'unknown',
    platform: `${process.platform}-${process.arch}`,
  };
}

export function systemLine(info: SystemInfo): string {
  return `${info.cpu}, ${info.cores} cores, ${info.memoryGiB} GiB; ${info.platform}; Node ${info.node} (V8 ${info.v8}, node:zlib ${info.nodeZlib})`;
}
