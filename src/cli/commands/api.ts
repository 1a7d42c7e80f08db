/**
 * `weft api`: serves the REST API, health probes, Prometheus metrics and the API docs until
 * SIGINT/SIGTERM (see src/api). `--host` and `--port` override `api.host` / `api.port`.
 */
import type { Command } from 'commander';
import { startApiServer } from '../../api/server.js';
import { ConfigError } from '../../db/errors.js';
import { openRuntime, type GlobalOptions } from '../runtime.js';

interface ApiCommandOptions {
  host?: string;
  port?: number;
}

/** Parses `--port`: a whole number 0–65535 (0 picks a free port). */
export function parsePort(value: string): number {
  const port = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isInteger(port) || port < 0 || port > 65535) {
    throw new ConfigError(`--port must be a whole number from 0 to 65535, got ${JSON.stringify(value)}.`);
  }
  return port;
}

/** Adds `weft api` to the program. */
export function registerApi(program: Command): Command {
  return program
    .command('api')
    .description('serve the REST API, health and metrics')
    .option('--host <address>', 'address to listen on (default: api.host, env WEFT_API_HOST)')
    .option('--port <port>', 'port to listen on, 0 for any free port (default: api.port, env WEFT_API_PORT)', parsePort)
    .action(async (options: ApiCommandOptions, command: Command) => {
      if (options.host !== undefined && options.host.trim() === '') throw new ConfigError('--host must not be empty.');
      const rt = await openRuntime(command.optsWithGlobals<GlobalOptions>(), { needsDatabase: true, schema: 'current', role: 'api' });
      try {
        const server = await startApiServer({
          sql: rt.sql,
          logger: rt.logger,
          host: options.host ?? rt.config.api.host,
          port: options.port ?? rt.config.api.port,
        });
        if (!rt.signal.aborted) {
          await new Promise<void>((resolve) => rt.signal.addEventListener('abort', () => resolve(), { once: true }));
        }
        await server.stop();
      } finally {
        await rt.close();
      }
    });
}
