/**
 * `zaccel serve` (and `npm start`): the HTTP service. Every setting has a
 * flag and an environment variable (server/config.ts lists them).
 */
import { resolveConfig, settings } from '../../server/config.js';
import type { Command, CommandSpec } from './command.js';

const spec: CommandSpec = {
  name: 'serve',
  usage: 'zaccel serve [options]',
  maxPositionals: 0,
  options: settings.map((setting) => ({
    name: setting.flag.replace(/^--/, ''),
    value: 'VALUE',
    description: `${setting.description} (env ${setting.env})`,
    // A list flag may be repeated (--allow-origin A --allow-origin B): every use is kept.
    repeatable: setting.kind === 'list',
  })),
};

export const serveCommand: Command = {
  spec,
  async run(args) {
    const byKey = Object.fromEntries(
      settings.flatMap((setting) => {
        const value = args.values[setting.flag.replace(/^--/, '')];
        return typeof value === 'string' || Array.isArray(value) ? [[setting.key, value]] : [];
      }),
    );
    const config = resolveConfig(byKey);
    // Fastify and the rest of the service load only when `serve` runs: other commands start without them.
    const { runServer } = await import('../../server/run.js');
    await runServer(config);
  },
};
