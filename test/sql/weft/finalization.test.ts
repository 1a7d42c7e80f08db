/**
 * Finalization claims (weft.claim_task_for_finalization, weft.claim_tasks_for_finalization) and
 * weft.finalize_task: outcomes, expiry and takeover, counters, exactly-once finalization.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDatabase, type TestDatabase } from '../../support/db.js';
import { registerWorkflow, requestTask } from '../../support/sql-driver.js';
import { completeByName, expectSqlError, single, snapshot, taskState } from './fixtures.js';

let db: TestDatabase;
beforeAll(async () => {
  db = await testDatabase('weft_finalize');
  await registerWorkflow(db.sql, single('fin', 'one'));
});
afterAll(async () => {
  await db.drop();
});

/** A task of `one` whose step completed: state finalizing. */
async function finalizing(): Promise<string> {
  const id = await requestTask(db.sql, 'fin', 'one', { n: 1 });
  await completeByName(db.sql, id, 'only', 2);
  expect(await taskState(db.sql, id)).toBe('finalizing');
  return id;
}

async function claim(taskId: string, processor: string, ttlMs = 30000): Promise<string> {
  const [r] = await db.sql<{ outcome: string }[]>`
    select outcome from weft.claim_task_for_finalization(${taskId}::uuid, ${processor}, ${ttlMs})`;
  return r!.outcome;
}

async function stats(processor: string): Promise<Record<string, number>> {
  const [r] = await db.sql<Record<string, number>[]>`
    select claims_attempted::int, claims_won::int, claims_contended::int, claims_taken_over::int, tasks_finalized::int
    from weft.processor_stats where processor_id = ${processor}`;
  return r ?? {};
}

describe('claim outcomes', () => {
  it('won for the first processor; contended for another while the claim is live; won again (renewal) for the holder', async () => {
    const id = await finalizing();
    expect(await claim(id, 'orch-a')).toBe('won');
    expect(await claim(id, 'orch-b')).toBe('contended');
    expect(await claim(id, 'orch-a')).toBe('won');
    const [c] = await db.sql`select processor_id, live, takeovers, task_state::text from weft.claims where task_id = ${id}::uuid`;
    expect(c).toEqual({ processor_id: 'orch-a', live: true, takeovers: 0, task_state: 'finalizing' });
  });

  it('not_finalizing for a running task, and no claim is written', async () => {
    const id = await requestTask(db.sql, 'fin', 'one', { n: 1 });
    expect(await claim(id, 'orch-a')).toBe('not_finalizing');
    expect(await db.sql`select 1 from weft.finalization_claims where task_id = ${id}::uuid`).toHaveLength(0);
  });

  it('taken_over once the holder let the claim expire; the old holder can no longer finalize', async () => {
    const id = await finalizing();
    expect(await claim(id, 'slow-orch', 1000)).toBe('won');
    expect(await claim(id, 'fast-orch')).toBe('contended');
    await db.sql`select weft.shift_clock(interval '1001 milliseconds')`;
    const [view] = await db.sql`select live, seconds_left::float8 from weft.claims where task_id = ${id}::uuid`;
    expect(view).toEqual({ live: false, seconds_left: 0 });

    expect(await claim(id, 'fast-orch')).toBe('taken_over');
    const [c] = await db.sql`select processor_id, takeovers from weft.claims where task_id = ${id}::uuid`;
    expect(c).toEqual({ processor_id: 'fast-orch', takeovers: 1 });

    const e = await expectSqlError(db.sql`select weft.finalize_task(${id}::uuid, 'slow-orch')`, 'WF011', 'processor "slow-orch" holds no live finalization claim');
    expect(e.detail).toContain('claim held by fast-orch');
    expect(await db.sql`select weft.finalize_task(${id}::uuid, 'fast-orch')::text as s`).toEqual([{ s: 'complete' }]);
  });

  it('raises WF005 for an unknown task and WF001 for bad arguments', async () => {
    const unknown = '00000000-0000-7000-8000-00000000000f';
    await expectSqlError(db.sql`select * from weft.claim_task_for_finalization(${unknown}::uuid, 'p')`, 'WF005', `task ${unknown} not found`);
    await expectSqlError(db.sql`select * from weft.claim_task_for_finalization(null, 'p')`, 'WF001', 'task_id must not be null');
    const id = await finalizing();
    await expectSqlError(db.sql`select * from weft.claim_task_for_finalization(${id}::uuid, '  ')`, 'WF001', 'processor_id must be a non-empty string');
    await expectSqlError(db.sql`select * from weft.claim_task_for_finalization(${id}::uuid, 'p', 99)`, 'WF001', 'ttl_ms must be from 100 to 3600000, got 99');
  });
});

describe('weft.finalize_task', () => {
  it('raises WF011 without a claim, changing nothing', async () => {
    const id = await finalizing();
    const before = await snapshot(db.sql);
    const e = await expectSqlError(db.sql`select weft.finalize_task(${id}::uuid, 'orch-x')`, 'WF011', `task ${id}`);
    expect(e.detail).toBe('no claim');
    expect(e.hint).toContain('weft.claim_task_for_finalization');
    expect(await snapshot(db.sql)).toEqual(before);
  });

  it('finalizes a task once: one finalized transition; claiming it again says not_finalizing', async () => {
    const id = await finalizing();
    expect(await claim(id, 'orch-once')).toBe('won');
    const [f] = await db.sql<{ s: string }[]>`select weft.finalize_task(${id}::uuid, 'orch-once')::text as s`;
    expect(f!.s).toBe('complete');
    expect(await db.sql`select 1 from weft.finalization_claims where task_id = ${id}::uuid`).toHaveLength(0);
    expect(await claim(id, 'orch-once')).toBe('not_finalizing');
    expect(await claim(id, 'orch-other')).toBe('not_finalizing');
    await expectSqlError(db.sql`select weft.finalize_task(${id}::uuid, 'orch-once')`, 'WF011');
    const finalized = await db.sql`select processor_id from weft.transitions where task_id = ${id}::uuid and reason = 'finalized'`;
    expect(finalized).toEqual([{ processor_id: 'orch-once' }]);
    const [t] = await db.sql`select state::text, result, finished_at is not null as finished from weft.tasks where task_id = ${id}::uuid`;
    expect(t).toEqual({ state: 'complete', result: { only: 2 }, finished: true });
  });

  it('raises WF005 for an unknown task and WF001 for nulls', async () => {
    await expectSqlError(db.sql`select weft.finalize_task('00000000-0000-7000-8000-00000000000e', 'p')`, 'WF005');
    await expectSqlError(db.sql`select weft.finalize_task(null, 'p')`, 'WF001');
    const id = await finalizing();
    await expectSqlError(db.sql`select weft.finalize_task(${id}::uuid, null)`, 'WF001');
  });

  it('tells waiting clients with NOTIFY weft_task_finished carrying the task id', async () => {
    const id = await finalizing();
    const listener = db.connect(1);
    let resolve: (payload: string) => void = () => undefined;
    const heard = new Promise<string>((r) => (resolve = r));
    await listener.listen('weft_task_finished', (payload) => {
      if (payload === id) resolve(payload);
    });
    expect(await claim(id, 'orch-n')).toBe('won');
    await db.sql`select weft.finalize_task(${id}::uuid, 'orch-n')`;
    expect(await heard).toBe(id);
  });
});

describe('counters in weft.processor_stats', () => {
  it('counts attempted, won, contended, taken over and finalized per processor', async () => {
    const a = await finalizing();
    const b = await finalizing();
    expect(await claim(a, 'stat-1', 500)).toBe('won');
    expect(await claim(a, 'stat-2')).toBe('contended');
    await db.sql`select weft.shift_clock(interval '501 milliseconds')`;
    expect(await claim(a, 'stat-2')).toBe('taken_over');
    expect(await claim(b, 'stat-2')).toBe('won');
    await db.sql`select weft.finalize_task(${a}::uuid, 'stat-2')`;
    await db.sql`select weft.finalize_task(${b}::uuid, 'stat-2')`;
    expect(await stats('stat-1')).toEqual({ claims_attempted: 1, claims_won: 1, claims_contended: 0, claims_taken_over: 0, tasks_finalized: 0 });
    expect(await stats('stat-2')).toEqual({ claims_attempted: 3, claims_won: 2, claims_contended: 1, claims_taken_over: 1, tasks_finalized: 2 });
  });
});

describe('weft.claim_tasks_for_finalization (sweep)', () => {
  it('claims up to max_tasks finalizing tasks without a live claim, oldest request first', async () => {
    // Finish what earlier tests left finalizing, so the sweep sees only this test's tasks.
    for (;;) {
      const won = await db.sql<{ task_id: string }[]>`
        select task_id from weft.claim_tasks_for_finalization('sweeper-0', max_tasks => 100) where outcome in ('won', 'taken_over')`;
      if (won.length === 0) break;
      for (const w of won) await db.sql`select weft.finalize_task(${w.task_id}::uuid, 'sweeper-0')`;
    }
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push(await finalizing());
    expect(await claim(ids[1]!, 'holder')).toBe('won');

    const first = await db.sql<{ task_id: string; outcome: string }[]>`
      select task_id, outcome from weft.claim_tasks_for_finalization('sweeper-1', max_tasks => 2) order by task_id`;
    expect(first).toEqual([
      { task_id: ids[0], outcome: 'won' },
      { task_id: ids[2], outcome: 'won' },
    ]);
    const rest = await db.sql<{ task_id: string; outcome: string }[]>`
      select task_id, outcome from weft.claim_tasks_for_finalization('sweeper-2') order by task_id`;
    expect(rest).toEqual([
      { task_id: ids[3], outcome: 'won' },
      { task_id: ids[4], outcome: 'won' },
    ]);
    expect(await db.sql`select * from weft.claim_tasks_for_finalization('sweeper-3')`).toEqual([]);
  });

  it('reports each named task with its outcome', async () => {
    const won = await finalizing();
    const held = await finalizing();
    const running = await requestTask(db.sql, 'fin', 'one', { n: 1 });
    expect(await claim(held, 'other')).toBe('won');
    const rows = await db.sql<{ task_id: string; outcome: string }[]>`
      select task_id, outcome from weft.claim_tasks_for_finalization('named', array[${won}, ${held}, ${running}]::uuid[])`;
    expect(Object.fromEntries(rows.map((r) => [r.task_id, r.outcome]))).toEqual({
      [won]: 'won',
      [held]: 'contended',
      [running]: 'not_finalizing',
    });
  });
});
