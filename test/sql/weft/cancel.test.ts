/**
 * weft.cancel_task: idempotent cancellation, open steps cancelled and their messages deleted at
 * finalization, late results rejected, delayed tasks, child tasks.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDatabase, type TestDatabase } from '../../support/db.js';
import { SqlDriver, registerWorkflow, requestTask } from '../../support/sql-driver.js';
import { claimAndFinalize, completeByName, diamond, expectSqlError, queued, snapshot, stepRow, taskState, transitionsOf } from './fixtures.js';

let db: TestDatabase;
beforeAll(async () => {
  db = await testDatabase('weft_cancel');
  await registerWorkflow(db.sql, diamond('cx'));
});
afterAll(async () => {
  await db.drop();
});

async function cancel(taskId: string, reason: string | null = 'no longer needed', by: string | null = 'ops'): Promise<string> {
  const [r] = await db.sql<{ s: string }[]>`select weft.cancel_task(${taskId}::uuid, ${reason}, ${by})::text as s`;
  return r!.s;
}

async function messagesOf(taskId: string): Promise<string[]> {
  return (await queued(db.sql, 'cx')).filter((m) => m.message.task_id === taskId).map((m) => m.message.step);
}

describe('weft.cancel_task', () => {
  it('stops a running task: finalization cancels the open steps and deletes their messages', async () => {
    const id = await requestTask(db.sql, 'cx', 'diamond', { n: 2 });
    await completeByName(db.sql, id, 'start', 4);
    expect(await messagesOf(id)).toEqual(['left', 'right']);

    expect(await cancel(id)).toBe('finalizing');
    expect(await taskState(db.sql, id)).toBe('finalizing');
    const [t] = await db.sql`select error from weft.tasks where task_id = ${id}::uuid`;
    expect(t!.error).toEqual({ cancelled: { reason: 'no longer needed', by: 'ops' } });

    expect(await claimAndFinalize(db.sql, id)).toBe('cancelled');
    expect(await messagesOf(id)).toEqual([]);
    const states = await db.sql<{ name: string; state: string }[]>`
      select name, state::text from weft.steps where task_id = ${id}::uuid order by position`;
    expect(states).toEqual([
      { name: 'start', state: 'complete' },
      { name: 'left', state: 'cancelled' },
      { name: 'right', state: 'cancelled' },
      { name: 'end', state: 'cancelled' },
    ]);
    const trail = await transitionsOf(db.sql, id);
    expect(trail.slice(0, 7)).toEqual([
      'task ∅→pending (requested)',
      'task pending→running (requested)',
      'start#1 pending→enqueued (requested)',
      'start#1 enqueued→complete (completed)',
      'left#1 pending→enqueued (parents_complete)',
      'right#1 pending→enqueued (parents_complete)',
      'task running→finalizing (cancel_requested)',
    ]);
    // The open steps are cancelled by one statement of finalize_task, in no particular order.
    expect(trail.slice(7, 10).sort()).toEqual([
      'end#0 pending→cancelled (task_cancelled)',
      'left#1 enqueued→cancelled (task_cancelled)',
      'right#1 enqueued→cancelled (task_cancelled)',
    ]);
    expect(trail.slice(10)).toEqual(['task finalizing→cancelled (finalized)']);
  });

  it('is idempotent: a second call returns the state and writes nothing', async () => {
    const id = await requestTask(db.sql, 'cx', 'diamond', { n: 2 });
    expect(await cancel(id)).toBe('finalizing');
    const before = await snapshot(db.sql);
    expect(await cancel(id, 'again')).toBe('finalizing');
    expect(await snapshot(db.sql)).toEqual(before);
    await claimAndFinalize(db.sql, id);
    const after = await snapshot(db.sql);
    expect(await cancel(id)).toBe('cancelled');
    expect(await snapshot(db.sql)).toEqual(after);
  });

  it('leaves a finished task as it is', async () => {
    const id = await requestTask(db.sql, 'cx', 'diamond', { n: 2 });
    await new SqlDriver(db.sql, { namespace: 'cx' }).runUntilFinished([id]);
    const before = await snapshot(db.sql);
    expect(await cancel(id)).toBe('complete');
    expect(await snapshot(db.sql)).toEqual(before);
  });

  it('rejects the result of a step that a worker finished after the cancellation was finalized', async () => {
    const id = await requestTask(db.sql, 'cx', 'diamond', { n: 2 });
    const start = await stepRow(db.sql, id, 'start');
    await cancel(id);
    await claimAndFinalize(db.sql, id);
    const [r] = await db.sql<{ outcome: string; reason: string }[]>`
      select outcome, reason from weft.complete_step(${start.step_id}::uuid, 1, '4')`;
    expect(r).toEqual({ outcome: 'rejected', reason: 'step_cancelled' });
    expect((await stepRow(db.sql, id, 'start')).state).toBe('cancelled');
  });

  it('cancels a delayed task that has not started: it never starts', async () => {
    const [at] = await db.sql<{ t: Date }[]>`select weft.now() + interval '1 hour' as t`;
    const id = await requestTask(db.sql, 'cx', 'diamond', { n: 2 }, { runAfter: at!.t });
    expect(await cancel(id)).toBe('finalizing');
    expect(await db.sql`select 1 from weft.pending_timers where task_id = ${id}::uuid`).toHaveLength(0);
    expect(await claimAndFinalize(db.sql, id)).toBe('cancelled');
    await db.sql`select weft.shift_clock(interval '2 hours')`;
    await db.sql`select * from weft.fire_timers()`;
    expect(await taskState(db.sql, id)).toBe('cancelled');
    expect(await messagesOf(id)).toEqual([]);
    const [n] = await db.sql<{ n: number }[]>`select count(*)::int as n from weft.steps where task_id = ${id}::uuid and state = 'cancelled'`;
    expect(n!.n).toBe(4);
  });

  it('cancels child tasks (parent_task_id), recursively, and leaves finished children alone', async () => {
    const parent = await requestTask(db.sql, 'cx', 'diamond', { n: 1 });
    const child = await requestTask(db.sql, 'cx', 'diamond', { n: 1 }, { parentTaskId: parent });
    const grandchild = await requestTask(db.sql, 'cx', 'diamond', { n: 1 }, { parentTaskId: child });
    const done = await requestTask(db.sql, 'cx', 'diamond', { n: 1 }, { parentTaskId: parent });
    for (const [step, result] of [['start', 1], ['left', 1], ['right', 2], ['end', 3]] as const) await completeByName(db.sql, done, step, result);
    await claimAndFinalize(db.sql, done);
    const unrelated = await requestTask(db.sql, 'cx', 'diamond', { n: 1 });

    await cancel(parent, 'order withdrawn');
    expect(await taskState(db.sql, child)).toBe('finalizing');
    expect(await taskState(db.sql, grandchild)).toBe('finalizing');
    expect(await taskState(db.sql, done)).toBe('complete');
    expect(await taskState(db.sql, unrelated)).toBe('running');
    const [c] = await db.sql`select error from weft.tasks where task_id = ${grandchild}::uuid`;
    expect(c!.error).toEqual({ cancelled: { reason: 'order withdrawn', by: 'ops' } });

    await new SqlDriver(db.sql, { namespace: 'cx' }).finalize();
    for (const id of [parent, child, grandchild]) expect(await taskState(db.sql, id)).toBe('cancelled');
  });

  it('raises WF001 for a null task id and WF005 for an unknown one', async () => {
    await expectSqlError(db.sql`select weft.cancel_task(null)`, 'WF001', 'task_id must not be null');
    await expectSqlError(db.sql`select weft.cancel_task('00000000-0000-7000-8000-0000000000aa')`, 'WF005', 'task 00000000-0000-7000-8000-0000000000aa not found');
  });
});
