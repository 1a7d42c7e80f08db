/**
 * Health checks behind /health/ready and /health/detailed: does the database answer, is its
 * weft schema the one this build knows, how deep are the queues, when did each orchestrator
 * processor last act. Every check is bounded by a timeout so that a probe never hangs on a
 * database that does not answer.
 */
import type { Sql } from '../db/connection.js';
import { installedSchemaVersion, knownSchemaVersion } from '../db/migrate.js';

export interface SchemaStatus {
  installed: number;
  known: number;
  current: boolean;
}

export interface ReadyReport {
  latency_ms: number;
  schema: SchemaStatus;
}

export interface QueueDepthRow {
  namespace: string;
  queue_name: string;
  queue_length: number;
  queue_visible_length: number;
  oldest_msg_age_sec: number | null;
  newest_msg_age_sec: number | null;
  total_messages: number;
}

export interface ProcessorRow {
  processor_id: string;
  claims_attempted: number;
  claims_won: number;
  claims_contended: number;
  claims_taken_over: number;
  tasks_finalized: number;
  last_seen_at: Date;
  seconds_since_seen: number;
}

export interface DetailedReport extends ReadyReport {
  server_version: string;
  queues: QueueDepthRow[];
  processors: ProcessorRow[];
}

/** Rejected by withTimeout when the database takes longer than allowed. */
export class HealthTimeoutError extends Error {
  override name = 'HealthTimeoutError';
}

/** Resolves like `promise`, or rejects with HealthTimeoutError after `ms`. */
export async function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new HealthTimeoutError(`${what} did not answer within ${ms} ms`)), ms);
  });
  // The losing promise may still reject later; nobody waits for it then.
  promise.catch(() => undefined);
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * The readiness check: one round trip (`select 1`), then the installed schema version.
 *
 * @example const r = await checkReady(sql); r.schema.current
 */
export async function checkReady(sql: Sql): Promise<ReadyReport> {
  const started = process.hrtime.bigint();
  await sql`select 1`;
  const latency = Number(process.hrtime.bigint() - started) / 1e6;
  const installed = await installedSchemaVersion(sql);
  const known = knownSchemaVersion();
  return { latency_ms: Math.round(latency * 1000) / 1000, schema: { installed, known, current: installed === known } };
}

/**
 * Everything /health/detailed reports. Queue depths come from weft.queue_depths (pgmq.metrics
 * per namespace queue); processors from weft.processor_stats. Counters are bigint in SQL and
 * cast to float8 here so that the JSON carries numbers.
 */
export async function checkDetailed(sql: Sql): Promise<DetailedReport> {
  const ready = await checkReady(sql);
  const [server] = await sql<{ version: string }[]>`select current_setting('server_version') as version`;
  if (!ready.schema.current) {
    return { ...ready, server_version: `PostgreSQL ${server?.version ?? '?'}`, queues: [], processors: [] };
  }
  const queues = await sql<QueueDepthRow[]>`
    select namespace, queue_name, queue_length::float8 as queue_length, queue_visible_length::float8 as queue_visible_length,
           oldest_msg_age_sec::float8 as oldest_msg_age_sec, newest_msg_age_sec::float8 as newest_msg_age_sec,
           total_messages::float8 as total_messages
    from weft.queue_depths order by namespace`;
  const processors = await sql<ProcessorRow[]>`
    select processor_id, claims_attempted::float8 as claims_attempted, claims_won::float8 as claims_won,
           claims_contended::float8 as claims_contended, claims_taken_over::float8 as claims_taken_over,
           tasks_finalized::float8 as tasks_finalized, last_seen_at,
           round(extract(epoch from now() - last_seen_at)::numeric, 3)::float8 as seconds_since_seen
    from weft.processor_stats order by last_seen_at desc`;
  return { ...ready, server_version: `PostgreSQL ${server?.version ?? '?'}`, queues, processors };
}
