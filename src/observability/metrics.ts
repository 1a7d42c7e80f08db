/**
 * Prometheus metrics of a weft API process: engine state read from PostgreSQL on each scrape,
 * the API's own request counters, and Node's default process metrics. One registry per call
 * (no global registry), so several apps in one process do not share series.
 *
 * Engine series (read on scrape, one SQL statement shared by every gauge of that scrape):
 *
 * | metric | type | labels | source |
 * |---|---|---|---|
 * | weft_queue_depth | gauge | namespace | weft.queue_depths.queue_length |
 * | weft_queue_visible | gauge | namespace | weft.queue_depths.queue_visible_length |
 * | weft_queue_oldest_message_age_seconds | gauge | namespace | weft.queue_depths.oldest_msg_age_sec |
 * | weft_tasks | gauge | state | weft.task_stats, summed by state; every state of weft.task_state (0 when none) |
 * | weft_finalization_claim_attempts_total | counter | | sum(weft.processor_stats.claims_attempted) |
 * | weft_finalization_claim_success_total | counter | | sum(claims_won) |
 * | weft_finalization_claim_contention_total | counter | | sum(claims_contended) |
 * | weft_finalization_claim_takeovers_total | counter | | sum(claims_taken_over) |
 * | weft_dead_letters_total | counter | | count(weft.dead_letters) |
 * | weft_database_up | gauge | | 1 when the last scrape could read the database |
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Sql } from '../db/connection.js';
import { coerceError } from '../db/errors.js';
import type { Logger } from './logger.js';

/** What one scrape reads from the database. */
export interface EngineSnapshot {
  queues: Array<{ namespace: string; depth: number; visible: number; oldest_age_seconds: number }>;
  tasks: Record<string, number>;
  claim_attempts: number;
  claim_success: number;
  claim_contention: number;
  claim_takeovers: number;
  dead_letters: number;
}

/**
 * Reads the engine's numbers in one statement (one round trip, one pool connection).
 *
 * SQL: selects from weft.queue_depths, weft.task_stats, weft.processor_stats and
 * weft.dead_letters; bigint sums are cast to float8 so that they arrive as numbers.
 */
export async function readEngineSnapshot(sql: Sql): Promise<EngineSnapshot> {
  const [row] = await sql<EngineSnapshot[]>`
    select
      coalesce((select jsonb_agg(jsonb_build_object(
                  'namespace', q.namespace, 'depth', q.queue_length, 'visible', q.queue_visible_length,
                  'oldest_age_seconds', coalesce(q.oldest_msg_age_sec, 0)) order by q.namespace)
                from weft.queue_depths q), '[]'::jsonb) as queues,
      (select jsonb_object_agg(st.state, coalesce(s.tasks, 0))
       from unnest(enum_range(null::weft.task_state)) as st(state)
       left join (select ts.state, sum(ts.tasks) as tasks from weft.task_stats ts group by ts.state) s on s.state = st.state) as tasks,
      p.claim_attempts, p.claim_success, p.claim_contention, p.claim_takeovers,
      (select count(*) from weft.dead_letters)::float8 as dead_letters
    from (select coalesce(sum(ps.claims_attempted), 0)::float8 as claim_attempts,
                 coalesce(sum(ps.claims_won), 0)::float8 as claim_success,
                 coalesce(sum(ps.claims_contended), 0)::float8 as claim_contention,
                 coalesce(sum(ps.claims_taken_over), 0)::float8 as claim_takeovers
          from weft.processor_stats ps) p`;
  return row!;
}

export interface ApiMetrics {
  registry: Registry;
  /** Counts one HTTP request of the API (route is the matched pattern, not the raw path). */
  observeRequest(method: string, route: string, status: number, seconds: number): void;
}

export interface MetricsOptions {
  sql: Sql;
  logger: Logger;
  /** Node's process metrics (CPU, memory, event loop lag, GC); default true. */
  defaultMetrics?: boolean;
}

/**
 * Creates the registry with every weft series.
 *
 * @example
 *   const metrics = createMetrics({ sql, logger });
 *   const text = await metrics.registry.metrics(); // reads the database once
 */
export function createMetrics(options: MetricsOptions): ApiMetrics {
  const { sql } = options;
  const log = options.logger.child({ component: 'metrics' });
  const registry = new Registry();
  if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: registry });
  const registers = [registry];

  // Every collect() of one scrape starts in the same tick (Registry.metrics awaits them all
  // together), so they share one in-flight read; the next scrape reads again.
  let inflight: Promise<EngineSnapshot | null> | undefined;
  let databaseUp = 0;
  const snapshot = (): Promise<EngineSnapshot | null> => {
    inflight ??= readEngineSnapshot(sql)
      .then((s) => {
        databaseUp = 1;
        return s;
      })
      .catch((err: unknown) => {
        databaseUp = 0;
        log.warn({ err: coerceError(err) }, 'metrics scrape could not read the database');
        return null;
      })
      .finally(() => {
        inflight = undefined;
      });
    return inflight;
  };

  const queueGauge = (name: string, help: string, pick: (q: EngineSnapshot['queues'][number]) => number) =>
    new Gauge({
      name,
      help,
      labelNames: ['namespace'] as const,
      registers,
      async collect() {
        const s = await snapshot();
        this.reset();
        for (const q of s?.queues ?? []) this.set({ namespace: q.namespace }, pick(q));
      },
    });
  queueGauge('weft_queue_depth', 'Messages in the namespace queue (visible or held by a worker).', (q) => q.depth);
  queueGauge('weft_queue_visible', 'Messages in the namespace queue that a worker can read now.', (q) => q.visible);
  queueGauge('weft_queue_oldest_message_age_seconds', 'Age of the oldest message in the namespace queue (0 when empty).', (q) => q.oldest_age_seconds);

  new Gauge({
    name: 'weft_tasks',
    help: 'Tasks by state (weft.task_stats).',
    labelNames: ['state'] as const,
    registers,
    async collect() {
      const s = await snapshot();
      this.reset();
      for (const [state, count] of Object.entries(s?.tasks ?? {})) this.set({ state }, count);
    },
  });

  // Counters whose value is kept by the database: each scrape sets them to the stored total.
  // When the database cannot be read they keep their last value instead of falling to 0.
  const storedCounter = (name: string, help: string, pick: (s: EngineSnapshot) => number) =>
    new Counter({
      name,
      help,
      registers,
      async collect() {
        const s = await snapshot();
        if (!s) return;
        this.reset();
        this.inc(pick(s));
      },
    });
  storedCounter('weft_finalization_claim_attempts_total', 'Finalization claim attempts by all orchestrators.', (s) => s.claim_attempts);
  storedCounter('weft_finalization_claim_success_total', 'Finalization claims won (including takeovers).', (s) => s.claim_success);
  storedCounter('weft_finalization_claim_contention_total', 'Finalization claim attempts that found the claim held by another processor.', (s) => s.claim_contention);
  storedCounter('weft_finalization_claim_takeovers_total', 'Expired finalization claims taken over from another processor.', (s) => s.claim_takeovers);
  storedCounter('weft_dead_letters_total', 'Queue messages weft could not use, kept in weft.dead_letters.', (s) => s.dead_letters);

  new Gauge({
    name: 'weft_database_up',
    help: '1 when this scrape could read the database, else 0.',
    registers,
    async collect() {
      await snapshot();
      this.set(databaseUp);
    },
  });

  const requests = new Counter({
    name: 'weft_api_requests_total',
    help: 'HTTP requests served by the weft API.',
    labelNames: ['method', 'route', 'status'] as const,
    registers,
  });
  const duration = new Histogram({
    name: 'weft_api_request_duration_seconds',
    help: 'Time to serve an HTTP request of the weft API.',
    labelNames: ['method', 'route'] as const,
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers,
  });

  return {
    registry,
    observeRequest(method, route, status, seconds) {
      requests.inc({ method, route, status: String(status) });
      duration.observe({ method, route }, seconds);
    },
  };
}
