/**
 * Preload (`node --import ./test/support/module-log.mjs`) that writes the
 * URL of every module the process loads to the file named by
 * ZACCEL_MODULE_LOG, one a line: ES modules through a load hook (it runs on
 * the loader's own thread), CommonJS modules from require's cache at exit
 * (Node 20's hooks do not see require() calls made inside CommonJS).
 */
import { appendFileSync } from 'node:fs';
import { createRequire, register } from 'node:module';
import { pathToFileURL } from 'node:url';

const log = process.env.ZACCEL_MODULE_LOG;
if (log === undefined) throw new Error('module-log.mjs needs ZACCEL_MODULE_LOG');
register('./module-log-hooks.mjs', import.meta.url);
process.on('exit', () => {
  const cached = Object.keys(createRequire(import.meta.url).cache).map((path) => pathToFileURL(path).href);
  appendFileSync(log, cached.map((url) => `${url}\n`).join(''));
});
