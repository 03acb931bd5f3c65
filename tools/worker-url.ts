/**
 * Where a worker thread's entry point is. Workers run compiled JavaScript:
 * from dist/ when zaccel runs built, and also when the caller is the
 * TypeScript source (tests), since Node 20 cannot run .ts in a worker.
 */
import { existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ZaccelError } from '../src/index.js';
import { packageRoot } from '../src/internal.js';

/** The URL of the compiled `tools/<path>.js` under dist/. */
export function workerUrl(path: string): URL {
  const root = packageRoot();
  const compiled = join(root, 'dist', 'tools', `${path}.js`);
  if (!existsSync(compiled)) {
    throw new ZaccelError('ZACCEL_NOT_BUILT', `${relative(root, compiled)} is missing: run npm run build`);
  }
  return pathToFileURL(compiled);
}
