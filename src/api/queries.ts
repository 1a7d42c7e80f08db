/**
 * Read queries of the REST API that the client does not offer yet: a task's transitions and
 * workflow templates. Plain SQL over the tables and views a DBA reads (schema weft).
 */
import type { Sql } from '../db/connection.js';

export interface TransitionRow {
  transition_id: string;
  entity: 'task' | 'step';
  step_id: string | null;
  step_name: string | null;
  from_state: string | null;
  to_state: string;
  reason: string;
  processor_id: string | null;
  attempt: number | null;
  details: unknown;
  created_at: Date;
}

/** True when a task with that id exists. */
export async function taskExists(sql: Sql, taskId: string): Promise<boolean> {
  const rows = await sql`select 1 from weft.tasks where task_id = ${taskId}`;
  return rows.length > 0;
}

/**
 * The audit trail of one task, oldest first (transition ids are UUIDv7, so id order is time
 * order); step transitions carry the step's name.
 *
 * SQL: `select … from weft.transitions tr left join weft.steps s … where tr.task_id = $1 order by tr.transition_id`
 */
export async function taskTransitions(sql: Sql, taskId: string): Promise<TransitionRow[]> {
  return sql<TransitionRow[]>`
    select tr.transition_id, tr.entity, tr.step_id, s.name as step_name, tr.from_state, tr.to_state, tr.reason,
           tr.processor_id, tr.attempt, tr.details, tr.created_at
    from weft.transitions tr
    left join weft.steps s on s.step_id = tr.step_id
    where tr.task_id = ${taskId}
    order by tr.transition_id`;
}

export interface WorkflowSummaryRow {
  workflow_id: string;
  namespace: string;
  name: string;
  version: string;
  description: string | null;
  steps: number;
  latest: boolean;
  created_at: Date;
}

/**
 * Registered workflow versions, by namespace and name, newest version first. `latest` marks the
 * version weft.request_task picks when no version is given (newest created_at, then id).
 */
export async function listWorkflows(
  sql: Sql,
  filter: { namespace?: string | undefined; name?: string | undefined; latestOnly?: boolean } = {},
): Promise<WorkflowSummaryRow[]> {
  return sql<WorkflowSummaryRow[]>`
    select * from (
      select w.workflow_id, w.namespace, w.name, w.version, w.description,
             (select count(*) from weft.workflow_steps ws where ws.workflow_id = w.workflow_id)::int as steps,
             row_number() over (partition by w.namespace, w.name order by w.created_at desc, w.workflow_id desc) = 1 as latest,
             w.created_at
      from weft.workflows w
      where (${filter.namespace ?? null}::text is null or w.namespace = ${filter.namespace ?? null})
        and (${filter.name ?? null}::text is null or w.name = ${filter.name ?? null})
    ) v
    where not ${filter.latestOnly ?? false}::boolean or v.latest
    order by v.namespace, v.name, v.created_at desc, v.workflow_id desc`;
}

export interface WorkflowStepRow {
  name: string;
  position: number;
  handler: string;
  args: Record<string, unknown>;
  retry: Record<string, unknown>;
  timeout_ms: number | null;
  compensate: string | null;
  depends_on: string[];
  level: number;
}

export interface WorkflowDetail {
  workflow_id: string;
  namespace: string;
  name: string;
  version: string;
  description: string | null;
  latest: boolean;
  versions: string[];
  created_at: Date;
  levels: string[][];
  steps: WorkflowStepRow[];
}

/**
 * One workflow version (the latest unless `version` is given) with its steps, their
 * dependencies and topological levels (view weft.workflow_step_levels); null when unknown.
 */
export async function getWorkflow(sql: Sql, namespace: string, name: string, version?: string): Promise<WorkflowDetail | null> {
  const versions = await sql<{ workflow_id: string; version: string; description: string | null; created_at: Date }[]>`
    select w.workflow_id, w.version, w.description, w.created_at
    from weft.workflows w
    where w.namespace = ${namespace} and w.name = ${name}
    order by w.created_at desc, w.workflow_id desc`;
  const chosen = version === undefined ? versions[0] : versions.find((v) => v.version === version);
  if (!chosen) return null;
  const steps = await sql<WorkflowStepRow[]>`
    select ws.name, ws.position, ws.handler, ws.args, ws.retry, ws.timeout_ms, ws.compensate,
           coalesce((select array_agg(e.parent order by e.parent) from weft.workflow_edges e
                     where e.workflow_id = ws.workflow_id and e.child = ws.name), '{}') as depends_on,
           coalesce(l.level, 0)::int as level
    from weft.workflow_steps ws
    left join weft.workflow_step_levels l on l.workflow_id = ws.workflow_id and l.step_name = ws.name
    where ws.workflow_id = ${chosen.workflow_id}
    order by ws.position`;
  const levels: string[][] = [];
  for (const step of steps) (levels[step.level] ??= []).push(step.name);
  return {
    workflow_id: chosen.workflow_id,
    namespace,
    name,
    version: chosen.version,
    description: chosen.description,
    latest: chosen === versions[0],
    versions: versions.map((v) => v.version),
    created_at: chosen.created_at,
    levels: levels.map((l) => l ?? []),
    steps,
  };
}
