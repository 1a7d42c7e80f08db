/**
 * What every command runs on: the configuration, the root logger, signal handling and (for
 * commands that talk to PostgreSQL) a checked connection pool, on the configured server or the
 * embedded one.
 */
import { loadConfig, type LoadedConfig, type WeftConfig } from '../config/index.js';
import { connect, preflight, retryTransient, type Sql } from '../db/connection.js';
import { ConfigError } from '../db/errors.js';
import { assertSchemaVersion } from '../db/migrate.js';
import { createLogger, type Logger } from '../observability/logger.js';
import { startEmbeddedServer, type EmbeddedHandle } from './embedded-server.js';

/** The options every command accepts (see program.ts). */
export interface GlobalOptions {
  configDir?: string;
  env?: string;
  logLevel?: string;
  databaseUrl?: string;
}

export interface RuntimeOptions {
  /** Open a pool (after a preflight) on the configured database. */
  needsDatabase?: boolean;
  /** With no database URL configured, start the embedded PostgreSQL (stopped by close()). */
  embedded?: boolean;
  /** `current`: fail (exit 4) unless the installed weft schema is the one this build knows. */
  schema?: 'current' | 'none';
  /** Process role, appended to `database.application_name` (e.g. `weft-orchestrator`). */
  role?: string;
  /** Readable logs unless `log.pretty` is set somewhere (`weft dev`). */
  prettyByDefault?: boolean;
  /** Working directory for relative paths; default process.cwd(). */
  cwd?: string;
}

export interface Runtime {
  loaded: LoadedConfig;
  config: WeftConfig;
  logger: Logger;
  /** Aborted by the first SIGINT/SIGTERM; a second one exits at once. */
  signal: AbortSignal;
  /** Closes the pool, stops the embedded server, removes the signal handlers. Idempotent. */
  close(): Promise<void>;
}

export interface DatabaseRuntime extends Runtime {
  databaseUrl: string;
  sql: Sql;
  /** Set when the embedded PostgreSQL was started for this process. */
  embedded: EmbeddedHandle | undefined;
}

/** Turns the global options into configuration flags. */
export function globalFlags(options: GlobalOptions): Parameters<typeof loadConfig>[0] {
  return {
    flags: {
      configDir: options.configDir,
      env: options.env,
      values: { 'log.level': options.logLevel, 'database.url': options.databaseUrl },
    },
  };
}

function watchSignals(logger: Logger): { signal: AbortSignal; dispose(): void } {
  const controller = new AbortController();
  const onSignal = (signal: NodeJS.Signals): void => {
    if (controller.signal.aborted) {
      logger.warn({ signal }, 'second signal: exiting now');
      process.exit(signal === 'SIGINT' ? 130 : 143);
    }
    logger.info({ signal }, 'stopping (send the signal again to exit at once)');
    controller.abort(new Error(`received ${signal}`));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return {
    signal: controller.signal,
    dispose() {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}

/**
 * Opens the runtime of one command.
 *
 * @example
 *   const rt = await openRuntime(cmd.optsWithGlobals(), { needsDatabase: true, schema: 'current', role: 'worker' });
 *   try { await rt.sql`select 1`; } finally { await rt.close(); }
 * @throws ConfigError (2), DatabaseUnavailableError (3), SchemaError (4), WeftError (embedded server).
 */
export async function openRuntime(options: GlobalOptions, runtime: RuntimeOptions & { needsDatabase: true }): Promise<DatabaseRuntime>;
export async function openRuntime(options: GlobalOptions, runtime?: RuntimeOptions): Promise<Runtime>;
export async function openRuntime(options: GlobalOptions, runtime: RuntimeOptions = {}): Promise<Runtime | DatabaseRuntime> {
  const cwd = runtime.cwd ?? process.cwd();
  const loaded = loadConfig({ ...globalFlags(options), env: process.env, cwd });
  const { config } = loaded;
  const prettySet = loaded.sources['log.pretty']?.kind !== 'default';
  const logger = createLogger({
    level: config.log.level,
    pretty: prettySet ? config.log.pretty : (runtime.prettyByDefault ?? config.log.pretty),
  });
  const signals = watchSignals(logger);
  const base: Runtime = {
    loaded,
    config,
    logger,
    signal: signals.signal,
    async close() {
      signals.dispose();
    },
  };
  if (!runtime.needsDatabase) return base;

  let embedded: EmbeddedHandle | undefined;
  let sql: Sql | undefined;
  const close = async (): Promise<void> => {
    const pool = sql;
    sql = undefined;
    if (pool) await pool.end({ timeout: 5 }).catch((err: unknown) => logger.warn({ err }, 'closing the pool failed'));
    if (embedded) await embedded.stop();
    signals.dispose();
  };
  try {
    let databaseUrl = config.database.url;
    if (databaseUrl === undefined) {
      if (!runtime.embedded) {
        throw new ConfigError(
          'No database configured: set DATABASE_URL (or WEFT_DATABASE_URL, database.url, --database-url); only `weft dev` and `weft migrate` start the embedded PostgreSQL.',
        );
      }
      embedded = await startEmbeddedServer(config, cwd, logger);
      databaseUrl = embedded.url;
    }
    const attempts = config.database.connect_attempts;
    const onRetry = (attempt: number, err: Error): void => logger.warn({ attempt, of: attempts, err: err.message }, 'database not reachable yet');
    await preflight(databaseUrl, { attempts, onRetry });
    const name = config.database.application_name;
    const pool = connect(databaseUrl, { applicationName: runtime.role ? `${name}-${runtime.role}` : name, max: config.database.pool_size });
    sql = pool;
    // The server can go away between the preflight and this check (a restart): try again.
    if (runtime.schema === 'current') await retryTransient(() => assertSchemaVersion(pool), { attempts, onRetry });
    return { ...base, databaseUrl, sql: pool, embedded, close };
  } catch (err) {
    await close();
    throw err;
  }
}
