/**
 * Saga compensation: reverse topological order, compensation retries, and the distinct
 * compensation_failed state when a compensation fails for good.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDatabase, type TestDatabase } from '../../support/db.js';

let db: TestDatabase;

// a -> (b, c) -> d ; d fails. a, b, c declare compensations; c's compensation may fail.
const saga = {
  namespace: 'saga', name: 'fork', version: '1',
  steps: [
    { name: 'a', handler: 'h', compensate: 'undo' },
    { name: 'b', handler: 'h', depends_on: ['a'], compensate: 'undo', retry: { max_attempts: 2, strategy: 'fixed', base_ms: 0 } },
    { name: 'c', handler: 'h', depends_on: ['a'], compensate: 'undo' },
    { name: 'd', handler: 'h', depends_on: ['b', 'c'], retry: 'none' },
  ],
};

beforeAll(async () => {
  db = await testDatabase('compensation');
  await db.sql`select weft.register_workflow(${db.sql.json(saga)})`;
});
afterAll(async () => {
  await db.drop();
});

async function step(taskId: string, name: string): Promise<{ step_id: string; attempt: number; state: string }> {
  const [s] = await db.sql<{ step_id: string; attempt: number; state: string }[]>`
    select step_id, attempt, state::text from weft.steps where task_id = ${taskId} and name = ${name}`;
  return s!;
}
async function finalize(taskId: string): Promise<string> {
  await db.sql`select * from weft.claim_task_for_finalization(${taskId}, 'saga-orch')`;
  return (await db.sql<{ s: string }[]>`select weft.finalize_task(${taskId}, 'saga-orch') as s`)[0]!.s;
}
async function failedSaga(): Promise<string> {
  const id = (await db.sql<{ id: string }[]>`select weft.request_task('saga', 'fork', '{}') as id`)[0]!.id;
  for (const n of ['a', 'b', 'c']) await db.sql`select weft.complete_step(${(await step(id, n)).step_id}::uuid, 1, '1')`;
  await db.sql`select weft.fail_step(${(await step(id, 'd')).step_id}::uuid, 1, '{"message":"no"}', false)`;
  expect(await finalize(id)).toBe('compensating');
  return id;
}

describe('saga compensation', () => {
  it('compensates b and c (in either order) before a, then ends in error naming them in order', async () => {
    const id = await failedSaga();
    expect((await step(id, 'compensate:a')).state).toBe('pending');
    expect((await step(id, 'compensate:b')).state).toBe('enqueued');
    expect((await step(id, 'compensate:c')).state).toBe('enqueued');
    await db.sql`select weft.complete_step(${(await step(id, 'compensate:c')).step_id}::uuid, 1, 'null')`;
    expect((await step(id, 'compensate:a')).state).toBe('pending');
    await db.sql`select weft.complete_step(${(await step(id, 'compensate:b')).step_id}::uuid, 1, 'null')`;
    expect((await step(id, 'compensate:a')).state).toBe('enqueued');
    await db.sql`select weft.complete_step(${(await step(id, 'compensate:a')).step_id}::uuid, 1, 'null')`;
    expect(await finalize(id)).toBe('error');
    const [t] = await db.sql`select state, error from weft.tasks where task_id = ${id}`;
    expect(t).toMatchObject({ state: 'error', error: { step: 'd', compensated: ['c', 'b', 'a'] } });
  });

  it('retries a failing compensation per the step\'s policy', async () => {
    const id = await failedSaga();
    const cb = await step(id, 'compensate:b');
    const r = await db.sql`select * from weft.fail_step(${cb.step_id}::uuid, 1, '{"message":"flaky undo"}')`;
    expect(r[0]).toMatchObject({ outcome: 'applied', reason: 'retry_scheduled' });
    await db.sql`select * from weft.fire_timers('t')`;
    expect(await step(id, 'compensate:b')).toMatchObject({ state: 'enqueued', attempt: 2 });
  });

  it('ends compensation_failed, a distinct terminal state, when a compensation fails for good', async () => {
    const id = await failedSaga();
    await db.sql`select weft.complete_step(${(await step(id, 'compensate:b')).step_id}::uuid, 1, 'null')`;
    await db.sql`select weft.fail_step(${(await step(id, 'compensate:c')).step_id}::uuid, 1, '{"message":"cannot refund"}', false)`;
    expect(await finalize(id)).toBe('compensation_failed');
    const [t] = await db.sql`select state, error from weft.tasks where task_id = ${id}`;
    expect(t).toMatchObject({
      state: 'compensation_failed',
      error: { step: 'd', compensation_failed: { step: 'c', error: { message: 'cannot refund' } }, compensated: ['b'] },
    });
    // the compensation that never ran was cancelled; a retry of this task is refused
    expect((await step(id, 'compensate:a')).state).toBe('cancelled');
    await expect(db.sql`select weft.retry_task(${id}, 'ops')`).rejects.toMatchObject({ code: 'WF008' });
  });
});
