/**
 * Typed wrappers over weft's SQL functions. Each calls one function with named arguments
 * (`name => value`), so the SQL surface stays the single API (contract 5).
 */
import type { Sql } from './connection.js';
import { fromPgError } from './errors.js';

/** A JSON value as postgres.js passes it to jsonb parameters. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

export type TaskState = 'pending' | 'running' | 'finalizing' | 'compensating' | 'complete' | 'error' | 'cancelled' | 'compensation_failed';
export type StepState = 'pending' | 'enqueued' | 'waiting_retry' | 'complete' | 'error' | 'cancelled' | 'skipped';
export type PriorityName = 'critical' | 'high' | 'normal' | 'low' | 'background';

export interface StepReport {
  outcome: 'applied' | 'duplicate' | 'rejected';
  reason: string | null;
  step_id: string;
  step_state: StepState;
  attempt: number;
  task_id: string;
  task_state: TaskState;
}

export interface RequestTaskInput {
  namespace: string;
  workflow: string;
  context?: Record<string, unknown>;
  version?: string | undefined;
  idempotencyKey?: string | undefined;
  priority?: PriorityName | undefined;
  runAfter?: Date | undefined;
  parentTaskId?: string | undefined;
  requestedBy?: string | undefined;
}

/** Many tasks of one workflow (weft.request_tasks): one context (and one key or null) per task. */
export interface RequestTasksInput extends Omit<RequestTaskInput, 'context' | 'idempotencyKey'> {
  contexts: Record<string, unknown>[];
  /** One key (or null) per context, or none at all. */
  idempotencyKeys?: (string | null)[] | undefined;
}

async function call<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw fromPgError(err);
  }
}

const json = (sql: Sql, value: unknown) => sql.json(value as Parameters<Sql['json']>[0]);

/**
 * Registers a workflow definition; returns its id (the existing id when identical).
 * SQL: `select weft.register_workflow(definition => $1)`
 */
export function registerWorkflow(sql: Sql, definition: unknown): Promise<string> {
  return call(async () => {
    const [row] = await sql<{ id: string }[]>`select weft.register_workflow(definition => ${json(sql, definition)}) as id`;
    return row!.id;
  });
}

/**
 * Requests a task; returns its id.
 * SQL: `select weft.request_task(namespace => …, workflow_name => …, context => …, …)`
 *
 * @example await requestTask(sql, { namespace: 'math', workflow: 'diamond', context: { n: 2 } })
 */
export function requestTask(sql: Sql, input: RequestTaskInput): Promise<string> {
  return call(async () => {
    const [row] = await sql<{ id: string }[]>`
      select weft.request_task(
        namespace => ${input.namespace}, workflow_name => ${input.workflow},
        context => ${json(sql, input.context ?? {})}, version => ${input.version ?? null},
        idempotency_key => ${input.idempotencyKey ?? null}, priority => ${input.priority ?? 'normal'},
        run_after => ${input.runAfter ?? null}, parent_task_id => ${input.parentTaskId ?? null},
        requested_by => ${input.requestedBy ?? null}) as id`;
    return row!.id;
  });
}

/**
 * Requests many tasks of one workflow in one statement (all or none); returns their ids in the
 * order of `contexts`. A reused idempotency key returns the existing task (WF009 if the request
 * differs).
 * SQL: `select * from weft.request_tasks(namespace => …, workflow_name => …, contexts => …, idempotency_keys => …, …)`
 *
 * @example await requestTasks(sql, { namespace: 'math', workflow: 'diamond', contexts: [{ n: 1 }, { n: 2 }] })
 */
export function requestTasks(sql: Sql, input: RequestTasksInput): Promise<string[]> {
  return call(async () => {
    // Both arrays are sent as one JSON array each and unnested in order (a JSON null key is a SQL null).
    const keys = input.idempotencyKeys === undefined
      ? sql`null`
      : sql`array(select k from jsonb_array_elements_text(${json(sql, input.idempotencyKeys)}) with ordinality as x (k, i) order by i)`;
    const rows = await sql<{ id: string }[]>`
      select id from weft.request_tasks(
        namespace => ${input.namespace}, workflow_name => ${input.workflow},
        contexts => array(select c from jsonb_array_elements(${json(sql, input.contexts)}) with ordinality as x (c, i) order by i),
        version => ${input.version ?? null}, idempotency_keys => ${keys}, priority => ${input.priority ?? 'normal'},
        run_after => ${input.runAfter ?? null}, parent_task_id => ${input.parentTaskId ?? null},
        requested_by => ${input.requestedBy ?? null}) with ordinality as r (id, i)
      order by i`;
    return rows.map((r) => r.id);
  });
}

/** SQL: `select * from weft.complete_step(step_id => …, attempt => …, result => …, processor_id => …)` */
export function completeStep(sql: Sql, stepId: string, attempt: number, result: unknown, processorId: string): Promise<StepReport> {
  return call(async () => {
    const [row] = await sql<StepReport[]>`
      select * from weft.complete_step(step_id => ${stepId}, attempt => ${attempt},
        result => ${json(sql, result === undefined ? null : result)}, processor_id => ${processorId})`;
    return row!;
  });
}

/** One report of a batch (weft.complete_steps). */
export interface Completion {
  stepId: string;
  attempt: number;
  result: unknown;
}

/** A message read along with a batch of reports (weft.complete_steps_and_read). */
export interface ReadMessage {
  msg_id: string;
  message: unknown;
}

/** The completions' results as the jsonb[] argument (sent as one JSON array, unnested in order). */
const resultsArray = (sql: Sql, completions: Completion[]) =>
  sql`array(select e from jsonb_array_elements(${json(sql, completions.map((c) => (c.result === undefined ? null : c.result)))}) with ordinality as x (e, i) order by i)`;

/**
 * SQL: `select * from weft.complete_steps_and_read(step_ids => …, attempts => …, results => …,
 * processor_id => …, queue_name => …, vt => …, qty => …)` — the batch of completions, then up to
 * `qty` messages read from the queue, in one transaction.
 */
export function completeStepsAndRead(
  sql: Sql,
  completions: Completion[],
  processorId: string,
  read: { queue: string; vt: number; qty: number },
): Promise<{ reports: StepReport[]; messages: ReadMessage[] }> {
  return call(async () => {
    const [row] = await sql<{ reports: StepReport[]; messages: { msg_id: number | string; message: unknown }[] }[]>`
      select * from weft.complete_steps_and_read(
        step_ids => ${completions.map((c) => c.stepId)}::uuid[],
        attempts => ${completions.map((c) => c.attempt)}::int[],
        results => ${resultsArray(sql, completions)},
        processor_id => ${processorId}, queue_name => ${read.queue}, vt => ${read.vt}::int, qty => ${read.qty}::int)`;
    return { reports: row!.reports, messages: row!.messages.map((m) => ({ msg_id: String(m.msg_id), message: m.message })) };
  });
}

/**
 * SQL: `select * from weft.complete_steps(step_ids => …, attempts => …, results => …, processor_id => …)` —
 * a batch of completions in one transaction; reports in the order given. All or nothing on errors.
 */
export function completeSteps(sql: Sql, completions: Completion[], processorId: string): Promise<StepReport[]> {
  return call(async () => {
    const rows = await sql<StepReport[]>`
      select * from weft.complete_steps(
        step_ids => ${completions.map((c) => c.stepId)}::uuid[],
        attempts => ${completions.map((c) => c.attempt)}::int[],
        results => ${resultsArray(sql, completions)},
        processor_id => ${processorId})`;
    return [...rows];
  });
}

/** SQL: `select * from weft.fail_step(step_id => …, attempt => …, error => …, retryable => …, processor_id => …)` */
export function failStep(
  sql: Sql,
  stepId: string,
  attempt: number,
  error: Record<string, unknown>,
  retryable: boolean,
  processorId: string,
): Promise<StepReport> {
  return call(async () => {
    const [row] = await sql<StepReport[]>`
      select * from weft.fail_step(step_id => ${stepId}, attempt => ${attempt}, error => ${json(sql, error)},
        retryable => ${retryable}, processor_id => ${processorId})`;
    return row!;
  });
}

export interface HeartbeatAnswer {
  carry_on: boolean;
  reason: string;
  visible_until: Date | null;
}

/** SQL: `select * from weft.heartbeat_step(step_id => …, attempt => …, extend_seconds => …, progress => …)` */
export function heartbeatStep(
  sql: Sql,
  stepId: string,
  attempt: number,
  extendSeconds: number,
  progress?: { percent?: number; message?: string } | null,
): Promise<HeartbeatAnswer> {
  return call(async () => {
    const [row] = await sql<HeartbeatAnswer[]>`
      select * from weft.heartbeat_step(step_id => ${stepId}, attempt => ${attempt}, extend_seconds => ${extendSeconds},
        progress => ${progress ? json(sql, progress) : null})`;
    return row!;
  });
}

/** SQL: `select weft.checkpoint_step(step_id => …, attempt => …, data => …)` */
export function checkpointStep(sql: Sql, stepId: string, attempt: number, data: unknown): Promise<boolean> {
  return call(async () => {
    const [row] = await sql<{ ok: boolean }[]>`
      select weft.checkpoint_step(step_id => ${stepId}, attempt => ${attempt}, data => ${json(sql, data)}) as ok`;
    return row!.ok;
  });
}

/** SQL: `select weft.cancel_task(task_id => …, reason => …, requested_by => …)` */
export function cancelTask(sql: Sql, taskId: string, reason: string | null, requestedBy: string | null): Promise<TaskState> {
  return call(async () => {
    const [row] = await sql<{ state: TaskState }[]>`
      select weft.cancel_task(task_id => ${taskId}, reason => ${reason}, requested_by => ${requestedBy}) as state`;
    return row!.state;
  });
}

export interface TickResult {
  requests_accepted: number;
  requests_rejected: number;
  results_applied: number;
  results_rejected: number;
  results_dead: number;
  started_tasks: number;
  retried_steps: number;
  timed_out_steps: number;
  finalizable: number;
  next_due_at: Date | null;
  /** Milliseconds until next_due_at on the engine clock; null when no timer is pending. */
  next_due_in_ms: string | null;
  /** Attempts failed because their lease (message visibility timeout) expired. */
  recovered_steps: number;
}

/** SQL: `select * from weft.orchestrator_tick(processor_id => …, max_rows => …)` */
export function orchestratorTick(sql: Sql, processorId: string, maxRows: number): Promise<TickResult> {
  return call(async () => {
    const [row] = await sql<TickResult[]>`select * from weft.orchestrator_tick(processor_id => ${processorId}, max_rows => ${maxRows})`;
    return row!;
  });
}

export interface ClaimOutcome {
  task_id: string;
  outcome: 'won' | 'taken_over' | 'contended' | 'not_finalizing';
  expires_at: Date | null;
}

/** SQL: `select * from weft.claim_tasks_for_finalization(processor_id => …, task_ids => null, ttl_ms => …, max_tasks => …)` */
export function claimTasksForFinalization(sql: Sql, processorId: string, ttlMs: number, maxTasks: number): Promise<ClaimOutcome[]> {
  return call(async () =>
    sql<ClaimOutcome[]>`
      select * from weft.claim_tasks_for_finalization(processor_id => ${processorId}, task_ids => null,
        ttl_ms => ${ttlMs}, max_tasks => ${maxTasks})`,
  );
}

/** SQL: `select weft.finalize_task(task_id => …, processor_id => …)` */
export function finalizeTask(sql: Sql, taskId: string, processorId: string): Promise<TaskState> {
  return call(async () => {
    const [row] = await sql<{ state: TaskState }[]>`
      select weft.finalize_task(task_id => ${taskId}, processor_id => ${processorId}) as state`;
    return row!.state;
  });
}

/**
 * SQL: `select * from weft.finalize_tasks(task_ids => …, processor_id => …)` — claimed tasks
 * finalized in one transaction; state null for a task whose claim the caller no longer holds.
 */
export function finalizeTasks(sql: Sql, taskIds: string[], processorId: string): Promise<{ task_id: string; state: TaskState | null }[]> {
  return call(async () => [
    ...(await sql<{ task_id: string; state: TaskState | null }[]>`
      select * from weft.finalize_tasks(task_ids => ${taskIds}::uuid[], processor_id => ${processorId})`),
  ]);
}

/** SQL: `select weft.retry_task(task_id => …, requested_by => …)` */
export function retryTask(sql: Sql, taskId: string, requestedBy: string): Promise<TaskState> {
  return call(async () => {
    const [row] = await sql<{ state: TaskState }[]>`select weft.retry_task(task_id => ${taskId}, requested_by => ${requestedBy}) as state`;
    return row!.state;
  });
}

/** SQL: `select weft.retry_step(step_id => …, requested_by => …)` */
export function retryStep(sql: Sql, stepId: string, requestedBy: string): Promise<StepState> {
  return call(async () => {
    const [row] = await sql<{ state: StepState }[]>`select weft.retry_step(step_id => ${stepId}, requested_by => ${requestedBy}) as state`;
    return row!.state;
  });
}

/** SQL: `select weft.resolve_step(step_id => …, result => …, requested_by => …)` */
export function resolveStep(sql: Sql, stepId: string, result: unknown, requestedBy: string): Promise<TaskState> {
  return call(async () => {
    const [row] = await sql<{ state: TaskState }[]>`
      select weft.resolve_step(step_id => ${stepId}, result => ${json(sql, result === undefined ? null : result)}, requested_by => ${requestedBy}) as state`;
    return row!.state;
  });
}

/** SQL: `select weft.skip_step(step_id => …, requested_by => …)` */
export function skipStep(sql: Sql, stepId: string, requestedBy: string): Promise<TaskState> {
  return call(async () => {
    const [row] = await sql<{ state: TaskState }[]>`select weft.skip_step(step_id => ${stepId}, requested_by => ${requestedBy}) as state`;
    return row!.state;
  });
}
