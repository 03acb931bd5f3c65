#!/usr/bin/env node
/**
 * Ranks the event-loop stalls that test/support/loop-watch.ts recorded (ZACCEL_LOOP_REPORT=DIR): the tests that
 * kept vitest's worker busy the longest, one line each. Usage: node tools/ci/loop-report.mjs DIR [--top N]
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const [directory, flag, value] = process.argv.slice(2);
if (!directory) {
  console.error('usage: node tools/ci/loop-report.mjs DIR [--top N]');
  process.exit(2);
}
const top = flag === '--top' ? Number(value) : 10;
const entries = readFileSync(join(directory, 'loop-stalls.jsonl'), 'utf8')
  .split('\n')
  .filter(Boolean)
  .map((line) => JSON.parse(line))
  .sort((a, b) => b.stallMs - a.stallMs);
console.log(`longest event-loop stalls of the test workers (${entries.length} tests watched):`);
for (const { file, test, stallMs } of entries.slice(0, top))
  console.log(`${(stallMs / 1000).toFixed(2).padStart(8)} s  ${file}  ${test}`);
