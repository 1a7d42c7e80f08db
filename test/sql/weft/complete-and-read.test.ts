/**
 * weft.complete_steps_and_read: a batch of completions and the worker's next read in one
 * transaction — the children the completions made ready come back in the answer, read
 * (pgmq.read semantics: hidden for vt seconds, read_ct 1), so no other reader gets them.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sql } from '../../../src/db/connection.js';
import { testDatabase, type TestDatabase } from '../../support/db.js';
import { registerWorkflow, requestTask } from '../../support/sql-driver.js';
import { diamond, expectSqlError, stepRow } from './fixtures.js';

let db: TestDatabase;
beforeAll(async () => {
  db = await testDatabase('weft_complete_read');
  await registerWorkflow(db.sql, diamond('car'));
});
afterAll(async () => {
  await db.drop();
});

interface Answer {
  reports: { outcome: string; step_id: string; step_state: string; task_state: string }[];
  messages: { msg_id: number; read_ct: number; vt: string; message: { step: string; task_id: string; parents: Record<string, unknown> } }[];
}

async function completeAndRead(sql: Sql, steps: { id: string; attempt: number; result: unknown }[], qty: number, queue: string | null = 'car'): Promise<Answer> {
  const [row] = await sql<Answer[]>`
    select reports, messages from weft.complete_steps_and_read(
      ${steps.map((s) => s.id)}::uuid[], ${steps.map((s) => s.attempt)}::int[],
      array(select e from jsonb_array_elements(${sql.json(steps.map((s) => s.result) as never)}) with ordinality as x (e, i) order by i),
      'car-w', ${queue}, 30, ${qty})`;
  return row!;
}

/** Takes a task's root message off the queue (as a worker's read would). */
async function readRoot(taskId: string): Promise<string> {
  await db.sql`select * from pgmq.read('car', 30, 100)`;
  return (await stepRow(db.sql, taskId, 'start')).step_id;
}

describe('weft.complete_steps_and_read', () => {
  it('returns the reports in order and, read, the children the completions just made ready', async () => {
    const t1 = await requestTask(db.sql, 'car', 'diamond', { n: 2 });
    const t2 = await requestTask(db.sql, 'car', 'diamond', { n: 3 });
    const s1 = await readRoot(t1);
    const s2 = (await stepRow(db.sql, t2, 'start')).step_id;
    const out = await completeAndRead(db.sql, [{ id: s2, attempt: 1, result: 9 }, { id: s1, attempt: 1, result: 4 }], 10);
    expect(out.reports.map((r) => [r.step_id, r.outcome, r.step_state, r.task_state])).toEqual([
      [s2, 'applied', 'complete', 'running'],
      [s1, 'applied', 'complete', 'running'],
    ]);
    // Both tasks' left and right, each read once and hidden, with the parent's result.
    const got = out.messages.map((m) => [m.message.task_id, m.message.step, m.read_ct, m.message.parents]).sort();
    expect(got).toEqual([
      [t1, 'left', 1, { start: 4 }], [t1, 'right', 1, { start: 4 }],
      [t2, 'left', 1, { start: 9 }], [t2, 'right', 1, { start: 9 }],
    ].sort());
    const ids = out.messages.map((m) => m.msg_id);
    expect([...ids].sort((a, b) => a - b)).toEqual(ids);
    const visible = await db.sql`select msg_id from pgmq.q_car where vt <= clock_timestamp()`;
    expect(visible).toEqual([]);
  });

  it('reads at most qty, and nothing with qty 0 (then it is complete_steps)', async () => {
    const t = await requestTask(db.sql, 'car', 'diamond', { n: 1 });
    const s = await readRoot(t);
    const none = await completeAndRead(db.sql, [{ id: s, attempt: 1, result: 1 }], 0, null);
    expect(none.reports.map((r) => r.outcome)).toEqual(['applied']);
    expect(none.messages).toEqual([]);
    const one = await completeAndRead(db.sql, [], 1);
    expect(one.reports).toEqual([]);
    expect(one.messages).toHaveLength(1);
    const [left] = await db.sql<{ n: number }[]>`select count(*)::int as n from pgmq.q_car where read_ct = 0`;
    expect(left!.n).toBe(1);
  });

  it('refuses a bad qty, a read without a queue, and an unknown queue; applies nothing then', async () => {
    const t = await requestTask(db.sql, 'car', 'diamond', { n: 5 });
    const s = await readRoot(t);
    const step = [{ id: s, attempt: 1, result: 25 }];
    await expectSqlError(completeAndRead(db.sql, step, -1), 'WF001', 'qty must be between 0 and 1000, got -1');
    await expectSqlError(completeAndRead(db.sql, step, 1001), 'WF001', 'got 1001');
    await expectSqlError(completeAndRead(db.sql, step, 1, null), 'WF001', 'needs a queue_name');
    await expectSqlError(completeAndRead(db.sql, step, 1, 'nope'), 'WF010', 'no namespace has the queue "nope"');
    expect((await stepRow(db.sql, t, 'start')).state).toBe('enqueued');
  });
});
