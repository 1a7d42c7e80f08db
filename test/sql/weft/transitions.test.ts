/**
 * weft.transitions: every state change of a task and its steps, in order, with who made it.
 * Order is transition_id order (UUIDv7), which must hold inside one transaction too.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDatabase, type TestDatabase } from '../../support/db.js';
import { SqlDriver, loadScenario, registerWorkflow, requestTask, taskOutcome } from '../../support/sql-driver.js';
import { diamond, transitionsOf } from './fixtures.js';

let db: TestDatabase;
beforeAll(async () => {
  db = await testDatabase('weft_transitions');
  await registerWorkflow(db.sql, diamond('tr'));
  await registerWorkflow(db.sql, { ...loadScenario('retries_exhausted').workflow, namespace: 'tr' });
});
afterAll(async () => {
  await db.drop();
});

describe('weft.transitions', () => {
  it('holds every state change of a finished diamond task, in order', async () => {
    const id = await requestTask(db.sql, 'tr', 'diamond', { n: 2 });
    await new SqlDriver(db.sql, { namespace: 'tr', processorId: 'p1' }).runUntilFinished([id]);
    expect(await transitionsOf(db.sql, id)).toEqual([
      'task ∅→pending (requested)',
      'task pending→running (requested)',
      'start#1 pending→enqueued (requested)',
      'start#1 enqueued→complete (completed)',
      'left#1 pending→enqueued (parents_complete)',
      'right#1 pending→enqueued (parents_complete)',
      'left#1 enqueued→complete (completed)',
      'right#1 enqueued→complete (completed)',
      'end#1 pending→enqueued (parents_complete)',
      'end#1 enqueued→complete (completed)',
      'task running→finalizing (all_steps_complete)',
      'task finalizing→complete (finalized)',
    ]);
  });

  it('holds the retries and the cancellation of a task whose step exhausted its retries', async () => {
    const id = await requestTask(db.sql, 'tr', 'retries_exhausted', { n: 1 });
    await new SqlDriver(db.sql, { namespace: 'tr', processorId: 'p1' }).runUntilFinished([id]);
    expect((await taskOutcome(db.sql, id)).state).toBe('error');
    expect(await transitionsOf(db.sql, id)).toEqual([
      'task ∅→pending (requested)',
      'task pending→running (requested)',
      'first#1 pending→enqueued (requested)',
      'first#1 enqueued→complete (completed)',
      'flaky#1 pending→enqueued (parents_complete)',
      'flaky#1 enqueued→waiting_retry (failed)',
      'flaky#2 waiting_retry→enqueued (retry_backoff_elapsed)',
      'flaky#2 enqueued→waiting_retry (failed)',
      'flaky#3 waiting_retry→enqueued (retry_backoff_elapsed)',
      'flaky#3 enqueued→error (failed)',
      'task running→finalizing (step_failed)',
      'never#0 pending→cancelled (task_error)',
      'task finalizing→error (finalized)',
    ]);
  });

  it('records which processor made each change', async () => {
    const id = await requestTask(db.sql, 'tr', 'diamond', { n: 1 });
    await new SqlDriver(db.sql, { namespace: 'tr', processorId: 'worker-7' }).runUntilFinished([id]);
    const rows = await db.sql<{ to_state: string; processor_id: string | null }[]>`
      select to_state, processor_id from weft.transitions where task_id = ${id}::uuid and entity = 'task' order by transition_id`;
    expect(rows).toEqual([
      { to_state: 'pending', processor_id: null },
      { to_state: 'running', processor_id: null },
      { to_state: 'finalizing', processor_id: 'worker-7' },
      { to_state: 'complete', processor_id: 'worker-7' },
    ]);
  });

  it('keeps the order of changes made inside one transaction, for every one of 300 tasks', async () => {
    const ids = await db.sql<{ id: string }[]>`
      select weft.request_task('tr', 'diamond', jsonb_build_object('n', i)) as id from generate_series(1, 300) i`;
    const rows = await db.sql<{ task_id: string; seq: string[] }[]>`
      select tr.task_id, array_agg(coalesce(tr.from_state, '∅') || '→' || tr.to_state order by tr.transition_id) as seq
      from weft.transitions tr where tr.task_id = any (${ids.map((r) => r.id)}::uuid[]) group by tr.task_id`;
    expect(rows).toHaveLength(300);
    const misordered = rows.filter((r) => r.seq.join(' ') !== '∅→pending pending→running pending→enqueued');
    expect(misordered).toEqual([]);
  });
});
