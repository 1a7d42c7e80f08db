/**
 * What `weft doctor`, `weft dev --check` and the dev status service report about a database:
 * server version, queue backend, installed and known schema versions, queues.
 */
import type { Sql } from '../db/connection.js';
import { installedSchemaVersion, knownSchemaVersion } from '../db/migrate.js';
import { detectQueueBackend, type QueueBackend } from '../db/pgmq-backend.js';

export interface DatabaseReport {
  /** e.g. `PostgreSQL 15.18`. */
  serverVersion: string;
  backend: QueueBackend | null;
  installedVersion: number;
  knownVersion: number;
  /** Queue names from pgmq.meta, or null when no queue backend is installed. */
  queues: string[] | null;
}

/**
 * Reads the report. Runs only catalog queries and `select queue_name from pgmq.meta`.
 *
 * @example const r = await inspectDatabase(sql); r.installedVersion === r.knownVersion
 */
export async function inspectDatabase(sql: Sql): Promise<DatabaseReport> {
  const [row] = await sql<{ version: string; meta: boolean }[]>`
    select current_setting('server_version') as version,
           to_regclass('pgmq.meta') is not null as meta`;
  const backend = await detectQueueBackend(sql);
  const queues = row?.meta
    ? (await sql<{ queue_name: string }[]>`select queue_name from pgmq.meta order by queue_name`).map((r) => r.queue_name)
    : null;
  return {
    serverVersion: `PostgreSQL ${row?.version ?? '?'}`,
    backend,
    installedVersion: await installedSchemaVersion(sql),
    knownVersion: knownSchemaVersion(),
    queues,
  };
}

/** `1 (up to date)`, `1 installed, 2 known: run weft migrate`, … */
export function describeSchema(report: DatabaseReport): string {
  const { installedVersion: installed, knownVersion: known } = report;
  if (installed === known) return `${installed} (up to date)`;
  if (installed === 0) return `not installed (this build knows ${known}): run \`weft migrate\``;
  if (installed < known) return `${installed} installed, ${known} known: run \`weft migrate\``;
  return `${installed} installed, newer than this build knows (${known}): upgrade weft`;
}

/** `compat`, `extension` or `not installed`. */
export function describeBackend(report: DatabaseReport): string {
  if (report.backend === 'extension') return 'pgmq extension';
  if (report.backend === 'compat') return 'weft pgmq-compat schema';
  return 'not installed';
}
