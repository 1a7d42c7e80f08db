/**
 * The queue backend: the real `pgmq` extension where the server offers it, otherwise weft's
 * PGMQ-compatible schema `pgmq` (sql/pgmq/*.sql). Installed by `weft migrate` before the weft
 * schema; never over a foreign `pgmq` schema.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Sql } from './connection.js';
import { SchemaError } from './errors.js';
import { sqlDir } from './paths.js';

export type QueueBackend = 'extension' | 'compat';

/** The PGMQ version whose surface the compat schema reproduces. */
export const PGMQ_COMPAT_VERSION = '1.13.0';
const MARK_PREFIX = 'weft pgmq-compat';

/** The compat schema's SQL files in load order (number prefix). */
export function compatSqlFiles(): string[] {
  const dir = join(sqlDir, 'pgmq');
  return readdirSync(dir)
    .filter((f) => f.endsWith('.sql'))
    .sort()
    .map((f) => join(dir, f));
}

/** The compat schema as one script, and the mark recorded on schema pgmq for it. */
export function compatScript(): { script: string; mark: string } {
  const parts = compatSqlFiles().map((f) => readFileSync(f, 'utf8'));
  const script = parts.join('\n;\n');
  const sha = createHash('sha256').update(script).digest('hex').slice(0, 16);
  return { script, mark: `${MARK_PREFIX} ${PGMQ_COMPAT_VERSION} sha256:${sha}` };
}

interface PgmqState {
  available: boolean;
  extensionInstalled: boolean;
  schemaExists: boolean;
  comment: string | null;
}

async function inspect(sql: Sql): Promise<PgmqState> {
  const [row] = await sql<PgmqState[]>`
    select
      exists (select 1 from pg_catalog.pg_available_extensions where name = 'pgmq') as available,
      exists (select 1 from pg_catalog.pg_extension where extname = 'pgmq') as "extensionInstalled",
      exists (select 1 from pg_catalog.pg_namespace where nspname = 'pgmq') as "schemaExists",
      (select pg_catalog.obj_description(oid, 'pg_namespace') from pg_catalog.pg_namespace where nspname = 'pgmq') as comment`;
  return row!;
}

/**
 * Installs or upgrades the queue backend in one transaction and says which one the database uses.
 * The caller holds the migration lock.
 *
 * @throws SchemaError when a `pgmq` schema exists that is neither the extension nor weft's own.
 */
export async function installQueueBackend(sql: Sql, options: { preferCompat?: boolean } = {}): Promise<QueueBackend> {
  // `sql` may be a reserved connection (no sql.begin there), so the transaction is explicit.
  await sql.unsafe('begin');
  try {
    const backend = await install(sql, options);
    await sql.unsafe('commit');
    return backend;
  } catch (err) {
    await sql.unsafe('rollback').catch(() => undefined);
    throw err;
  }
}

async function install(tx: Sql, options: { preferCompat?: boolean }): Promise<QueueBackend> {
  const state = await inspect(tx);
  if (state.extensionInstalled) return 'extension';
  const { script, mark } = compatScript();
  if (state.schemaExists) {
    if (!state.comment?.startsWith(MARK_PREFIX)) {
      throw new SchemaError(
        'Schema "pgmq" exists but is neither the pgmq extension nor weft\'s compat schema; refusing to install over it (drop or rename it, or install the pgmq extension).',
      );
    }
    if (state.comment === mark) return 'compat';
  } else if (state.available && !options.preferCompat) {
    await tx.unsafe('create extension if not exists pgmq');
    return 'extension';
  }
  await tx.unsafe(script);
  await tx.unsafe(`comment on schema pgmq is '${mark.replace(/'/g, "''")}'`);
  return 'compat';
}

/** Which backend a database uses, or null when none is installed. */
export async function detectQueueBackend(sql: Sql): Promise<QueueBackend | null> {
  const state = await inspect(sql);
  if (state.extensionInstalled) return 'extension';
  if (state.schemaExists && state.comment?.startsWith(MARK_PREFIX)) return 'compat';
  return null;
}
