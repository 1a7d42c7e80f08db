/**
 * Shared fixtures of the weft SQL tests: workflow definitions, SQL error capture, snapshots of
 * row counts and queue contents. Each test file uses its own namespace(s) so that assertions on
 * queues and counts only see that file's work.
 */
import { expect } from 'vitest';
import type { Sql } from '../../../src/db/connection.js';
import type { StepMessage } from '../../support/sql-driver.js';

/** The fields of a PostgreSQL error a user sees. */
export interface SqlError {
  code: string;
  message: string;
  detail?: string;
  hint?: string;
}

/** Awaits a query that must fail and returns its SQLSTATE, message, detail and hint. */
export async function sqlError(query: PromiseLike<unknown>): Promise<SqlError> {
  try {
    await query;
  } catch (err) {
    const e = err as { code?: string; message?: string; detail?: string; hint?: string };
    if (typeof e.code !== 'string') throw err;
    return { code: e.code, message: String(e.message), detail: e.detail, hint: e.hint };
  }
  throw new Error('expected the query to fail, it succeeded');
}

/** Asserts that a query fails with `code` and a message containing every fragment. */
export async function expectSqlError(query: PromiseLike<unknown>, code: string, ...fragments: string[]): Promise<SqlError> {
  const e = await sqlError(query);
  expect(e.code, `${e.message}`).toBe(code);
  for (const f of fragments) expect(e.message).toContain(f);
  return e;
}

/** A step of a definition. */
export interface StepDef {
  name: string;
  handler: string;
  depends_on?: string[];
  retry?: unknown;
  timeout_ms?: number;
  args?: Record<string, unknown>;
  compensate?: string;
}

/** A workflow definition as register_workflow takes it. */
export function workflow(namespace: string, name: string, steps: StepDef[], version = '1.0.0'): Record<string, unknown> {
  return { namespace, name, version, steps };
}

/** a → b → c (→ d …), all `increment` unless a handler is given. */
export function linear(namespace: string, name = 'linear', names = ['a', 'b', 'c'], extra: Partial<StepDef> = {}): Record<string, unknown> {
  return workflow(
    namespace,
    name,
    names.map((n, i) => ({ name: n, handler: 'increment', ...(i > 0 ? { depends_on: [names[i - 1]!] } : {}), ...extra })),
  );
}

/** start → (left, right) → end. */
export function diamond(namespace: string, name = 'diamond', extra: Partial<StepDef> = {}): Record<string, unknown> {
  return workflow(namespace, name, [
    { name: 'start', handler: 'square', ...extra },
    { name: 'left', handler: 'square', depends_on: ['start'], ...extra },
    { name: 'right', handler: 'double', depends_on: ['start'], ...extra },
    { name: 'end', handler: 'sum_parents', depends_on: ['left', 'right'], ...extra },
  ]);
}

/** One step `only` with the given retry policy / timeout. */
export function single(namespace: string, name: string, step: Partial<StepDef> = {}): Record<string, unknown> {
  return workflow(namespace, name, [{ name: 'only', handler: 'increment', ...step }]);
}

/**
 * Row counts of weft's tables, the length of every PGMQ queue (queue and archive) and a digest of
 * every task and step row (so that an update that changes no count is seen too).
 */
export async function snapshot(sql: Sql): Promise<Record<string, number | string>> {
  const [counts] = await sql<Record<string, number>[]>`
    select (select count(*) from weft.workflows)::int as workflows,
           (select count(*) from weft.workflow_steps)::int as workflow_steps,
           (select count(*) from weft.workflow_edges)::int as workflow_edges,
           (select count(*) from weft.namespaces)::int as namespaces,
           (select count(*) from weft.tasks)::int as tasks,
           (select count(*) from weft.steps)::int as steps,
           (select count(*) from weft.transitions)::int as transitions,
           (select count(*) from weft.rejected_results)::int as rejected_results,
           (select count(*) from weft.dead_letters)::int as dead_letters,
           (select count(*) from weft.finalization_claims)::int as claims,
           (select count(*) from weft.processor_stats)::int as processor_stats,
           (select extract(epoch from offset_interval)::float8 from weft.clock) as clock_offset_s`;
  const queues = await sql<{ queue_name: string }[]>`select queue_name from pgmq.list_queues() order by queue_name`;
  const out: Record<string, number | string> = { ...counts };
  for (const { queue_name } of queues) {
    const [q] = await sql<{ n: number; a: number }[]>`
      select (select count(*) from pgmq.${sql('q_' + queue_name)})::int as n,
             (select count(*) from pgmq.${sql('a_' + queue_name)})::int as a`;
    out[`q_${queue_name}`] = q!.n;
    out[`a_${queue_name}`] = q!.a;
  }
  const [digest] = await sql<{ d: string }[]>`
    select md5(coalesce((select string_agg(t::text, ',' order by task_id) from weft.tasks t), '') ||
               coalesce((select string_agg(s::text, ',' order by step_id) from weft.steps s), '')) as d`;
  out.state_digest = digest!.d;
  return out;
}

/** The messages waiting in a namespace queue (not read: read_ct and vt are untouched). */
export async function queued(sql: Sql, namespace: string): Promise<{ msgId: string; vt: Date; readCt: number; message: StepMessage }[]> {
  const rows = await sql<{ msg_id: string; vt: Date; read_ct: number; message: StepMessage }[]>`
    select msg_id, vt, read_ct, message from pgmq.${sql('q_' + namespace)} order by msg_id`;
  return rows.map((r) => ({ msgId: String(r.msg_id), vt: r.vt, readCt: r.read_ct, message: r.message }));
}

/** The step row of a task by step name. */
export async function stepRow(
  sql: Sql,
  taskId: string,
  name: string,
): Promise<{ step_id: string; state: string; attempt: number; result: unknown; error: unknown; ready_at: Date | null; deadline_at: Date | null; checkpoint: unknown; progress: unknown }> {
  const [s] = await sql<
    { step_id: string; state: string; attempt: number; result: unknown; error: unknown; ready_at: Date | null; deadline_at: Date | null; checkpoint: unknown; progress: unknown }[]
  >`select step_id, state::text, attempt, result, error, ready_at, deadline_at, checkpoint, progress
    from weft.steps where task_id = ${taskId}::uuid and name = ${name}`;
  if (!s) throw new Error(`no step ${name} in task ${taskId}`);
  return s;
}

/** The state of a task. */
export async function taskState(sql: Sql, taskId: string): Promise<string> {
  const [t] = await sql<{ state: string }[]>`select state::text from weft.tasks where task_id = ${taskId}::uuid`;
  if (!t) throw new Error(`no task ${taskId}`);
  return t.state;
}

/** Transitions of a task (task and step rows), in order, as compact strings `entity:step from→to (reason)`. */
export async function transitionsOf(sql: Sql, taskId: string): Promise<string[]> {
  const rows = await sql<{ entity: string; step: string | null; from_state: string | null; to_state: string; reason: string; attempt: number | null }[]>`
    select tr.entity, s.name as step, tr.from_state, tr.to_state, tr.reason, tr.attempt
    from weft.transitions tr left join weft.steps s on s.step_id = tr.step_id
    where tr.task_id = ${taskId}::uuid order by tr.transition_id`;
  return rows.map((r) => `${r.entity === 'task' ? 'task' : `${r.step}#${r.attempt}`} ${r.from_state ?? '∅'}→${r.to_state} (${r.reason})`);
}

/** Claims one task for `processorId` and finalizes it; returns the final state. */
export async function claimAndFinalize(sql: Sql, taskId: string, processorId = 'test-orchestrator'): Promise<string> {
  const [c] = await sql<{ outcome: string }[]>`select outcome from weft.claim_task_for_finalization(${taskId}::uuid, ${processorId})`;
  expect(c!.outcome).toBe('won');
  const [f] = await sql<{ state: string }[]>`select weft.finalize_task(${taskId}::uuid, ${processorId})::text as state`;
  return f!.state;
}

/** Completes the current attempt of a step by name; returns the step_report. */
export async function completeByName(
  sql: Sql,
  taskId: string,
  name: string,
  result: unknown,
): Promise<{ outcome: string; reason: string | null; step_state: string; task_state: string }> {
  const s = await stepRow(sql, taskId, name);
  const [r] = await sql<{ outcome: string; reason: string | null; step_state: string; task_state: string }[]>`
    select outcome, reason, step_state::text, task_state::text
    from weft.complete_step(${s.step_id}::uuid, ${s.attempt}, ${sql.json(result as never)})`;
  return r!;
}

/** Fails the current attempt of a step by name; returns the step_report. */
export async function failByName(
  sql: Sql,
  taskId: string,
  name: string,
  error: Record<string, unknown> = { message: 'boom' },
  retryable = true,
): Promise<{ outcome: string; reason: string | null; step_state: string; task_state: string }> {
  const s = await stepRow(sql, taskId, name);
  const [r] = await sql<{ outcome: string; reason: string | null; step_state: string; task_state: string }[]>`
    select outcome, reason, step_state::text, task_state::text
    from weft.fail_step(${s.step_id}::uuid, ${s.attempt}, ${sql.json(error as never)}, ${retryable})`;
  return r!;
}

/** Waits until backend `pid` is blocked on a lock (bounded: fails after ~10 s of polling). */
export async function untilBlocked(sql: Sql, pid: number): Promise<void> {
  for (let i = 0; i < 1000; i++) {
    const [r] = await sql<{ w: string | null }[]>`select wait_event_type as w from pg_stat_activity where pid = ${pid}`;
    if (r?.w === 'Lock') return;
    await new Promise((res) => setTimeout(res, 10));
  }
  throw new Error(`backend ${pid} never waited for a lock`);
}
