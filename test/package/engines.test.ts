/**
 * The declared `engines` range is the true one: every package in the lock file accepts the lowest Node of each
 * part of our range (so `npm ci --engine-strict` passes on all of them), and the range starts where the package
 * itself starts to work: require(esm), which the `require` condition of `exports` relies on, is unflagged from
 * Node 20.19 and 22.12.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import semver from 'semver';
import { expect, test } from 'vitest';
import { packageRoot } from '../../src/machine/modules.js';

const root = packageRoot();
const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { engines: { node: string } };
const lock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8')) as {
  packages: Record<string, { version?: string; engines?: { node?: string } | string[] }>;
};
const range = new semver.Range(manifest.engines.node);

/** The lowest version of each part of the range (`^20.19.0 || >=22.12.0` gives 20.19.0 and 22.12.0). */
const lowest = range.set.map(
  (comparators) => semver.minVersion(new semver.Range(comparators.map(String).join(' ')))!.version,
);

test('the range starts at Node 20.19 and skips the 22 releases before 22.12', () => {
  expect(lowest).toEqual(['20.19.0', '22.12.0']);
  expect(semver.satisfies('20.18.3', range)).toBe(false);
  expect(semver.satisfies('22.11.0', range)).toBe(false);
  expect(semver.satisfies(process.version, range)).toBe(true);
});

test('every locked package accepts the lowest Node of each part of the range', () => {
  const refusals: string[] = [];
  let checked = 0;
  for (const [path, entry] of Object.entries(lock.packages)) {
    const wanted = Array.isArray(entry.engines) ? undefined : entry.engines?.node;
    if (path === '' || wanted === undefined) continue;
    checked++;
    for (const version of [...lowest, process.version]) {
      if (!semver.satisfies(version, wanted))
        refusals.push(`${path}@${entry.version} wants node ${wanted}, not ${version}`);
    }
  }
  expect(checked).toBeGreaterThan(20);
  expect(refusals).toEqual([]);
});
