/**
 * The error registry, the exported types and the README's error table agree.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { ErrorCodes, ZaccelError } from '../src/index.js';
import { packageRoot } from '../src/machine/modules.js';

test('every registered code is documented in the README, and nothing else is', () => {
  const readme = readFileSync(join(packageRoot(), 'README.md'), 'utf8');
  const table = readme.slice(readme.indexOf('### Errors'));
  const documented = [...table.matchAll(/^\| `(ZACCEL_[A-Z_]+)` \|/gm)].map((match) => match[1]);
  expect(documented.sort()).toEqual(Object.keys(ErrorCodes).sort());
});

test('errors carry code, message, errno and cause', () => {
  const cause = new Error('inner');
  const error = new ZaccelError('ZACCEL_DATA_ERROR', undefined, {
    zlibStatus: -3,
    zlibMessage: 'invalid block type',
    cause,
  });
  expect(error).toBeInstanceOf(Error);
  expect(error.zaccelCode).toBe('ZACCEL_DATA_ERROR');
  expect(error.code).toBe('Z_DATA_ERROR');
  expect(error.message).toBe(ErrorCodes.ZACCEL_DATA_ERROR);
  expect(error.errno).toBe(-3);
  expect(error.zlibMessage).toBe('invalid block type');
  expect(error.cause).toBe(cause);
});
