/**
 * weft._create_queue_functions and the per-namespace functions it makes
 * (weft._q_send_<namespace>, weft._q_delete_<namespace>): made with the namespace, not
 * executable by PUBLIC, the messages sent in order and deleted by id, and still right after the
 * queue table is dropped and made again in the same session (the cached plan is replaced, not
 * reused).
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

describe('weft._q_send_<namespace> and weft._q_delete_<namespace>', () => {
  it('are made with the namespace, run with a pinned search_path and are not executable by PUBLIC', async () => {
    const rows = await db.sql<{ fn: string; config: string[]; public_exec: boolean }[]>`
      select p.oid::regprocedure::text as fn, p.proconfig as config, has_function_privilege('public', p.oid, 'EXECUTE') as public_exec
      from pg_proc p where p.oid in ('weft._q_send_qsend(jsonb[])'::regprocedure, 'weft._q_delete_qsend(bigint[])'::regprocedure)
      order by 1`;
    expect(rows).toEqual([
      // the delete's plan is kept: it must look messages up by key even if made on an empty queue
      { fn: 'weft._q_delete_qsend(bigint[])', config: ['search_path=""', 'enable_seqscan=off'], public_exec: false },
      { fn: 'weft._q_send_qsend(jsonb[])', config: ['search_path=""'], public_exec: false },
    ]);
  });

  it('deletes the messages named, and only those, returning how many', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 2; i++) ids.push(await requestTask(db.sql, 'qsend', 'one', { del: i }));
    const msgs = await db.sql<{ msg_id: string }[]>`
      select msg_id from pgmq.q_qsend where message ->> 'task_id' = any (${ids}::text[]) order by msg_id`;
    const [r] = await db.sql<{ n: number }[]>`select weft._q_delete_qsend(array[${msgs[0]!.msg_id}::bigint, -1]) as n`;
    expect(r!.n).toBe(1);
    const left = await db.sql<{ msg_id: string }[]>`
      select msg_id from pgmq.q_qsend where message ->> 'task_id' = any (${ids}::text[]) order by msg_id`;
    expect(left).toEqual([msgs[1]]);
    await db.sql`select weft._q_delete_qsend(array[${msgs[1]!.msg_id}::bigint])`;
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

  it('are made again, unchanged, when asked twice; an unknown namespace is WF001', async () => {
    await db.sql`select weft._create_queue_functions('qsend')`;
    const [r] = await db.sql<{ n: number }[]>`select count(*)::int as n from pg_proc where proname in ('_q_send_qsend', '_q_delete_qsend')`;
    expect(r!.n).toBe(2);
    await expectSqlError(db.sql`select weft._create_queue_functions('no_such_ns')`, 'WF001', 'no_such_ns');
  });
});
