/**
 * The HTTP app of `weft api`: REST routes validated by zod (@hono/zod-openapi), health probes,
 * Prometheus metrics, the OpenAPI document and its HTML page. Every error is an RFC 9457
 * problem body (see problem.ts).
 *
 * @example
 *   const app = createApp({ sql, logger });
 *   const res = await app.request('/v1/tasks', { method: 'POST', headers: { 'content-type': 'application/json' },
 *     body: JSON.stringify({ namespace: 'shop', workflow: 'checkout', context: { order: 42 } }) });
 *   // 201 { task_id }
 */
import { OpenAPIHono } from '@hono/zod-openapi';
import type { MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { Sql } from '../db/connection.js';
import type { Logger } from '../observability/logger.js';
import { createMetrics, type ApiMetrics } from '../observability/metrics.js';
import { httpProblem, problemFromError, problemResponse, validationProblem } from './problem.js';
import { registerHealthRoutes } from './routes/health.js';
import { registerMetaRoutes } from './routes/meta.js';
import { registerTaskRoutes } from './routes/tasks.js';
import { registerWorkflowRoutes } from './routes/workflows.js';

export interface ApiOptions {
  /** The pool every route uses. The app never closes it. */
  sql: Sql;
  logger: Logger;
  /** Upper bound of each health check's database work (ms); default 5000. */
  healthTimeoutMs?: number;
  /** Largest accepted request body (bytes); default 5 MiB. */
  maxBodyBytes?: number;
  /** Include Node's process metrics in /metrics; default true. */
  defaultMetrics?: boolean;
}

/** The app, with the metrics registry it serves on /metrics. */
export type ApiApp = OpenAPIHono & { metrics: ApiMetrics };

/** Counts and logs each request under its route pattern (bounded label values). */
function observeRequests(log: Logger, metrics: ApiMetrics): MiddlewareHandler {
  return async (c, next) => {
    const started = process.hrtime.bigint();
    await next();
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const status = c.res.status;
    const matched = c.req.routePath;
    const route = status === 404 && (matched === '*' || matched === '/*') ? 'unmatched' : matched;
    metrics.observeRequest(c.req.method, route, status, seconds);
    log.debug({ method: c.req.method, path: c.req.path, route, status, ms: Math.round(seconds * 1e6) / 1e3 }, 'request');
  };
}

/**
 * Builds the app. Routes: /v1/tasks…, /v1/workflows…, /health, /health/ready, /health/detailed,
 * /metrics, /openapi.json, /docs. One metrics registry per app.
 */
export function createApp(options: ApiOptions): ApiApp {
  const { sql } = options;
  const log = options.logger.child({ component: 'api' });
  const metrics = createMetrics({ sql, logger: options.logger, defaultMetrics: options.defaultMetrics ?? true });
  const maxBodyBytes = options.maxBodyBytes ?? 5 * 1024 * 1024;

  const app = new OpenAPIHono({
    // A request that fails its schema (body, query, path) gets a 400 problem listing each bad field.
    defaultHook: (result) => {
      if (!result.success) return problemResponse(validationProblem(result.error, result.target));
      return undefined;
    },
  });

  app.use('*', observeRequests(log, metrics));
  app.use(
    '/v1/*',
    bodyLimit({
      maxSize: maxBodyBytes,
      onError: () => problemResponse(httpProblem(413, `The request body is larger than ${maxBodyBytes} bytes.`)),
    }),
  );

  registerTaskRoutes(app, { sql });
  registerWorkflowRoutes(app, { sql });
  registerHealthRoutes(app, { sql, logger: options.logger, ...(options.healthTimeoutMs ? { timeoutMs: options.healthTimeoutMs } : {}) });
  registerMetaRoutes(app, { metrics });

  app.notFound((c) => problemResponse(httpProblem(404, `No route for ${c.req.method} ${c.req.path}; see /docs.`)));
  app.onError((err, c) => {
    const problem = problemFromError(err);
    if (problem.status >= 500) {
      log.error({ err, method: c.req.method, path: c.req.path, status: problem.status }, 'request failed');
    } else {
      log.debug({ method: c.req.method, path: c.req.path, status: problem.status, detail: problem.detail }, 'request refused');
    }
    return problemResponse(problem);
  });

  return Object.assign(app, { metrics });
}
