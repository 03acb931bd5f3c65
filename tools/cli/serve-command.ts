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
  for (const setting of settings) command.option(`${setting.flag} <value>`, `${setting.description} (env ${setting.env})`);
  command.action(async (flags: Record<string, string | undefined>) => {
    const byKey = Object.fromEntries(
      settings.filter((setting) => flags[attribute(setting.flag)] !== undefined).map((setting) => [setting.key, flags[attribute(setting.flag)]]),
    );
    const config = resolveConfig(byKey);
    // Fastify and the rest of the service load only when `serve` runs: other commands start as fast as before.
    const { runServer } = await import('../../server/run.js');
    await runServer(config);
  });
}
