/**
 * weft.complete_step: readiness of children (linear, diamond), parents' results in messages,
 * fencing (stale, never started, duplicate), argument errors.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type postgres from 'postgres';
import { connect } from '../../../src/db/connection.js';
import { testDatabase, type TestDatabase } from '../../support/db.js';
import { registerWorkflow, requestTask } from '../../support/sql-driver.js';
import {
  claimAndFinalize,
  completeByName,
  diamond,
  expectSqlError,
  failByName,
  linear,
  queued,
  single,
  snapshot,
  stepRow,
  taskState,
} from './fixtures.js';

let db: TestDatabase;
beforeAll(async () => {
  db = await testDatabase('weft_complete');
  await registerWorkflow(db.sql, linear('cpl'));
  await registerWorkflow(db.sql, diamond('cpl'));
  // base_ms 0: a failed attempt is due again at once, so a test reaches attempt 2 with one fire_timers.
  await registerWorkflow(db.sql, single('cpl', 'retry_now', { retry: { strategy: 'fixed', base_ms: 0, max_attempts: 3 } }));
});
afterAll(async () => {
  await db.drop();
});

async function messagesOf(taskId: string): Promise<{ step: string; attempt: number; parents: Record<string, unknown> }[]> {
  return (await queued(db.sql, 'cpl'))
    .filter((m) => m.message.task_id === taskId)
    .map((m) => ({ step: m.message.step, attempt: m.message.attempt, parents: m.message.parents }));
}

/** A task of retry_now whose step `only` is on attempt 2 (attempt 1 failed). */
async function onSecondAttempt(): Promise<{ taskId: string; stepId: string }> {
  const taskId = await requestTask(db.sql, 'cpl', 'retry_now', { n: 1 });
  await failByName(db.sql, taskId, 'only', { message: 'first try failed' });
  await db.sql`select * from weft.fire_timers('test')`;
  const s = await stepRow(db.sql, taskId, 'only');
  expect(s).toMatchObject({ state: 'enqueued', attempt: 2 });
  return { taskId, stepId: s.step_id };
}

describe('weft.complete_step applies a result', () => {
  it('walks a linear workflow: each completion enqueues the next step with its parent result', async () => {
    const id = await requestTask(db.sql, 'cpl', 'linear', { n: 1 });
    expect(await messagesOf(id)).toEqual([{ step: 'a', attempt: 1, parents: {} }]);

    expect(await completeByName(db.sql, id, 'a', 2)).toMatchObject({ outcome: 'applied', step_state: 'complete', task_state: 'running' });
    expect(await messagesOf(id)).toEqual([{ step: 'b', attempt: 1, parents: { a: 2 } }]);

    await completeByName(db.sql, id, 'b', 3);
    expect(await messagesOf(id)).toEqual([{ step: 'c', attempt: 1, parents: { b: 3 } }]);

    expect(await completeByName(db.sql, id, 'c', 4)).toMatchObject({ outcome: 'applied', task_state: 'finalizing' });
    expect(await messagesOf(id)).toEqual([]);
    expect(await taskState(db.sql, id)).toBe('finalizing');

    expect(await claimAndFinalize(db.sql, id)).toBe('complete');
    const [t] = await db.sql<{ result: unknown; steps_remaining: number }[]>`
      select result, steps_remaining from weft.tasks where task_id = ${id}::uuid`;
    expect(t).toEqual({ result: { c: 4 }, steps_remaining: 0 });
  });

  it('walks a diamond: the join waits for both parents and gets both results', async () => {
    const id = await requestTask(db.sql, 'cpl', 'diamond', { n: 2 });
    await completeByName(db.sql, id, 'start', 4);
    expect(await messagesOf(id)).toEqual([
      { step: 'left', attempt: 1, parents: { start: 4 } },
      { step: 'right', attempt: 1, parents: { start: 4 } },
    ]);

    await completeByName(db.sql, id, 'left', 16);
    expect(await messagesOf(id)).toEqual([{ step: 'right', attempt: 1, parents: { start: 4 } }]);
    expect((await stepRow(db.sql, id, 'end')).state).toBe('pending');

    await completeByName(db.sql, id, 'right', 8);
    expect(await messagesOf(id)).toEqual([{ step: 'end', attempt: 1, parents: { left: 16, right: 8 } }]);

    expect(await completeByName(db.sql, id, 'end', 24)).toMatchObject({ task_state: 'finalizing' });
    expect(await claimAndFinalize(db.sql, id)).toBe('complete');
    const [t] = await db.sql<{ result: unknown }[]>`select result from weft.tasks where task_id = ${id}::uuid`;
    expect(t!.result).toEqual({ end: 24 });
  });

  it('stores any JSON result, including null, and deletes the step message', async () => {
    const id = await requestTask(db.sql, 'cpl', 'retry_now', { n: 1 });
    const s = await stepRow(db.sql, id, 'only');
    await db.sql`select * from weft.complete_step(${s.step_id}::uuid, 1, null)`;
    const after = await stepRow(db.sql, id, 'only');
    expect(after).toMatchObject({ state: 'complete', result: null });
    expect(await messagesOf(id)).toEqual([]);
  });
});

describe('weft.complete_step fencing', () => {
  it('rejects a stale attempt: outcome rejected, recorded in weft.rejected_results, nothing else changed', async () => {
    const { taskId, stepId } = await onSecondAttempt();
    const before = await snapshot(db.sql);
    const [r] = await db.sql<{ outcome: string; reason: string; attempt: number; step_state: string }[]>`
      select outcome, reason, attempt, step_state::text from weft.complete_step(${stepId}::uuid, 1, '"late"', 'worker-old')`;
    expect(r).toEqual({ outcome: 'rejected', reason: 'superseded_attempt', attempt: 2, step_state: 'enqueued' });

    const rejected = await db.sql`
      select attempt, current_attempt, step_state, kind, reason, payload, processor_id from weft.rejected_results
      where step_id = ${stepId}::uuid`;
    expect(rejected).toEqual([
      { attempt: 1, current_attempt: 2, step_state: 'enqueued', kind: 'complete', reason: 'superseded_attempt', payload: 'late', processor_id: 'worker-old' },
    ]);
    const after = await snapshot(db.sql);
    expect({ ...after, rejected_results: before.rejected_results }).toEqual(before);
    expect(after.rejected_results).toBe(Number(before.rejected_results) + 1);
    expect(await taskState(db.sql, taskId)).toBe('running');
  });

  it('says so with a WARNING whose SQLSTATE is WF007', async () => {
    const { stepId } = await onSecondAttempt();
    const notices: postgres.Notice[] = [];
    const listener = connect(db.url, { max: 1, onnotice: (n) => notices.push(n) });
    try {
      await listener`select * from weft.complete_step(${stepId}::uuid, 1, '1')`;
    } finally {
      await listener.end();
    }
    expect(notices).toHaveLength(1);
    expect(notices[0]).toMatchObject({ severity: 'WARNING', code: 'WF007' });
    expect(String(notices[0]!.message)).toContain('attempt 1 rejected (superseded_attempt)');
  });

  it('raises WF007 for an attempt that was never started, recording nothing', async () => {
    const id = await requestTask(db.sql, 'cpl', 'diamond', { n: 2 });
    const start = await stepRow(db.sql, id, 'start');
    const left = await stepRow(db.sql, id, 'left');
    const before = await snapshot(db.sql);
    await expectSqlError(db.sql`select * from weft.complete_step(${start.step_id}::uuid, 2, '1')`, 'WF007', 'attempt 2 of step', 'was never started (current attempt is 1)');
    await expectSqlError(db.sql`select * from weft.complete_step(${left.step_id}::uuid, 1, '1')`, 'WF007', 'current attempt is 0');
    expect(await snapshot(db.sql)).toEqual(before);
  });

  it('gives outcome duplicate for the same attempt completed twice, keeping the first result', async () => {
    const id = await requestTask(db.sql, 'cpl', 'diamond', { n: 2 });
    const start = await stepRow(db.sql, id, 'start');
    await db.sql`select * from weft.complete_step(${start.step_id}::uuid, 1, '4')`;
    const [r] = await db.sql<{ outcome: string; reason: string; step_state: string }[]>`
      select outcome, reason, step_state::text from weft.complete_step(${start.step_id}::uuid, 1, '99')`;
    expect(r).toEqual({ outcome: 'duplicate', reason: 'already_complete', step_state: 'complete' });
    expect((await stepRow(db.sql, id, 'start')).result).toBe(4);
    const enq = await db.sql`select 1 from weft.transitions where task_id = ${id}::uuid and to_state = 'enqueued' and reason = 'parents_complete'`;
    expect(enq).toHaveLength(2);
  });

  it('rejects a result for a step waiting for its retry', async () => {
    const taskId = await requestTask(db.sql, 'cpl', 'linear', { n: 1 });
    const a = await stepRow(db.sql, taskId, 'a');
    await failByName(db.sql, taskId, 'a');
    const [r] = await db.sql<{ outcome: string; reason: string }[]>`select outcome, reason from weft.complete_step(${a.step_id}::uuid, 1, '1')`;
    expect(r).toEqual({ outcome: 'rejected', reason: 'step_waiting_retry' });
    expect((await stepRow(db.sql, taskId, 'a')).state).toBe('waiting_retry');
  });
});

describe('weft.complete_step argument errors', () => {
  it('raises WF006 for an unknown step', async () => {
    await expectSqlError(
      db.sql`select * from weft.complete_step('00000000-0000-7000-8000-000000000000', 1, '1')`,
      'WF006',
      'step 00000000-0000-7000-8000-000000000000 not found',
    );
  });

  it.each([
    ['a null step_id', `select * from weft.complete_step(null, 1, '1')`, 'step_id must not be null'],
    ['a null attempt', `select * from weft.complete_step('00000000-0000-7000-8000-000000000000', null, '1')`, 'got null'],
    ['attempt 0', `select * from weft.complete_step('00000000-0000-7000-8000-000000000000', 0, '1')`, 'got 0'],
    ['a negative attempt', `select * from weft.complete_step('00000000-0000-7000-8000-000000000000', -3, '1')`, 'got -3'],
  ])('raises WF001 for %s', async (_what, query, fragment) => {
    await expectSqlError(db.sql.unsafe(query), 'WF001', fragment);
  });
});
