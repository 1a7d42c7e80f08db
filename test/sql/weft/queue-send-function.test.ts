/**
 * weft._create_queue_send_function and the per-namespace senders it makes
 * (weft._q_send_<namespace>): made with the namespace, not executable by PUBLIC, the messages
 * sent in order, and still right after the queue table is dropped and made again in the same
 * session (the cached plan is replaced, not reused).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDatabase, type TestDatabase } from '../../support/db.js';
import { registerWorkflow, requestTask } from '../../support/sql-driver.js';
import { expectSqlError, single } from './fixtures.js';

let db: TestDatabase;
beforeAll(async () => {
  db = await testDatabase('weft_queue_send');
  await registerWorkflow(db.sql, single('qsend', 'one'));
});
afterAll(async () => {
  await db.drop();
});

/** The step messages in the namespace's queue: task ids in msg_id order. */
async function queued(): Promise<string[]> {
  const rows = await db.sql<{ task_id: string }[]>`select message ->> 'task_id' as task_id from pgmq.q_qsend order by msg_id`;
  return rows.map((r) => r.task_id);
}

describe('weft._q_send_<namespace>', () => {
  it('is made with the namespace, runs with a pinned search_path and is not executable by PUBLIC', async () => {
    const [fn] = await db.sql<{ config: string[]; public_exec: boolean }[]>`
      select p.proconfig as config, has_function_privilege('public', p.oid, 'EXECUTE') as public_exec
      from pg_proc p where p.oid = 'weft._q_send_qsend(jsonb[])'::regprocedure`;
    expect(fn).toEqual({ config: ['search_path=""'], public_exec: false });
  });

  it('sends the messages of a request, in order, with their msg_ids recorded on the steps', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push(await requestTask(db.sql, 'qsend', 'one', { i }));
    expect(await queued()).toEqual(ids);
    const rows = await db.sql<{ same: boolean }[]>`
      select s.msg_id = q.msg_id as same from weft.steps s join pgmq.q_qsend q on (q.message ->> 'step_id')::uuid = s.step_id
      where s.task_id = any (${ids}::uuid[])`;
    expect(rows).toEqual([{ same: true }, { same: true }, { same: true }]);
  });

  it('keeps working in the same session after the queue table is dropped and made again', async () => {
    const one = db.connect(1);
    const [first] = await one<{ id: string }[]>`select weft.request_task('qsend', 'one', '{"n": 1}') as id`;
    await one`select pgmq.drop_queue('qsend')`;
    await one`select pgmq.create('qsend')`;
    const [second] = await one<{ id: string }[]>`select weft.request_task('qsend', 'one', '{"n": 2}') as id`;
    expect(first!.id).not.toBe(second!.id);
    expect(await queued()).toEqual([second!.id]);
  });

  it('is made again, unchanged, when asked twice; an unknown namespace is WF001', async () => {
    await db.sql`select weft._create_queue_send_function('qsend')`;
    const [r] = await db.sql<{ n: number }[]>`select count(*)::int as n from pg_proc where proname = '_q_send_qsend'`;
    expect(r!.n).toBe(1);
    await expectSqlError(db.sql`select weft._create_queue_send_function('no_such_ns')`, 'WF001', 'no_such_ns');
  });
});
