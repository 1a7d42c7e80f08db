/**
 * `weft migrate`: installs or upgrades everything, idempotently, under one advisory lock so that
 * any number of processes may migrate at once.
 *
 *   1. the queue backend (pgmq extension, or weft's compat schema) — see pgmq-backend.ts;
 *   2. schema `weft` through graphile-migrate's committed migrations (migrations/committed);
 *   3. the record of what is installed (weft.installation).
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Logger as GraphileLogger, type LogLevel, type LogMeta } from '@graphile/logger';
import { migrate as graphileMigrate } from 'graphile-migrate';
// graphile-migrate keeps its pg pool alive for 200 ms after a run and exits the process (code 1)
// if that pool sees an error — e.g. the embedded server stopping right after `weft migrate`.
// clearAllPools() ends idle pools now; we then give pg a moment to close their sockets.
import { clearAllPools } from 'graphile-migrate/dist/pgReal.js';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '../observability/logger.js';
import { connect, type Sql } from './connection.js';
import { PgSqlState, SchemaError, WeftError, sqlStateOf } from './errors.js';
import { installQueueBackend, type QueueBackend } from './pgmq-backend.js';
import { migrationsDir } from './paths.js';

/** Key of the session advisory lock held while migrating (`hashtext('weft.migrate')` is not stable across versions, so a constant). */
export const MIGRATE_LOCK_KEY = 7_293_380_001n;

/** The highest committed migration this build knows: the schema version it expects. */
export function knownSchemaVersion(): number {
  const files = readdirSync(join(migrationsDir, 'committed')).filter((f) => /^\d{6}.*\.sql$/.test(f));
  return files.reduce((max, f) => Math.max(max, Number.parseInt(f.slice(0, 6), 10)), 0);
}

/** The schema version installed in the database (0 when weft is not installed). */
export async function installedSchemaVersion(sql: Sql): Promise<number> {
  const [exists] = await sql<{ ok: boolean }[]>`select to_regclass('graphile_migrate.migrations') is not null as ok`;
  if (!exists?.ok) return 0;
  const [row] = await sql<{ version: number | null }[]>`
    select max(substr(filename, 1, 6)::int) as version from graphile_migrate.migrations`;
  return row?.version ?? 0;
}

/**
 * Fails with one sentence when the database holds a newer weft schema than this build knows,
 * or none at all (unless `allowMissing`).
 */
export async function assertSchemaVersion(sql: Sql, options: { allowOlder?: boolean } = {}): Promise<number> {
  const installed = await installedSchemaVersion(sql);
  const known = knownSchemaVersion();
  if (installed > known) {
    throw new SchemaError(
      `The database has weft schema version ${installed}, newer than this weft build knows (${known}); upgrade weft before running it against this database.`,
    );
  }
  if (installed < known && !options.allowOlder) {
    throw new SchemaError(
      `The database has weft schema version ${installed} but this build needs ${known}; run \`weft migrate\` first.`,
    );
  }
  return installed;
}

function graphileLogger(logger: Logger): GraphileLogger {
  return new GraphileLogger(() => (level: LogLevel, message: string, meta?: LogMeta) => {
    const fields = { component: 'migrate', ...meta };
    if (level === 'error') logger.error(fields, message);
    else if (level === 'warning') logger.warn(fields, message);
    else if (level === 'info') logger.info(fields, message);
    else logger.debug(fields, message);
  });
}

export interface MigrateResult {
  backend: QueueBackend;
  schemaVersion: number;
  previousVersion: number;
}

/**
 * Migrates the database at `url`. Safe to run concurrently from several processes: they queue
 * on an advisory lock and the later ones find nothing to do.
 *
 * @example await migrateDatabase(process.env.DATABASE_URL!, logger)
 */
export async function migrateDatabase(url: string, logger: Logger, options: { preferCompat?: boolean } = {}): Promise<MigrateResult> {
  const sql = connect(url, { max: 1, applicationName: 'weft-migrate' });
  try {
    const reserved = await sql.reserve();
    try {
      await reserved`select pg_advisory_lock(${MIGRATE_LOCK_KEY.toString()}::bigint)`;
      const previousVersion = await assertSchemaVersion(reserved as unknown as Sql, { allowOlder: true });
      const backend = await installQueueBackend(reserved as unknown as Sql, options);
      await graphileMigrate({
        connectionString: url,
        migrationsFolder: migrationsDir,
        logger: graphileLogger(logger),
      });
      clearAllPools();
      await sleep(250);
      const schemaVersion = await installedSchemaVersion(reserved as unknown as Sql);
      await reserved`
        insert into weft.installation (key, value) values
          ('schema_version', ${String(schemaVersion)}),
          ('queue_backend', ${backend}),
          ('migrated_at', now()::text)
        on conflict (key) do update set value = excluded.value`;
      logger.info({ component: 'migrate', backend, schemaVersion, previousVersion }, 'database migrated');
      return { backend, schemaVersion, previousVersion };
    } finally {
      await reserved`select pg_advisory_unlock(${MIGRATE_LOCK_KEY.toString()}::bigint)`.catch(() => undefined);
      reserved.release();
    }
  } catch (err) {
    throw explainMigrateError(err, url);
  } finally {
    await sql.end({ timeout: 5 });
  }
}

function explainMigrateError(err: unknown, url: string): Error {
  if (err instanceof WeftError) return err;
  const code = sqlStateOf(err);
  if (code === PgSqlState.insufficientPrivilege) {
    const user = new URL(url).username || 'postgres';
    return new SchemaError(
      `Role ${JSON.stringify(user)} lacks the rights to install weft (${(err as Error).message}); run \`weft migrate\` as the database owner or grant CREATE on the database.`,
      { cause: err },
    );
  }
  return err instanceof Error ? err : new Error(String(err));
}
