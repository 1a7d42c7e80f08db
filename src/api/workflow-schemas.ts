/**
 * Schemas of the workflow routes. The request schema checks only the shape of a definition;
 * weft.register_workflow is the authority on validity (unknown keys, dependencies, cycles,
 * retry policies) and its WF003 errors become 422 problems naming the bad value.
 */
import { z } from '@hono/zod-openapi';

export const StepDefinitionSchema = z
  .looseObject({
    name: z.string().min(1).openapi({ example: 'charge' }),
    handler: z.string().min(1).openapi({ example: 'payments.charge' }),
    depends_on: z.array(z.string()).optional().openapi({ example: ['reserve'] }),
    args: z.record(z.string(), z.unknown()).optional(),
    retry: z
      .union([z.string(), z.record(z.string(), z.unknown())])
      .optional()
      .openapi({
        description:
          'A preset (none, aggressive, standard, conservative) or {strategy: fixed|linear|exponential|random, base_ms, multiplier, max_ms, jitter, max_attempts, retry_on, dont_retry_on}.',
      }),
    timeout_ms: z.number().optional(),
    heartbeat_ms: z.number().optional().openapi({ description: 'Heartbeat period of the step (ms); its lease is three beats.' }),
    compensate: z.string().optional(),
    description: z.string().optional(),
  })
  .openapi('StepDefinition');

export const WorkflowDefinitionSchema = z
  .looseObject({
    namespace: z.string().min(1).openapi({ example: 'shop' }),
    name: z.string().min(1).openapi({ example: 'checkout' }),
    version: z.string().min(1).openapi({ example: '1.0.0' }),
    description: z.string().optional(),
    steps: z.array(StepDefinitionSchema).min(1),
  })
  .openapi('WorkflowDefinition', { description: 'A workflow template: a DAG of steps. Versions are immutable.' });

export const WorkflowCreatedSchema = z
  .object({
    workflow_id: z.string(),
    namespace: z.string(),
    name: z.string(),
    version: z.string(),
  })
  .openapi('WorkflowCreated');

export const WorkflowSummarySchema = z
  .object({
    workflow_id: z.string(),
    namespace: z.string(),
    name: z.string(),
    version: z.string(),
    description: z.string().nullable(),
    steps: z.number().int().openapi({ description: 'Number of steps.' }),
    latest: z.boolean().openapi({ description: 'True for the version a task request without a version gets.' }),
    created_at: z.string().openapi({ format: 'date-time' }),
  })
  .openapi('WorkflowSummary');

export const WorkflowListQuery = z.object({
  namespace: z.string().min(1).optional(),
  name: z.string().min(1).optional(),
  latest: z
    .enum(['true', 'false'])
    .optional()
    .openapi({ description: 'true: only the latest version of each workflow.' }),
});

export const WorkflowListSchema = z.object({ workflows: z.array(WorkflowSummarySchema) }).openapi('WorkflowList');

export const WorkflowStepSchema = z
  .object({
    name: z.string(),
    position: z.number().int(),
    handler: z.string(),
    args: z.record(z.string(), z.unknown()),
    retry: z.record(z.string(), z.unknown()).openapi({ description: 'The normalized retry policy.' }),
    timeout_ms: z.number().int().nullable(),
    compensate: z.string().nullable(),
    depends_on: z.array(z.string()),
    level: z.number().int().openapi({ description: 'Topological level: 0 has no parents; steps of one level can run in parallel.' }),
  })
  .openapi('WorkflowStep');

export const WorkflowSchema = z
  .object({
    workflow_id: z.string(),
    namespace: z.string(),
    name: z.string(),
    version: z.string(),
    description: z.string().nullable(),
    latest: z.boolean(),
    versions: z.array(z.string()).openapi({ description: 'Every registered version, newest first.' }),
    created_at: z.string().openapi({ format: 'date-time' }),
    levels: z.array(z.array(z.string())).openapi({ description: 'Step names by topological level.', example: [['start'], ['left', 'right'], ['end']] }),
    steps: z.array(WorkflowStepSchema),
  })
  .openapi('Workflow');

export const WorkflowPathParams = z.object({
  namespace: z.string().min(1).openapi({ param: { name: 'namespace', in: 'path' }, example: 'shop' }),
  name: z.string().min(1).openapi({ param: { name: 'name', in: 'path' }, example: 'checkout' }),
});

export const WorkflowVersionQuery = z.object({
  version: z.string().min(1).optional().openapi({ description: 'A version; the latest when absent.' }),
});
