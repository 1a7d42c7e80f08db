/**
 * Task routes: request, read, list, cancel, and the task log (transitions).
 *
 *   POST /v1/tasks                    → weft.request_task
 *   GET  /v1/tasks/{id}               → the task with its steps
 *   GET  /v1/tasks                    → filtered list, newest first
 *   POST /v1/tasks/{id}/cancel        → weft.cancel_task
 *   POST /v1/tasks/{id}/retry         → weft.retry_task / weft.retry_step
 *   GET  /v1/tasks/{id}/transitions   → weft.transitions of the task
 */
import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
import { getTask, listTasks } from '../../client/tasks.js';
import type { Sql } from '../../db/connection.js';
import { cancelTask, requestTask, retryStep, retryTask } from '../../db/weft-api.js';
import { sqlStateProblem } from '../problem.js';
import { taskExists, taskTransitions } from '../queries.js';
import {
  CancelRequestSchema,
  CancelResultSchema,
  RetryRequestSchema,
  RetryResultSchema,
  TaskCreatedSchema,
  TaskIdParam,
  TaskListQuery,
  TaskListSchema,
  TaskRequestSchema,
  TaskSchema,
  TransitionListSchema,
  jsonBody,
  problem,
} from '../schemas.js';

/** Who the API writes into requested_by / transitions.processor_id. */
const API_ACTOR = 'api';

const requestTaskRoute = createRoute({
  method: 'post',
  path: '/v1/tasks',
  tags: ['tasks'],
  summary: 'Request a task',
  description:
    'Creates a task of a workflow (the latest version unless `version` is given) and starts it unless `run_after` is in the future. ' +
    'With an `idempotency_key`, repeating the identical request returns the same `task_id`; reusing the key for a different request is a 409.',
  request: { body: { content: { 'application/json': { schema: TaskRequestSchema } }, required: true } },
  responses: {
    201: jsonBody(TaskCreatedSchema, 'The task id (the existing one for a repeated idempotent request).'),
    400: problem('Invalid request (malformed JSON, missing namespace, context not an object, unknown priority…).'),
    404: problem('No such workflow (or version).'),
    409: problem('The idempotency key was used for a different request.'),
  },
});

const getTaskRoute = createRoute({
  method: 'get',
  path: '/v1/tasks/{id}',
  tags: ['tasks'],
  summary: 'Get a task',
  description: 'The task (state, context, result, error, timestamps, progress) with its steps in workflow order.',
  request: { params: TaskIdParam },
  responses: {
    200: jsonBody(TaskSchema, 'The task.'),
    400: problem('The id is not a UUID.'),
    404: problem('No task with that id.'),
  },
});

const listTasksRoute = createRoute({
  method: 'get',
  path: '/v1/tasks',
  tags: ['tasks'],
  summary: 'List tasks',
  description: 'Tasks, newest first, filtered by state, namespace, workflow name and priority.',
  request: { query: TaskListQuery },
  responses: {
    200: jsonBody(TaskListSchema, 'Matching tasks.'),
    400: problem('A filter has a value outside its list, or limit is out of range.'),
  },
});

const cancelTaskRoute = createRoute({
  method: 'post',
  path: '/v1/tasks/{id}/cancel',
  tags: ['tasks'],
  summary: 'Cancel a task',
  description:
    'Stops a pending or running task: nothing more starts and the task moves to finalizing, then cancelled. ' +
    'Idempotent: cancelling a finished task returns its state.',
  request: {
    params: TaskIdParam,
    body: { content: { 'application/json': { schema: CancelRequestSchema } }, required: false },
  },
  responses: {
    200: jsonBody(CancelResultSchema, 'The task state after the request.'),
    400: problem('The id is not a UUID, or the body is invalid.'),
    404: problem('No task with that id.'),
  },
});

const retryTaskRoute = createRoute({
  method: 'post',
  path: '/v1/tasks/{id}/retry',
  tags: ['tasks'],
  summary: 'Retry a failed task (or one step)',
  description:
    'Runs a task that ended in error again from where it failed: its failed steps and the steps after them, with a fresh ' +
    'attempt budget; completed steps keep their results. With `step`, retries that step only (due now if it is waiting ' +
    'for its backoff). Audited with requested_by.',
  request: {
    params: TaskIdParam,
    body: { content: { 'application/json': { schema: RetryRequestSchema } }, required: false },
  },
  responses: {
    200: jsonBody(RetryResultSchema, 'The state after the retry.'),
    400: problem('The id is not a UUID, or the body is invalid.'),
    404: problem('No task (or step) with that id or name.'),
    409: problem('The task is not in error (or was compensated), or the step is not in error or waiting_retry.'),
  },
});

const transitionsRoute = createRoute({
  method: 'get',
  path: '/v1/tasks/{id}/transitions',
  tags: ['tasks'],
  summary: 'Task log',
  description: 'Every state change of the task and its steps (from, to, reason, processor, attempt, time), oldest first.',
  request: { params: TaskIdParam },
  responses: {
    200: jsonBody(TransitionListSchema, 'The transitions.'),
    400: problem('The id is not a UUID.'),
    404: problem('No task with that id.'),
  },
});

function taskNotFound(id: string) {
  return sqlStateProblem('WF005', `task ${id} not found`);
}

function stepNotFound(taskId: string, step: string) {
  return sqlStateProblem('WF006', `task ${taskId} has no step ${JSON.stringify(step)}`);
}

/** Adds the task routes to the app. */
export function registerTaskRoutes(app: OpenAPIHono, deps: { sql: Sql }): void {
  const { sql } = deps;

  app.openapi(requestTaskRoute, async (c) => {
    const body = c.req.valid('json');
    const taskId = await requestTask(sql, {
      namespace: body.namespace,
      workflow: body.workflow,
      context: body.context ?? {},
      version: body.version,
      idempotencyKey: body.idempotency_key,
      priority: body.priority,
      runAfter: body.run_after === undefined ? undefined : new Date(body.run_after),
      requestedBy: API_ACTOR,
    });
    return c.json({ task_id: taskId }, 201, { Location: `/v1/tasks/${taskId}` });
  });

  app.openapi(getTaskRoute, async (c) => {
    const { id } = c.req.valid('param');
    const task = await getTask(sql, id);
    if (!task) throw taskNotFound(id);
    const done = task.steps_total - task.steps_remaining;
    const percent = task.steps_total === 0 ? 0 : Math.round((1000 * done) / task.steps_total) / 10;
    return c.json({ ...task, percent }, 200);
  });

  app.openapi(listTasksRoute, async (c) => {
    const query = c.req.valid('query');
    const tasks = await listTasks(sql, {
      ...(query.state ? { state: query.state } : {}),
      ...(query.namespace ? { namespace: query.namespace } : {}),
      ...(query.workflow ? { workflow: query.workflow } : {}),
      ...(query.priority ? { priority: query.priority } : {}),
      limit: query.limit ?? 50,
    });
    return c.json({ tasks }, 200);
  });

  app.openapi(cancelTaskRoute, async (c) => {
    const { id } = c.req.valid('param');
    const body = c.req.valid('json') as { reason?: string } | undefined;
    const state = await cancelTask(sql, id, body?.reason ?? null, API_ACTOR);
    return c.json({ task_id: id, state }, 200);
  });

  app.openapi(retryTaskRoute, async (c) => {
    const { id } = c.req.valid('param');
    const body = (c.req.valid('json') as { step?: string; requested_by?: string } | undefined) ?? {};
    const who = body.requested_by ?? API_ACTOR;
    if (body.step) {
      const [row] = await sql<{ step_id: string }[]>`select step_id from weft.steps where task_id = ${id} and name = ${body.step}`;
      if (!row) throw stepNotFound(id, body.step);
      return c.json({ task_id: id, step: body.step, state: await retryStep(sql, row.step_id, who) }, 200);
    }
    return c.json({ task_id: id, step: null, state: await retryTask(sql, id, who) }, 200);
  });

  app.openapi(transitionsRoute, async (c) => {
    const { id } = c.req.valid('param');
    const transitions = await taskTransitions(sql, id);
    if (transitions.length === 0 && !(await taskExists(sql, id))) throw taskNotFound(id);
    return c.json({ task_id: id, transitions }, 200);
  });
}
