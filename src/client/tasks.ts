/**
 * Reading tasks: one task with its steps (the DAG), and filtered lists. Plain SQL over
 * weft.tasks / weft.steps / weft.workflows, the same tables a DBA reads.
 */
import type { Sql } from '../db/connection.js';
import type { PriorityName, StepState, TaskState } from '../db/weft-api.js';

export interface StepView {
  step_id: string;
  name: string;
  handler: string;
  state: StepState;
  attempt: number;
  max_attempts: number;
  depends_on: string[];
  result: unknown;
  error: unknown;
  progress: unknown;
  enqueued_at: Date | null;
  finished_at: Date | null;
}

export interface TaskView {
  task_id: string;
  namespace: string;
  workflow_name: string;
  workflow_version: string;
  state: TaskState;
  priority: PriorityName;
  context: Record<string, unknown>;
  idempotency_key: string | null;
  result: unknown;
  error: unknown;
  steps_total: number;
  steps_remaining: number;
  created_at: Date;
  started_at: Date | null;
  finished_at: Date | null;
  steps: StepView[];
}

/** One task and its steps in workflow order, or null. */
export async function getTask(sql: Sql, taskId: string): Promise<TaskView | null> {
  const [task] = await sql<Omit<TaskView, 'steps'>[]>`
    select t.task_id, t.namespace, w.name as workflow_name, w.version as workflow_version, t.state,
           weft.priority_name(t.priority) as priority, t.context, t.idempotency_key, t.result, t.error,
           t.steps_total, t.steps_remaining, t.created_at, t.started_at, t.finished_at
    from weft.tasks t join weft.workflows w on w.workflow_id = t.workflow_id
    where t.task_id = ${taskId}`;
  if (!task) return null;
  const steps = await sql<StepView[]>`
    select s.step_id, s.name, s.handler, s.state, s.attempt, s.max_attempts,
           coalesce((select array_agg(e.parent order by e.parent) from weft.workflow_edges e
                     join weft.tasks t on t.workflow_id = e.workflow_id
                     where t.task_id = s.task_id and e.child = s.name), '{}') as depends_on,
           s.result, s.error, s.progress, s.enqueued_at, s.finished_at
    from weft.steps s where s.task_id = ${taskId} order by s.position`;
  return { ...task, steps };
}

export interface TaskListFilter {
  state?: TaskState;
  namespace?: string;
  workflow?: string;
  priority?: PriorityName;
  limit?: number;
}

export interface TaskSummary {
  task_id: string;
  namespace: string;
  workflow_name: string;
  workflow_version: string;
  state: TaskState;
  priority: PriorityName;
  steps_total: number;
  steps_done: number;
  created_at: Date;
  finished_at: Date | null;
}

/** Tasks, newest first, filtered. */
export async function listTasks(sql: Sql, filter: TaskListFilter = {}): Promise<TaskSummary[]> {
  return sql<TaskSummary[]>`
    select t.task_id, t.namespace, w.name as workflow_name, w.version as workflow_version, t.state,
           weft.priority_name(t.priority) as priority, t.steps_total, t.steps_total - t.steps_remaining as steps_done,
           t.created_at, t.finished_at
    from weft.tasks t join weft.workflows w on w.workflow_id = t.workflow_id
    where (${filter.state ?? null}::weft.task_state is null or t.state = ${filter.state ?? null}::weft.task_state)
      and (${filter.namespace ?? null}::text is null or t.namespace = ${filter.namespace ?? null})
      and (${filter.workflow ?? null}::text is null or w.name = ${filter.workflow ?? null})
      and (${filter.priority ?? null}::text is null or t.priority = weft.priority_value(${filter.priority ?? null}))
    order by t.task_id desc
    limit ${filter.limit ?? 50}`;
}
