/**
 * Routes about the API itself:
 *
 *   GET /metrics       Prometheus text (engine state read on scrape, API requests, process)
 *   GET /openapi.json  the OpenAPI 3.1 document generated from the route schemas
 *   GET /docs          that document as an HTML page
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import { packageRoot } from '../../db/paths.js';
import type { ApiMetrics } from '../../observability/metrics.js';
import { renderDocsPage, type OpenApiDocumentLike } from '../docs-page.js';

function packageVersion(): string {
  try {
    return (JSON.parse(readFileSync(join(packageRoot, 'package.json'), 'utf8')) as { version?: string }).version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
}

const metricsRoute = createRoute({
  method: 'get',
  path: '/metrics',
  tags: ['operations'],
  summary: 'Prometheus metrics',
  description:
    'Queue depth, visible messages and oldest message age per namespace; tasks by state; finalization claim counters; dead letters; ' +
    'API request counters; Node process metrics. Engine values are read from the database on each scrape.',
  responses: {
    200: {
      description: 'Prometheus text exposition format 0.0.4.',
      content: { 'text/plain': { schema: z.string() } },
    },
  },
});

/** Adds /metrics, /openapi.json and /docs. Call after every other route, so the document is complete. */
export function registerMetaRoutes(app: OpenAPIHono, deps: { metrics: ApiMetrics }): void {
  const { registry } = deps.metrics;

  app.openapi(metricsRoute, async (c) => c.text(await registry.metrics(), 200, { 'Content-Type': registry.contentType }));

  app.openAPIRegistry.registerPath({
    method: 'get',
    path: '/openapi.json',
    tags: ['operations'],
    summary: 'OpenAPI document',
    description: 'This API described in OpenAPI 3.1, generated from the schemas the server validates with.',
    responses: { 200: { description: 'The document.', content: { 'application/json': { schema: z.record(z.string(), z.unknown()) } } } },
  });
  app.openAPIRegistry.registerPath({
    method: 'get',
    path: '/docs',
    tags: ['operations'],
    summary: 'API documentation page',
    description: 'The OpenAPI document rendered as a plain HTML page (no scripts).',
    responses: { 200: { description: 'HTML.', content: { 'text/html': { schema: z.string() } } } },
  });

  // The routes are fixed once the app is built, so the document is generated once, on first use.
  let doc: ReturnType<typeof app.getOpenAPI31Document> | undefined;
  const document = () =>
    (doc ??= app.getOpenAPI31Document({
      openapi: '3.1.0',
      info: {
        title: 'weft API',
        version: packageVersion(),
        description:
          'REST interface of weft, a workflow (DAG) orchestration engine on PostgreSQL. Errors are RFC 9457 problem details (application/problem+json).',
      },
      tags: [
        { name: 'tasks', description: 'Runs of a workflow.' },
        { name: 'workflows', description: 'Workflow templates (DAGs of steps).' },
        { name: 'health', description: 'Probes.' },
        { name: 'operations', description: 'Metrics and documentation.' },
      ],
    }));
  let page: string | undefined;

  app.get('/openapi.json', (c) => c.json(document(), 200));
  app.get('/docs', (c) => c.html((page ??= renderDocsPage(document() as OpenApiDocumentLike)), 200));
}
