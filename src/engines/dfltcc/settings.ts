/**
 * The tuning IBM's zlib reads from the environment (dfltcc-spec.md 8.2 and
 * 8.3), with the same names and defaults, overridable per stream.
 */
import type { AccessModel } from '../engine.js';

export interface DfltccSettings {
  /** DFLTCC=0 switches the accelerator off: everything runs in software. Default on. */
  enabled: boolean;
  /** DFLTCC_LEVEL_MASK: bit n set = level n compresses on the accelerator. Default 0x2 (level 1 only). */
  levelMask: number;
  /** DFLTCC_BLOCK_SIZE: start a new dynamic block about every this many input bytes. Default 1 MiB. */
  blockSize: number;
  /** DFLTCC_FIRST_FHT_BLOCK_SIZE: the first block is fixed-Huffman up to this much input; 0 = dynamic. Default 4096. */
  firstFhtBlockSize: number;
  /** DFLTCC_DHT_MIN_SAMPLE_SIZE: a mid-stream dynamic block needs this much input to sample. Default 4096. */
  dhtMinSampleSize: number;
  /** SOURCE_DATE_EPOCH set: compression runs in software (reproducible), decompression stays on the accelerator. */
  reproducible: boolean;
  /** DFLTCC_RIBM: parameter-block byte 3. Default 0. */
  ribm: number;
  /**
   * Not IBM's: feed the engine in 64 KiB pieces, as a program that reads its input in 64 KiB buffers does
   * (gzip's loop), instead of one deflate call per write and per one-shot as a C program calling deflate()
   * once per buffer, or compress2(), does. One-shots then get a first fixed-Huffman block and dynamic blocks
   * after it (smaller output for large inputs) rather than the z15's single fixed block. Default false.
   */
  chunked: boolean;
}

/** The emulator's configuration for a stream. */
export interface DfltccModel {
  /** 'multiple' (default, as the architecture allows): the history append re-reads the input. */
  model: AccessModel;
  /** Bytes processed before CC3; 0 = unbounded (default). */
  cpuAmount: number;
}

export type DfltccOptions = Partial<DfltccSettings>;

/** strtoul(text, 0) as IBM's zlib parses: decimal, 0x hex or 0 octal; empty or invalid gives the default. */
export function parseUnsigned(text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const trimmed = text.trim();
  let value: number;
  if (/^0x[0-9a-f]+$/i.test(trimmed)) value = Number.parseInt(trimmed.slice(2), 16);
  else if (/^0[0-7]+$/.test(trimmed)) value = Number.parseInt(trimmed.slice(1), 8);
  else if (/^[0-9]+$/.test(trimmed)) value = Number.parseInt(trimmed, 10);
  else return fallback;
  return Number.isSafeInteger(value) ? value : fallback;
}

/** The settings from an environment, read once like IBM zlib's library constructor. */
export function settingsFromEnvironment(environment: NodeJS.ProcessEnv): DfltccSettings {
  return {
    enabled: parseUnsigned(environment.DFLTCC, 1) !== 0,
    levelMask: parseUnsigned(environment.DFLTCC_LEVEL_MASK, 0x2) & 0x3ff,
    blockSize: parseUnsigned(environment.DFLTCC_BLOCK_SIZE, 1 << 20),
    firstFhtBlockSize: parseUnsigned(environment.DFLTCC_FIRST_FHT_BLOCK_SIZE, 4096),
    dhtMinSampleSize: parseUnsigned(environment.DFLTCC_DHT_MIN_SAMPLE_SIZE, 4096),
    reproducible: environment.SOURCE_DATE_EPOCH !== undefined,
    ribm: parseUnsigned(environment.DFLTCC_RIBM, 0) & 0xff,
    chunked: false,
  };
}

export const environmentSettings: DfltccSettings = settingsFromEnvironment(process.env);
