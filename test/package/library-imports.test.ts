/**
 * Loading the library loads no third-party module: `import 'zaccel'` (the package's own `exports`, resolved by
 * name) resolves only node: built-ins and the package's own files. The service, the CLI and the benchmark bring
 * their dependencies; a consumer who compresses needs none.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { pathToFileURL } from 'node:url';
import { afterAll, expect, test } from 'vitest';
import { packageRoot } from '../../src/machine/modules.js';

const run = promisify(execFile);
const root = packageRoot();
const scratch = mkdtempSync(join(tmpdir(), 'zaccel-imports-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** Every URL the loader resolved while `script` ran in a fresh process at the package root. */
async function resolutions(script: string): Promise<string[]> {
  const log = join(scratch, `resolved-${Math.random().toString(36).slice(2)}.txt`);
  await run(
    process.execPath,
    [
      '--import',
      pathToFileURL(join(root, 'test/support/record-resolutions.mjs')).href,
      '--input-type=module',
      '-e',
      script,
    ],
    {
      cwd: root,
      env: { ...process.env, ZACCEL_RESOLUTIONS: log },
    },
  );
  return readFileSync(log, 'utf8').trim().split('\n');
}

test("import 'zaccel' resolves only built-ins and the package's own files", async () => {
  const urls = await resolutions("const z = await import('zaccel'); z.gunzipSync(z.gzipSync('x'));");
  // The hook saw the library itself: without this, an empty log would pass.
  expect(urls).toContain(pathToFileURL(join(root, 'dist/src/index.js')).href);
  const own = pathToFileURL(`${root}/dist/src/`).href;
  const foreign = urls.filter((url) => !url.startsWith('node:') && !url.startsWith(own));
  expect(foreign).toEqual([]);
});

test('the hook does see third-party modules: the service loads fastify', async () => {
  const urls = await resolutions("await import('./dist/server/app.js');");
  expect(urls.some((url) => url.includes('/node_modules/fastify/'))).toBe(true);
});
