/**
 * The benchmark checks its own report before printing it: every cell it set
 * out to measure is there, and every figure is a finite, ordered number.
 * Timings are never compared with targets here; that is the report's job.
 */
import { ZaccelError } from '../../src/index.js';
import type { ContenderName } from './contenders.js';
import type { GridResult } from './grid-suite.js';
import type { OneShotTable } from './one-shot-suite.js';
import type { BenchReport } from './report.js';

function checkGrid(name: string, grid: GridResult, contenders: ContenderName[], problems: string[]): void {
  for (const corpus of grid.corpora)
    for (const level of grid.levels)
      for (const chunk of grid.chunks)
        for (const operation of ['deflate', 'inflate'] as const)
          for (const contender of contenders) {
            // The emulated accelerator runs at the levels in its mask only (level 1 by default).
            if (contender.startsWith('zaccel dfltcc') && level !== 1) continue;
            const cell = grid.cells.find(
              (c) =>
                c.contender === contender &&
                c.corpus === corpus.name &&
                c.level === level &&
                c.chunk === chunk &&
                c.operation === operation,
            );
            const where = `${name}: ${contender} ${operation} level ${level} chunk ${chunk} on ${corpus.name}`;
            if (cell === undefined) {
              problems.push(`${where} is missing`);
              continue;
            }
            const { median, min, max, samples } = cell.throughput;
            if (
              !(Number.isFinite(median) && median > 0 && min <= median && median <= max && samples === grid.repetitions)
            )
              problems.push(`${where}: bad throughput`);
            if (!(Number.isFinite(cell.ratio) && cell.ratio > 0)) problems.push(`${where}: bad ratio`);
          }
}

function checkOneShot(
  name: string,
  table: OneShotTable,
  repetitions: number,
  contenders: ContenderName[],
  problems: string[],
): void {
  if (table.inputs.length === 0) problems.push(`${name}: no inputs`);
  for (const input of table.inputs)
    for (const level of table.levels)
      for (const operation of ['deflate', 'inflate'] as const)
        for (const contender of contenders) {
          if (contender.startsWith('zaccel dfltcc') && level !== 1) continue;
          const cell = table.cells.find(
            (c) =>
              c.contender === contender && c.corpus === input.name && c.level === level && c.operation === operation,
          );
          const where = `${name}: ${contender} ${operation} level ${level} on ${input.name}`;
          if (cell === undefined) {
            problems.push(`${where} is missing`);
            continue;
          }
          const { median, min, max, samples } = cell.throughput;
          if (!(Number.isFinite(median) && median > 0 && min <= median && median <= max && samples === repetitions))
            problems.push(`${where}: bad throughput`);
          if (!(Number.isFinite(cell.ratio) && cell.ratio > 0) || cell.bytes !== input.bytes)
            problems.push(`${where}: bad ratio or size`);
        }
}

export function validateReport(report: BenchReport, contenders: ContenderName[]): void {
  const problems: string[] = [];
  if (report.engines) checkGrid('engines', report.engines, contenders, problems);
  if (report.corpora) checkGrid('corpora', report.corpora, contenders, problems);
  if (report.oneShot) {
    checkOneShot('one-shot sizes', report.oneShot.sizes, report.oneShot.repetitions, contenders, problems);
    checkOneShot('one-shot kinds', report.oneShot.kinds, report.oneShot.repetitions, contenders, problems);
  }
  if (report.copy) {
    const expected = 3 * report.copy.chunks.length * 3;
    if (report.copy.cells.length !== expected)
      problems.push(`copy: ${report.copy.cells.length} cells, expected ${expected}`);
    for (const cell of report.copy.cells) {
      const copying = cell.policy === 'always' || (cell.policy === 'auto' && cell.access === 'multiple');
      if (copying !== cell.copies > 0) problems.push(`copy: ${cell.engine} ${cell.policy} made ${cell.copies} copies`);
      if (!(cell.copyShare >= 0 && cell.copyShare < 1 && cell.modelledShare >= 0 && cell.modelledShare < 1))
        problems.push(`copy: ${cell.engine} ${cell.policy}: bad share`);
    }
  }
  if (report.http) {
    for (const level of report.http.levels)
      for (const run of level.http) {
        if (run.requests === 0 || run.errors > 0 || run.non2xx > 0)
          problems.push(
            `http: level ${level.level}, ${run.concurrency} connections: ${run.requests} requests, ${run.errors + run.non2xx} failed`,
          );
        if (!(run.throughputMBps > 0 && run.inProcessMBps > 0 && Number.isFinite(run.eventLoopLagMs.p99)))
          problems.push(`http: level ${level.level}: bad figures`);
      }
  }
  if (problems.length > 0)
    throw new ZaccelError('ZACCEL_INTERNAL', `the benchmark report is malformed:\n- ${problems.join('\n- ')}`);
}
