/**
 * Workflow routes: register a definition, list versions, read one with its steps and levels.
 *
 *   POST /v1/workflows                     → weft.register_workflow
 *   GET  /v1/workflows                     → weft.workflows (one row per version)
 *   GET  /v1/workflows/{namespace}/{name}  → latest (or ?version=) with steps and levels
 */
import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
import type { Sql } from '../../db/connection.js';
import { registerWorkflow } from '../../db/weft-api.js';
import { sqlStateProblem } from '../problem.js';
import { getWorkflow, listWorkflows } from '../queries.js';
import { jsonBody, problem } from '../schemas.js';
import {
  WorkflowCreatedSchema,
  WorkflowDefinitionSchema,
  WorkflowListQuery,
  WorkflowListSchema,
  WorkflowPathParams,
  WorkflowSchema,
  WorkflowVersionQuery,
} from '../workflow-schemas.js';

const createWorkflowRoute = createRoute({
  method: 'post',
  path: '/v1/workflows',
  tags: ['workflows'],
  summary: 'Register a workflow',
  description:
    'Registers a workflow version. Registering an identical definition again returns the same id; a different definition under an existing version is a 409 (versions are immutable).',
  request: { body: { content: { 'application/json': { schema: WorkflowDefinitionSchema } }, required: true } },
  responses: {
    201: jsonBody(WorkflowCreatedSchema, 'The workflow id.'),
    400: problem('Malformed JSON, or a field of the wrong type.'),
    409: problem('That version exists with different content.'),
    422: problem('The definition is invalid: unknown dependency, duplicate step, cycle (named), bad retry policy…'),
  },
});

const listWorkflowsRoute = createRoute({
  method: 'get',
  path: '/v1/workflows',
  tags: ['workflows'],
  summary: 'List workflows',
  description: 'Registered workflow versions by namespace and name, newest version first.',
  request: { query: WorkflowListQuery },
  responses: {
    200: jsonBody(WorkflowListSchema, 'The workflow versions.'),
    400: problem('Invalid filter.'),
  },
});

const getWorkflowRoute = createRoute({
  method: 'get',
  path: '/v1/workflows/{namespace}/{name}',
  tags: ['workflows'],
  summary: 'Get a workflow',
  description: 'The latest version (or `?version=`) with its steps, their dependencies and topological levels.',
  request: { params: WorkflowPathParams, query: WorkflowVersionQuery },
  responses: {
    200: jsonBody(WorkflowSchema, 'The workflow.'),
    404: problem('No such workflow (or version).'),
  },
});

/** Adds the workflow routes to the app. */
export function registerWorkflowRoutes(app: OpenAPIHono, deps: { sql: Sql }): void {
  const { sql } = deps;

  app.openapi(createWorkflowRoute, async (c) => {
    const definition = c.req.valid('json');
    const workflowId = await registerWorkflow(sql, definition);
    const { namespace, name, version } = definition;
    return c.json({ workflow_id: workflowId, namespace, name, version }, 201, {
      Location: `/v1/workflows/${encodeURIComponent(namespace)}/${encodeURIComponent(name)}?version=${encodeURIComponent(version)}`,
    });
  });

  app.openapi(listWorkflowsRoute, async (c) => {
    const query = c.req.valid('query');
    const workflows = await listWorkflows(sql, { namespace: query.namespace, name: query.name, latestOnly: query.latest === 'true' });
    return c.json({ workflows }, 200);
  });

  app.openapi(getWorkflowRoute, async (c) => {
    const { namespace, name } = c.req.valid('param');
    const { version } = c.req.valid('query');
    const workflow = await getWorkflow(sql, namespace, name, version);
    if (!workflow) {
      throw sqlStateProblem('WF002', `workflow ${namespace}/${name} not found${version ? ` (version ${version})` : ''}`);
    }
    return c.json(workflow, 200);
  });
}
