// A module hook (node --import) that appends every URL the ESM loader resolves to the file named by
// ZACCEL_RESOLUTIONS: the test of what `import 'zaccel'` loads reads it.
import { register } from 'node:module';

register(
  'data:text/javascript,' +
    encodeURIComponent(`
      import { appendFileSync } from 'node:fs';
      export async function resolve(specifier, context, next) {
        const result = await next(specifier, context);
        appendFileSync(process.env.ZACCEL_RESOLUTIONS, result.url + '\\n');
        return result;
      }
    `),
);
