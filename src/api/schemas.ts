/**
 * The zod schemas of the REST API: request validation and the OpenAPI document come from the
 * same objects. Field names are snake_case, as in the SQL surface.
 */
import { z } from '@hono/zod-openapi';
import type { PriorityName, StepState, TaskState } from '../db/weft-api.js';

/** Every value of a union, listed once; the compiler rejects a list that misses one. */
type Exhaustive<Union, List extends readonly Union[]> = [Exclude<Union, List[number]>] extends [never] ? List : never;

export const TASK_STATES = [
  'pending', 'running', 'finalizing', 'compensating', 'complete', 'error', 'cancelled', 'compensation_failed',
] as const satisfies readonly TaskState[];
export const STEP_STATES = ['pending', 'enqueued', 'waiting_retry', 'complete', 'error', 'cancelled', 'skipped'] as const satisfies readonly StepState[];
export const PRIORITIES = ['critical', 'high', 'normal', 'low', 'background'] as const satisfies readonly PriorityName[];

// Compile-time guards: a state added to src/db/weft-api.ts must be added above too.
const _exhaustive: [
  Exhaustive<TaskState, typeof TASK_STATES>,
  Exhaustive<StepState, typeof STEP_STATES>,
  Exhaustive<PriorityName, typeof PRIORITIES>,
] = [TASK_STATES, STEP_STATES, PRIORITIES];

const timestamp = () => z.string().openapi({ format: 'date-time', example: '2025-01-01T12:00:00.000Z' });
const nullableTimestamp = () => timestamp().nullable();
const anyJson = (description: string) => z.unknown().openapi({ description });

export const ProblemSchema = z
  .object({
    type: z.string().openapi({ example: 'urn:weft:problem:workflow_not_found' }),
    title: z.string().openapi({ example: 'Workflow not found' }),
    status: z.number().int().openapi({ example: 404 }),
    detail: z.string().openapi({ example: 'workflow shop/checkout not found' }),
    code: z.string().optional().openapi({ description: 'weft SQLSTATE (class WF)', example: 'WF002' }),
    hint: z.string().optional(),
    errors: z
      .array(z.object({ location: z.string(), path: z.string(), message: z.string() }))
      .optional()
      .openapi({ description: 'Each invalid field (validation errors only).' }),
  })
  .openapi('Problem', { description: 'RFC 9457 problem details (application/problem+json).' });

/** A response entry for a problem status in a route definition. */
export function problem(description: string) {
  return { description, content: { 'application/problem+json': { schema: ProblemSchema } } };
}

/** A JSON response entry. */
export function jsonBody<T extends z.ZodType>(schema: T, description: string) {
  return { description, content: { 'application/json': { schema } } };
}

export const TaskIdParam = z.object({
  id: z.guid().openapi({ param: { name: 'id', in: 'path' }, description: 'Task id (UUID)', example: '0193f1c2-7a4e-7d1a-9f3e-2b1c4d5e6f70' }),
});

export const TaskRequestSchema = z
  .strictObject({
    namespace: z.string().min(1).openapi({ example: 'shop' }),
    workflow: z.string().min(1).openapi({ example: 'checkout' }),
    context: z.record(z.string(), z.unknown()).optional().openapi({ description: 'The task input: a JSON object.', example: { order_id: 42 } }),
    version: z.string().min(1).optional().openapi({ description: 'Workflow version; the latest registered one when absent.' }),
    idempotency_key: z
      .string()
      .min(1)
      .max(255)
      .optional()
      .openapi({ description: 'The same key with the same request returns the same task; with a different request, 409.', example: 'order-42' }),
    priority: z.enum(PRIORITIES).optional().openapi({ description: 'Default normal.' }),
    run_after: z.iso.datetime({ offset: true }).optional().openapi({ description: 'Delayed start (ISO 8601 with offset).' }),
  })
  .openapi('TaskRequest');

export const TaskCreatedSchema = z.object({ task_id: z.string().openapi({ format: 'uuid' }) }).openapi('TaskCreated');

export const StepSchema = z
  .object({
    step_id: z.string(),
    name: z.string(),
    handler: z.string(),
    state: z.enum(STEP_STATES),
    attempt: z.number().int(),
    max_attempts: z.number().int(),
    depends_on: z.array(z.string()),
    result: anyJson('The step result (JSON), once complete.'),
    error: anyJson('The last error object, if any.'),
    progress: anyJson('Progress the handler reported ({percent, message}).'),
    enqueued_at: nullableTimestamp(),
    finished_at: nullableTimestamp(),
  })
  .openapi('Step');

export const TaskSchema = z
  .object({
    task_id: z.string(),
    namespace: z.string(),
    workflow_name: z.string(),
    workflow_version: z.string(),
    state: z.enum(TASK_STATES),
    priority: z.enum(PRIORITIES),
    context: z.record(z.string(), z.unknown()),
    idempotency_key: z.string().nullable(),
    result: anyJson('The task result, once complete.'),
    error: anyJson('Why the task ended in error or was cancelled.'),
    steps_total: z.number().int(),
    steps_remaining: z.number().int(),
    percent: z.number().openapi({ description: 'Steps done (complete or skipped) out of all steps, 0 to 100.' }),
    created_at: timestamp(),
    started_at: nullableTimestamp(),
    finished_at: nullableTimestamp(),
    steps: z.array(StepSchema),
  })
  .openapi('Task');

export const TaskSummarySchema = z
  .object({
    task_id: z.string(),
    namespace: z.string(),
    workflow_name: z.string(),
    workflow_version: z.string(),
    state: z.enum(TASK_STATES),
    priority: z.enum(PRIORITIES),
    steps_total: z.number().int(),
    steps_done: z.number().int(),
    created_at: timestamp(),
    finished_at: nullableTimestamp(),
  })
  .openapi('TaskSummary');

export const TaskListQuery = z.object({
  state: z.enum(TASK_STATES).optional(),
  namespace: z.string().min(1).optional(),
  workflow: z.string().min(1).optional(),
  priority: z.enum(PRIORITIES).optional(),
  limit: z.coerce.number().int().min(1).max(1000).optional().openapi({ description: 'Default 50, at most 1000.', type: 'integer', minimum: 1, maximum: 1000 }),
});

export const TaskListSchema = z.object({ tasks: z.array(TaskSummarySchema) }).openapi('TaskList');

export const CancelRequestSchema = z
  .strictObject({ reason: z.string().max(1000).optional().openapi({ example: 'customer asked' }) })
  .openapi('CancelRequest');

export const CancelResultSchema = z
  .object({
    task_id: z.string(),
    state: z.enum(TASK_STATES).openapi({ description: 'finalizing while running steps stop, or the terminal state it already had.' }),
  })
  .openapi('CancelResult');

export const RetryRequestSchema = z
  .strictObject({
    step: z.string().min(1).max(64).optional().openapi({ description: 'Retry only this step (by name).', example: 'charge_payment' }),
    requested_by: z.string().min(1).max(200).optional().openapi({ description: 'Who asks (audited). Default "api".', example: 'alice' }),
  })
  .openapi('RetryRequest');

export const RetryResultSchema = z
  .object({ task_id: z.string(), step: z.string().nullable(), state: z.string().openapi({ description: 'The task state (or the step state with `step`).' }) })
  .openapi('RetryResult');

export const TransitionSchema = z
  .object({
    transition_id: z.string(),
    entity: z.enum(['task', 'step']),
    step_id: z.string().nullable(),
    step_name: z.string().nullable(),
    from_state: z.string().nullable(),
    to_state: z.string(),
    reason: z.string(),
    processor_id: z.string().nullable(),
    attempt: z.number().int().nullable(),
    details: anyJson('Extra facts of the change (errors, cancellation reason).'),
    created_at: timestamp(),
  })
  .openapi('Transition');

export const TransitionListSchema = z
  .object({ task_id: z.string(), transitions: z.array(TransitionSchema) })
  .openapi('TransitionList');
