/**
 * The operator views: weft.active_tasks, weft.task_stats, weft.claims, weft.pending_timers,
 * weft.queue_depths, weft.failed_steps (weft.workflow_step_levels is in register-workflow).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDatabase, type TestDatabase } from '../../support/db.js';
import { readSteps, registerWorkflow, requestTask } from '../../support/sql-driver.js';
import { claimAndFinalize, completeByName, diamond, failByName, single, stepRow } from './fixtures.js';

let db: TestDatabase;
beforeAll(async () => {
  db = await testDatabase('weft_views');
  await registerWorkflow(db.sql, diamond('vw'));
  await registerWorkflow(db.sql, single('vw', 'flaky', { timeout_ms: 60000, retry: { strategy: 'fixed', base_ms: 5000, max_attempts: 2 } }));
  await registerWorkflow(db.sql, single('vw_depth', 'one'));
});
afterAll(async () => {
  await db.drop();
});

describe('weft.active_tasks', () => {
  it('shows a running task with its progress and priority name, and drops it once finished', async () => {
    const id = await requestTask(db.sql, 'vw', 'diamond', { n: 2 }, { priority: 'low', idempotencyKey: 'view-1' });
    await completeByName(db.sql, id, 'start', 4);
    const [row] = await db.sql`
      select workflow_name, workflow_version, state::text, priority, steps_total, steps_done, percent::float8, idempotency_key
      from weft.active_tasks where task_id = ${id}::uuid`;
    expect(row).toEqual({
      workflow_name: 'diamond',
      workflow_version: '1.0.0',
      state: 'running',
      priority: 'low',
      steps_total: 4,
      steps_done: 1,
      percent: 25,
      idempotency_key: 'view-1',
    });
    for (const [step, result] of [['left', 16], ['right', 8], ['end', 24]] as const) await completeByName(db.sql, id, step, result);
    const [fin] = await db.sql`select state::text, percent::float8 from weft.active_tasks where task_id = ${id}::uuid`;
    expect(fin).toEqual({ state: 'finalizing', percent: 100 });
    await claimAndFinalize(db.sql, id);
    expect(await db.sql`select 1 from weft.active_tasks where task_id = ${id}::uuid`).toHaveLength(0);
  });
});

describe('weft.task_stats', () => {
  it('counts tasks per namespace, workflow and state', async () => {
    await registerWorkflow(db.sql, single('vw_stats', 'counted'));
    const ids = [];
    for (let i = 0; i < 3; i++) ids.push(await requestTask(db.sql, 'vw_stats', 'counted', { n: i }));
    await completeByName(db.sql, ids[0]!, 'only', 1);
    await claimAndFinalize(db.sql, ids[0]!);
    await failByName(db.sql, ids[1]!, 'only', { message: 'x' }, false);
    const rows = await db.sql`select workflow_name, state::text, tasks::int from weft.task_stats where namespace = 'vw_stats' order by state`;
    expect(rows).toEqual([
      { workflow_name: 'counted', state: 'complete', tasks: 1 },
      { workflow_name: 'counted', state: 'finalizing', tasks: 1 },
      { workflow_name: 'counted', state: 'running', tasks: 1 },
    ]);
  });
});

describe('weft.pending_timers', () => {
  it('lists delayed starts, retry backoffs and attempt deadlines with their due times', async () => {
    const [at] = await db.sql<{ t: Date }[]>`select weft.now() + interval '1 day' as t`;
    const delayed = await requestTask(db.sql, 'vw', 'flaky', { n: 1 }, { runAfter: at!.t });
    const timed = await requestTask(db.sql, 'vw', 'flaky', { n: 1 });
    const retrying = await requestTask(db.sql, 'vw', 'flaky', { n: 1 });
    await failByName(db.sql, retrying, 'only');

    const rows = await db.sql<{ kind: string; task_id: string; step_name: string | null; due_at: Date }[]>`
      select kind, task_id, step_name, due_at from weft.pending_timers where task_id = any (${[delayed, timed, retrying]}::uuid[])`;
    const byTask = Object.fromEntries(rows.map((r) => [r.task_id, r]));
    expect(rows).toHaveLength(3);
    expect(byTask[delayed]).toEqual({ kind: 'delayed_start', task_id: delayed, step_name: null, due_at: at!.t });
    const timedStep = await stepRow(db.sql, timed, 'only');
    expect(byTask[timed]).toEqual({ kind: 'attempt_deadline', task_id: timed, step_name: 'only', due_at: timedStep.deadline_at });
    const retryStep = await stepRow(db.sql, retrying, 'only');
    expect(byTask[retrying]).toEqual({ kind: 'retry_backoff', task_id: retrying, step_name: 'only', due_at: retryStep.ready_at });
  });
});

describe('weft.queue_depths', () => {
  it('gives the length and the visible length of a namespace queue', async () => {
    const empty = await db.sql`select queue_length::int, queue_visible_length::int from weft.queue_depths where namespace = 'vw_depth'`;
    expect(empty).toEqual([{ queue_length: 0, queue_visible_length: 0 }]);
    for (let i = 0; i < 3; i++) await requestTask(db.sql, 'vw_depth', 'one', { n: i });
    await readSteps(db.sql, 'vw_depth', { vt: 60, qty: 1 });
    const [d] = await db.sql`select queue_name, queue_length::int, queue_visible_length::int from weft.queue_depths where namespace = 'vw_depth'`;
    expect(d).toEqual({ queue_name: 'vw_depth', queue_length: 3, queue_visible_length: 2 });
  });
});

describe('weft.failed_steps', () => {
  it('lists a step in error with every failed attempt in its error history', async () => {
    const id = await requestTask(db.sql, 'vw', 'flaky', { n: 1 });
    await failByName(db.sql, id, 'only', { message: 'first', code: 'E1' });
    await db.sql`select weft.shift_clock(interval '5001 milliseconds')`;
    await db.sql`select * from weft.fire_timers()`;
    await failByName(db.sql, id, 'only', { message: 'second', code: 'E2' });
    const [row] = await db.sql<{ step_name: string; workflow_name: string; attempt: number; max_attempts: number; error: unknown; error_history: { attempt: number; reason: string; error: unknown }[] }[]>`
      select step_name, workflow_name, attempt, max_attempts, error, error_history from weft.failed_steps where task_id = ${id}::uuid`;
    expect(row).toMatchObject({ step_name: 'only', workflow_name: 'flaky', attempt: 2, max_attempts: 2, error: { message: 'second', code: 'E2' } });
    expect(row!.error_history.map((h) => ({ attempt: h.attempt, reason: h.reason, error: h.error }))).toEqual([
      { attempt: 1, reason: 'failed', error: { message: 'first', code: 'E1' } },
      { attempt: 2, reason: 'failed', error: { message: 'second', code: 'E2' } },
    ]);
  });
});
