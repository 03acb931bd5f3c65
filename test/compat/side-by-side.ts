/**
 * Running one piece of code against node:zlib and against zaccel, to compare
 * what they do. Scenarios get the library as `zlib`, typed loosely, as code
 * written for node:zlib sees it.
 */
import * as nodeZlib from 'node:zlib';
import * as zaccel from '../../src/index.js';

// biome-ignore lint/suspicious/noExplicitAny: node:zlib and zaccel run the same untyped test code side by side
export type Zlib = any;

export const libraries: Record<'node' | 'zaccel', Zlib> = { node: nodeZlib, zaccel };

/** What a thrown error looks like to a program that checks it. */
export interface ErrorShape {
  name: string;
  code: unknown;
  errno?: unknown;
  message: string;
  isRangeError: boolean;
  isTypeError: boolean;
}

export function shapeOf(error: unknown): ErrorShape {
  const value = error as Error & { code?: unknown; errno?: unknown };
  const shape: ErrorShape = {
    name: value.name,
    code: value.code,
    message: value.message,
    isRangeError: value instanceof RangeError,
    isTypeError: value instanceof TypeError,
  };
  if (value.errno !== undefined) shape.errno = value.errno;
  return shape;
}

/** The error `body` throws, or 'no error'. */
export function thrownBy(body: () => unknown): ErrorShape | 'no error' {
  try {
    body();
    return 'no error';
  } catch (error) {
    return shapeOf(error);
  }
}

/** Run the scenario on both libraries (one after the other) and return both results. */
export async function sideBySide<T>(scenario: (zlib: Zlib) => T | Promise<T>): Promise<{ node: T; zaccel: T }> {
  const node = await scenario(libraries.node);
  const ours = await scenario(libraries.zaccel);
  return { node, zaccel: ours };
}

/** Collect a stream's output and wait for its end (or error). */
export function drain(stream: NodeJS.ReadableStream & NodeJS.WritableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  return new Promise((resolve, reject) => {
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.on('end', () => resolve(Buffer.concat(chunks)));
    stream.on('error', reject);
  });
}

export const text = Buffer.from(
  Array.from(
    { length: 4000 },
    (_, index) => `line ${index}: the quick brown fox ${index % 7} jumps over the lazy dog\n`,
  ).join(''),
);
