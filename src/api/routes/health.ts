/**
 * Health routes for probes and operators.
 *
 *   GET /health           liveness: the process serves HTTP (never touches the database)
 *   GET /health/ready     readiness: the database answers and its weft schema is current; else 503
 *   GET /health/detailed  database latency, schema versions, queue depths, orchestrator processors
 */
import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import type { Sql } from '../../db/connection.js';
import { coerceError } from '../../db/errors.js';
import type { Logger } from '../../observability/logger.js';
import { checkDetailed, checkReady, withTimeout } from '../health.js';
import { ApiProblem, problemType } from '../problem.js';
import { jsonBody, problem } from '../schemas.js';

const SchemaStatusSchema = z.object({ installed: z.number().int(), known: z.number().int(), current: z.boolean() }).openapi('SchemaStatus');

const LiveSchema = z.object({ status: z.literal('ok') }).openapi('Live');

const ReadySchema = z
  .object({ status: z.literal('ready'), latency_ms: z.number(), schema: SchemaStatusSchema })
  .openapi('Ready');

const DetailedSchema = z
  .object({
    status: z.enum(['ok', 'degraded']).openapi({ description: 'degraded: the schema is not the one this build knows.' }),
    checked_at: z.string().openapi({ format: 'date-time' }),
    uptime_seconds: z.number(),
    database: z.object({ latency_ms: z.number(), server_version: z.string(), schema: SchemaStatusSchema }),
    queues: z.array(
      z.object({
        namespace: z.string(),
        queue_name: z.string(),
        queue_length: z.number(),
        queue_visible_length: z.number(),
        oldest_msg_age_sec: z.number().nullable(),
        newest_msg_age_sec: z.number().nullable(),
        total_messages: z.number(),
      }),
    ),
    processors: z.array(
      z.object({
        processor_id: z.string(),
        claims_attempted: z.number(),
        claims_won: z.number(),
        claims_contended: z.number(),
        claims_taken_over: z.number(),
        tasks_finalized: z.number(),
        last_seen_at: z.string().openapi({ format: 'date-time' }),
        seconds_since_seen: z.number(),
      }),
    ),
  })
  .openapi('HealthDetailed');

const liveRoute = createRoute({
  method: 'get',
  path: '/health',
  tags: ['health'],
  summary: 'Liveness',
  description: 'The process serves HTTP. Does not touch the database.',
  responses: { 200: jsonBody(LiveSchema, 'Alive.') },
});

const readyRoute = createRoute({
  method: 'get',
  path: '/health/ready',
  tags: ['health'],
  summary: 'Readiness',
  description: 'The database answers and holds the weft schema version this build knows.',
  responses: {
    200: jsonBody(ReadySchema, 'Ready to serve.'),
    503: problem('The database does not answer, or its schema is missing, older or newer.'),
  },
});

const detailedRoute = createRoute({
  method: 'get',
  path: '/health/detailed',
  tags: ['health'],
  summary: 'Detailed health',
  description: 'Database latency and version, schema versions, namespace queue depths and orchestrator processors with their last activity.',
  responses: {
    200: jsonBody(DetailedSchema, 'The report.'),
    503: problem('The database does not answer.'),
  },
});

function notReady(detail: string): ApiProblem {
  return new ApiProblem({ type: problemType('not_ready'), title: 'Not ready', status: 503, detail });
}

/** Adds the health routes. `timeoutMs` bounds each database check (default 5000). */
export function registerHealthRoutes(app: OpenAPIHono, deps: { sql: Sql; logger: Logger; timeoutMs?: number }): void {
  const { sql } = deps;
  const timeoutMs = deps.timeoutMs ?? 5000;
  const log = deps.logger.child({ component: 'health' });
  const startedAt = Date.now();

  const unreachable = (err: unknown): ApiProblem => {
    const message = coerceError(err).message;
    log.warn({ err: message }, 'health check: database unreachable');
    return notReady(`The database does not answer: ${message}`);
  };

  app.openapi(liveRoute, (c) => c.json({ status: 'ok' as const }, 200));

  app.openapi(readyRoute, async (c) => {
    const report = await withTimeout(checkReady(sql), timeoutMs, 'the database').catch((err: unknown) => {
      throw unreachable(err);
    });
    const { installed, known } = report.schema;
    if (!report.schema.current) {
      const detail =
        installed === 0
          ? `The weft schema is not installed (this build needs version ${known}); run \`weft migrate\`.`
          : installed < known
            ? `The weft schema is version ${installed} but this build needs ${known}; run \`weft migrate\`.`
            : `The weft schema is version ${installed}, newer than this build knows (${known}); upgrade weft.`;
      throw notReady(detail);
    }
    return c.json({ status: 'ready' as const, latency_ms: report.latency_ms, schema: report.schema }, 200);
  });

  app.openapi(detailedRoute, async (c) => {
    const report = await withTimeout(checkDetailed(sql), timeoutMs, 'the database').catch((err: unknown) => {
      throw unreachable(err);
    });
    return c.json(
      {
        status: report.schema.current ? ('ok' as const) : ('degraded' as const),
        checked_at: new Date().toISOString(),
        uptime_seconds: Math.round((Date.now() - startedAt) / 1000),
        database: { latency_ms: report.latency_ms, server_version: report.server_version, schema: report.schema },
        queues: report.queues,
        processors: report.processors,
      },
      200,
    );
  });
}
