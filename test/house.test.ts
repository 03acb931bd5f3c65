/**
 * The house's one rule for imports: tools → server → src, never back, and
 * outside src/ the library is reached only through its public entry
 * (src/index.ts) or its one small internal entry (src/internal.ts).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { describe, expect, test } from 'vitest';
import { packageRoot } from '../src/internal.js';

const root = packageRoot();
const rank: Record<string, number> = { src: 0, server: 1, tools: 2 };

function sources(folder: string): string[] {
  return readdirSync(join(root, folder), { recursive: true, encoding: 'utf8' })
    .filter((name) => /\.(ts|mjs)$/.test(name))
    .map((name) => join(folder, name));
}

/** Every relative module a file imports (static and dynamic), as a path from the package root. */
function importsOf(file: string): string[] {
  const text = readFileSync(join(root, file), 'utf8');
  const found = [...text.matchAll(/(?:from|import\()\s*'(\.{1,2}\/[^']+)'/g)].map((match) => match[1]);
  return found.map((specifier) => normalize(join(dirname(file), specifier)));
}

describe('imports flow one way', () => {
  for (const folder of ['src', 'server', 'tools']) {
    test(`${folder}/ imports nothing from a folder above it`, () => {
      const wrong = sources(folder).flatMap((file) =>
        importsOf(file)
          .filter((target) => (rank[target.split('/')[0]] ?? -1) > rank[folder])
          .map((target) => `${file} -> ${target}`),
      );
      expect(wrong).toEqual([]);
    });
  }

  for (const folder of ['server', 'tools']) {
    test(`${folder}/ reaches the library only through src/index.ts and src/internal.ts`, () => {
      const entries = new Set(['src/index.js', 'src/internal.js']);
      const wrong = sources(folder).flatMap((file) =>
        importsOf(file)
          .filter((target) => target.startsWith('src/') && !entries.has(target))
          .map((target) => `${relative(root, join(root, file))} -> ${target}`),
      );
      expect(wrong).toEqual([]);
    });
  }
});
