/**
 * `zaccel serve` (and `npm start`): the HTTP service. Every setting has a
 * flag and an environment variable (server/config.ts lists them).
 */
import type { Command } from 'commander';
import { resolveConfig, settings } from '../../server/config.js';

/** commander's attribute name for a flag: --max-body -> maxBody. */
const attribute = (flag: string) => flag.replace(/^--/, '').replace(/-([a-z])/g, (_match, letter: string) => letter.toUpperCase());

export function registerServeCommand(program: Command): void {
  const command = program
    .command('serve')
    .description('run the HTTP service (flags override the ZACCEL_* environment variables)');
  for (const setting of settings) {
    const description = `${setting.description} (env ${setting.env})`;
    // A list flag may be repeated (--allow-origin A --allow-origin B): commander collects each use.
    if (setting.kind === 'list') command.option(`${setting.flag} <value>`, description, (value: string, list: string[] = []) => [...list, value]);
    else command.option(`${setting.flag} <value>`, description);
  }
  command.action(async (flags: Record<string, string | string[] | undefined>) => {
    const byKey = Object.fromEntries(
      settings.filter((setting) => flags[attribute(setting.flag)] !== undefined).map((setting) => [setting.key, flags[attribute(setting.flag)]]),
    );
    const config = resolveConfig(byKey);
    // Fastify and the rest of the service load only when `serve` runs: other commands start as fast as before.
    const { runServer } = await import('../../server/run.js');
    await runServer(config);
  });
}
