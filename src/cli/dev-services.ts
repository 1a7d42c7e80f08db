/**
 * The services `weft dev` runs in one process, in this order (stopped in reverse).
 *
 * To add one (orchestrator, worker, API, the example workflow): write a `DevService` next to
 * its component and append it to `devServices`. `start()` returns once the service runs; it
 * must watch `ctx.signal` or be stopped by `stop()`. `check()` is the optional `weft dev --check`
 * hook: throw when the service is not healthy; a returned string is printed in the summary.
 */
import type { WeftConfig } from '../config/index.js';
import type { Sql } from '../db/connection.js';
import type { Logger } from '../observability/logger.js';
import { describeBackend, describeSchema, inspectDatabase } from './inspect.js';
import { exampleService, orchestratorService, workerService } from './dev-engine-services.js';
import { apiDevService } from '../api/dev-service.js';

export interface DevContext {
  config: WeftConfig;
  logger: Logger;
  databaseUrl: string;
  sql: Sql;
  /** Aborted on SIGINT/SIGTERM (and at the end of `weft dev --check`). */
  signal: AbortSignal;
}

export interface RunningService {
  stop(): Promise<void>;
}

export interface DevService {
  name: string;
  start(ctx: DevContext): Promise<RunningService>;
  check?(ctx: DevContext): Promise<string | void>;
}

/** Logs what the database holds once at start; its check fails unless the schema is current. */
export const statusService: DevService = {
  name: 'status',
  async start(ctx) {
    const report = await inspectDatabase(ctx.sql);
    ctx.logger.child({ component: 'status' }).info(
      {
        server: report.serverVersion,
        backend: report.backend,
        schemaVersion: report.installedVersion,
        queues: report.queues ?? [],
      },
      `database ready: ${report.serverVersion}, ${describeBackend(report)}, schema ${describeSchema(report)}`,
    );
    return { stop: async () => undefined };
  },
  async check(ctx) {
    const report = await inspectDatabase(ctx.sql);
    if (report.installedVersion !== report.knownVersion) throw new Error(`schema ${describeSchema(report)}`);
    const queues = report.queues ?? [];
    return `${queues.length} queue${queues.length === 1 ? '' : 's'}${queues.length > 0 ? ` (${queues.join(', ')})` : ''}`;
  },
};

/** The registry. The engine's services go after `status`. */
export const devServices: DevService[] = [statusService, orchestratorService, workerService, apiDevService, exampleService];
