/**
 * `weft dev`: everything in one process. With no database URL it starts the embedded
 * PostgreSQL (data under `embedded.data_dir`, port `embedded.port`), migrates, starts the dev
 * services (src/cli/dev-services.ts) and runs until SIGINT/SIGTERM: services stop in reverse
 * order, then the server; a second signal exits at once.
 *
 * `weft dev --check` is the smoke test of that path: start, migrate, start the services, run
 * their checks, print a summary, stop everything, exit 0.
 */
import type { Command } from 'commander';
import { redact } from '../../db/connection.js';
import { coerceError } from '../../db/errors.js';
import { migrateDatabase } from '../../db/migrate.js';
import { devServices, type DevContext, type RunningService } from '../dev-services.js';
import { describeBackend, describeSchema, inspectDatabase } from '../inspect.js';
import { openRuntime, type DatabaseRuntime, type GlobalOptions } from '../runtime.js';

interface DevOptions {
  check?: boolean;
}

function untilAborted(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
}

function describeServer(runtime: DatabaseRuntime, serverVersion: string): string {
  const server = runtime.embedded;
  if (!server) return `${serverVersion} at ${redact(runtime.databaseUrl)}`;
  const data = server.reused ? 'reused existing data' : 'initialised';
  return `${serverVersion} (embedded, port ${server.port}, ${server.dataDir}, ${data})`;
}

async function runChecks(ctx: DevContext, runtime: DatabaseRuntime): Promise<string[]> {
  const report = await inspectDatabase(ctx.sql);
  const lines = [
    `server:   ${describeServer(runtime, report.serverVersion)}`,
    `backend:  ${describeBackend(report)}`,
    `schema:   ${describeSchema(report)}`,
  ];
  for (const service of devServices) {
    if (!service.check) continue;
    const note = await service.check(ctx);
    lines.push(`${(service.name + ':').padEnd(9)} ${note || 'ok'}`);
  }
  return lines;
}

/** Adds `weft dev` to the program. */
export function registerDev(program: Command): Command {
  return program
    .command('dev')
    .description('run everything in one process (on the embedded PostgreSQL unless a database URL is set)')
    .option('--check', 'start, migrate, start the services, run their checks, print a summary and exit')
    .action(async (options: DevOptions, command: Command) => {
      const runtime = await openRuntime(command.optsWithGlobals<GlobalOptions>(), {
        needsDatabase: true,
        embedded: true,
        role: 'dev',
        prettyByDefault: true,
      });
      const { logger } = runtime;
      try {
        await migrateDatabase(runtime.databaseUrl, logger);
        const ctx: DevContext = { config: runtime.config, logger, databaseUrl: runtime.databaseUrl, sql: runtime.sql, signal: runtime.signal };
        const running: Array<{ name: string; service: RunningService }> = [];
        try {
          for (const service of devServices) {
            if (runtime.signal.aborted) break;
            logger.debug({ service: service.name }, 'starting dev service');
            running.push({ name: service.name, service: await service.start(ctx) });
          }
          if (options.check) {
            const lines = await runChecks(ctx, runtime);
            process.stdout.write(['weft dev --check: ok', ...lines.map((l) => `  ${l}`)].join('\n') + '\n');
          } else if (!runtime.signal.aborted) {
            logger.info({ services: running.map((r) => r.name) }, 'weft dev is running; press Ctrl-C to stop');
            await untilAborted(runtime.signal);
          }
        } finally {
          for (const { name, service } of running.reverse()) {
            await service.stop().catch((err: unknown) => logger.error({ service: name, err: coerceError(err) }, 'dev service did not stop cleanly'));
          }
        }
      } finally {
        await runtime.close();
      }
    });
}
