/**
 * The load hook of module-log.mjs: appends each loaded module's URL to
 * ZACCEL_MODULE_LOG before loading it the ordinary way.
 */
import { appendFileSync } from 'node:fs';

export async function load(url, context, nextLoad) {
  appendFileSync(process.env.ZACCEL_MODULE_LOG, `${url}\n`);
  return nextLoad(url, context);
}
