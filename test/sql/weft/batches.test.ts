/**
 * The batch functions: weft.complete_steps (a batch of weft.complete_step reports in one
 * transaction, reports in the order given) and weft.finalize_tasks (a batch of claimed tasks
 * finalized in one transaction; tasks without a live claim of the caller left alone).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sql } from '../../../src/db/connection.js';
import { testDatabase, type TestDatabase } from '../../support/db.js';
import { registerWorkflow, requestTask } from '../../support/sql-driver.js';
import { completeByName, diamond, expectSqlError, failByName, queued, single, snapshot, stepRow, taskState, workflow } from './fixtures.js';

let db: TestDatabase;
beforeAll(async () => {
  db = await testDatabase('weft_batches');
  await registerWorkflow(db.sql, single('bat', 'one'));
  await registerWorkflow(db.sql, diamond('bat'));
  await registerWorkflow(db.sql, single('bat', 'retry_now', { retry: { strategy: 'fixed', base_ms: 0, max_attempts: 3 } }));
  await registerWorkflow(db.sql, workflow('bat', 'saga', [
    { name: 'a', handler: 'h', compensate: 'undo' },
    { name: 'b', handler: 'h', depends_on: ['a'], retry: 'none' },
  ]));
});
afterAll(async () => {
  await db.drop();
});

interface Report { outcome: string; reason: string | null; step_id: string; step_state: string; attempt: number; task_id: string; task_state: string }

/** weft.complete_steps; results are JSON values (passed as one JSON array, unnested in order). */
function completeSteps(sql: Sql, stepIds: string[], attempts: number[], results: unknown[], processor = 'batch-w'): Promise<Report[]> {
  return sql<Report[]>`
    select outcome, reason, step_id, step_state::text, attempt, task_id, task_state::text
    from weft.complete_steps(${stepIds}::uuid[], ${attempts}::int[],
      array(select e from jsonb_array_elements(${sql.json(results as never)}) with ordinality as x (e, i) order by i), ${processor})`;
}

/** `n` tasks of `one` (in creation order = task id order) with their only step. */
async function oneSteps(n: number): Promise<{ taskId: string; stepId: string }[]> {
  const out = [];
  for (let i = 0; i < n; i++) {
    const taskId = await requestTask(db.sql, 'bat', 'one', { n: i });
    out.push({ taskId, stepId: (await stepRow(db.sql, taskId, 'only')).step_id });
  }
  return out;
}

describe('weft.complete_steps', () => {
  it('applies every report and returns them in the order given, whatever the task order', async () => {
    const steps = await oneSteps(4);
    const given = [steps[2]!, steps[0]!, steps[3]!, steps[1]!];
    const rows = await completeSteps(db.sql, given.map((s) => s.stepId), [1, 1, 1, 1], given.map((_, i) => ({ i })));
    expect(rows).toEqual(given.map((s) => ({
      outcome: 'applied', reason: null, step_id: s.stepId, step_state: 'complete', attempt: 1, task_id: s.taskId, task_state: 'finalizing',
    })));
    for (const [i, s] of given.entries()) {
      expect(await stepRow(db.sql, s.taskId, 'only')).toMatchObject({ state: 'complete', result: { i } });
      const [tr] = await db.sql`select processor_id from weft.transitions where step_id = ${s.stepId}::uuid and to_state = 'complete'`;
      expect(tr).toEqual({ processor_id: 'batch-w' });
    }
  });

  it('completes both parents of a join in one batch: the join is enqueued once with both results', async () => {
    const id = await requestTask(db.sql, 'bat', 'diamond', { n: 2 });
    await completeByName(db.sql, id, 'start', 4);
    const left = await stepRow(db.sql, id, 'left');
    const right = await stepRow(db.sql, id, 'right');
    const rows = await completeSteps(db.sql, [right.step_id, left.step_id], [1, 1], [8, 16]);
    expect(rows.map((r) => [r.step_id, r.outcome])).toEqual([[right.step_id, 'applied'], [left.step_id, 'applied']]);
    const msgs = (await queued(db.sql, 'bat')).filter((m) => m.message.task_id === id);
    expect(msgs.map((m) => ({ step: m.message.step, parents: m.message.parents }))).toEqual([{ step: 'end', parents: { left: 16, right: 8 } }]);
  });

  it('rejects a stale attempt and reports duplicates per element while the rest of the batch applies', async () => {
    const staleTask = await requestTask(db.sql, 'bat', 'retry_now', { n: 1 });
    await failByName(db.sql, staleTask, 'only');
    await db.sql`select * from weft.fire_timers('test')`;
    const stale = await stepRow(db.sql, staleTask, 'only');
    expect(stale).toMatchObject({ state: 'enqueued', attempt: 2 });
    const [done, fresh] = await oneSteps(2);
    await completeSteps(db.sql, [done!.stepId], [1], ['first']);

    const rows = await completeSteps(db.sql, [stale.step_id, done!.stepId, fresh!.stepId, fresh!.stepId], [1, 1, 1, 1], ['late', 'again', 'new', 'twice']);
    expect(rows.map((r) => ({ step_id: r.step_id, outcome: r.outcome, reason: r.reason }))).toEqual([
      { step_id: stale.step_id, outcome: 'rejected', reason: 'superseded_attempt' },
      { step_id: done!.stepId, outcome: 'duplicate', reason: 'already_complete' },
      { step_id: fresh!.stepId, outcome: 'applied', reason: null },
      { step_id: fresh!.stepId, outcome: 'duplicate', reason: 'already_complete' },
    ]);
    expect(await stepRow(db.sql, staleTask, 'only')).toMatchObject({ state: 'enqueued', attempt: 2 });
    expect((await stepRow(db.sql, done!.taskId, 'only')).result).toBe('first');
    expect(await stepRow(db.sql, fresh!.taskId, 'only')).toMatchObject({ state: 'complete', result: 'new' });
    const rejected = await db.sql`select attempt, current_attempt, payload, processor_id from weft.rejected_results where step_id = ${stale.step_id}::uuid`;
    expect(rejected).toEqual([{ attempt: 1, current_attempt: 2, payload: 'late', processor_id: 'batch-w' }]);
  });

  it('applies nothing when one element raises (WF006 unknown step, WF007 attempt never started)', async () => {
    const [a, b] = await oneSteps(2);
    const unknown = '00000000-0000-7000-8000-0000000000b1';
    const before = await snapshot(db.sql);
    await expectSqlError(completeSteps(db.sql, [a!.stepId, unknown, b!.stepId], [1, 1, 1], [1, 2, 3]), 'WF006', `step ${unknown} not found`);
    await expectSqlError(completeSteps(db.sql, [a!.stepId, b!.stepId], [1, 2], [1, 2]), 'WF007', 'was never started');
    expect(await snapshot(db.sql)).toEqual(before);
    expect((await stepRow(db.sql, a!.taskId, 'only')).state).toBe('enqueued');
  });

  it.each([
    ['null step_ids', `select * from weft.complete_steps(null, array[1], array['1'::jsonb])`, 'must not be null'],
    ['null attempts', `select * from weft.complete_steps(array[gen_random_uuid()], null, array['1'::jsonb])`, 'must not be null'],
    ['null results', `select * from weft.complete_steps(array[gen_random_uuid()], array[1], null)`, 'must not be null'],
    ['arrays of different lengths', `select * from weft.complete_steps(array[gen_random_uuid()], array[1, 2], array['1'::jsonb])`, 'same length (got 1, 2, 1)'],
    ['1001 steps', `select * from weft.complete_steps(array(select gen_random_uuid() from generate_series(1, 1001)),
       array(select 1 from generate_series(1, 1001)), array(select '1'::jsonb from generate_series(1, 1001)))`, 'at most 1000 steps per call, got 1001'],
  ])('raises WF001 for %s', async (_what, query, fragment) => {
    await expectSqlError(db.sql.unsafe(query), 'WF001', fragment);
  });

  it('takes 1000 steps (then checks each: WF006 here) and returns nothing for empty arrays', async () => {
    await expectSqlError(db.sql`select * from weft.complete_steps(array(select gen_random_uuid() from generate_series(1, 1000)),
      array(select 1 from generate_series(1, 1000)), array(select '1'::jsonb from generate_series(1, 1000)))`, 'WF006');
    expect(await completeSteps(db.sql, [], [], [])).toEqual([]);
  });

  it('never deadlocks: two sessions complete the two parents of the same joins in opposite task orders (10 rounds × 8 tasks)', async () => {
    const [s1, s2] = [db.connect(1), db.connect(1)];
    for (let round = 0; round < 10; round++) {
      const ids = (await db.sql<{ id: string }[]>`select weft.request_task('bat', 'diamond', '{"n": 2}') as id from generate_series(1, 8)`).map((r) => r.id);
      await db.sql`select weft.complete_step(s.step_id, 1, '4') from weft.steps s where s.task_id = any (${ids}::uuid[]) and s.name = 'start'`;
      const steps = await db.sql<{ task_id: string; name: string; step_id: string }[]>`
        select task_id, name, step_id from weft.steps where task_id = any (${ids}::uuid[]) and name in ('left', 'right') order by task_id`;
      const lefts = steps.filter((s) => s.name === 'left').map((s) => s.step_id);
      const rights = steps.filter((s) => s.name === 'right').map((s) => s.step_id).reverse();
      const [r1, r2] = await Promise.all([completeSteps(s1, lefts, lefts.map(() => 1), lefts.map(() => 16)), completeSteps(s2, rights, rights.map(() => 1), rights.map(() => 8))]);
      expect([...r1, ...r2].every((r) => r.outcome === 'applied')).toBe(true);
      const ends = (await queued(db.sql, 'bat')).filter((m) => ids.includes(m.message.task_id) && m.message.step === 'end');
      expect(ends).toHaveLength(8);
      for (const m of ends) expect(m.message.parents).toEqual({ left: 16, right: 8 });
    }
  });
});

/** `n` tasks of `one` whose step completed: state finalizing. Task id order. */
async function finalizing(n: number): Promise<string[]> {
  const steps = await oneSteps(n);
  await completeSteps(db.sql, steps.map((s) => s.stepId), steps.map(() => 1), steps.map(() => 2));
  return steps.map((s) => s.taskId);
}

async function claim(taskId: string, processor: string, ttlMs = 30000): Promise<string> {
  const [r] = await db.sql<{ outcome: string }[]>`select outcome from weft.claim_task_for_finalization(${taskId}::uuid, ${processor}, ${ttlMs})`;
  return r!.outcome;
}

async function finalizeTasks(taskIds: (string | null)[], processor: string): Promise<{ task_id: string; state: string | null }[]> {
  return db.sql<{ task_id: string; state: string | null }[]>`select task_id, state::text from weft.finalize_tasks(${taskIds}::uuid[], ${processor})`;
}

async function finalized(processor: string): Promise<number | undefined> {
  const [r] = await db.sql<{ n: number }[]>`select tasks_finalized::int as n from weft.processor_stats where processor_id = ${processor}`;
  return r?.n;
}

describe('weft.finalize_tasks', () => {
  it('finalizes every claimed task in task id order, releases the claims and counts them once per task', async () => {
    const ids = await finalizing(3);
    for (const id of ids) expect(await claim(id, 'fin-batch')).toBe('won');
    const rows = await finalizeTasks([...ids].reverse(), 'fin-batch');
    expect(rows).toEqual([...ids].sort().map((id) => ({ task_id: id, state: 'complete' })));
    expect(await finalized('fin-batch')).toBe(3);
    expect(await db.sql`select 1 from weft.finalization_claims where task_id = any (${ids}::uuid[])`).toHaveLength(0);
    const tr = await db.sql`select task_id, processor_id from weft.transitions where task_id = any (${ids}::uuid[]) and reason = 'finalized' order by task_id`;
    expect(tr).toEqual([...ids].sort().map((id) => ({ task_id: id, processor_id: 'fin-batch' })));
    const results = await db.sql`select distinct result from weft.tasks where task_id = any (${ids}::uuid[])`;
    expect(results).toEqual([{ result: { only: 2 } }]);
  });

  it('leaves alone, with state null, tasks the caller holds no live claim on or that are not finalizing', async () => {
    const [mine, other, unclaimed, expired] = await finalizing(4);
    const running = await requestTask(db.sql, 'bat', 'one', { n: 1 });
    const unknown = '00000000-0000-7000-8000-0000000000f1';
    expect(await claim(expired!, 'fin-mix', 1000)).toBe('won');
    await db.sql`select weft.shift_clock(interval '1001 milliseconds')`;
    expect(await claim(mine!, 'fin-mix')).toBe('won');
    expect(await claim(other!, 'fin-other')).toBe('won');

    const rows = await finalizeTasks([unknown, running, mine!, null, expired!, other!, unclaimed!, mine!], 'fin-mix');
    const expected: Record<string, string | null> = { [mine!]: 'complete', [other!]: null, [unclaimed!]: null, [expired!]: null, [running]: null, [unknown]: null };
    expect(rows).toEqual(Object.keys(expected).sort().map((id) => ({ task_id: id, state: expected[id] })));

    expect(await finalized('fin-mix')).toBe(1);
    for (const id of [other!, unclaimed!, expired!]) expect(await taskState(db.sql, id)).toBe('finalizing');
    expect(await taskState(db.sql, running)).toBe('running');
    const claims = await db.sql`select task_id, processor_id from weft.finalization_claims where task_id = any (${[other!, unclaimed!, expired!]}::uuid[]) order by task_id`;
    expect(claims).toEqual([{ task_id: other!, processor_id: 'fin-other' }, { task_id: expired!, processor_id: 'fin-mix' }].sort((a, b) => a.task_id.localeCompare(b.task_id)));
    // A batch that finalizes nothing writes no counter.
    expect(await finalizeTasks([unclaimed!], 'fin-none')).toEqual([{ task_id: unclaimed!, state: null }]);
    expect(await finalized('fin-none')).toBeUndefined();
  });

  it('starts a saga\'s compensation (state compensating), which does not count as finalized', async () => {
    const saga = await requestTask(db.sql, 'bat', 'saga', {});
    await completeByName(db.sql, saga, 'a', 1);
    await failByName(db.sql, saga, 'b', { message: 'no' }, false);
    const [plain] = await finalizing(1);
    for (const id of [saga, plain!]) expect(await claim(id, 'fin-saga')).toBe('won');
    const rows = await finalizeTasks([saga, plain!], 'fin-saga');
    expect(Object.fromEntries(rows.map((r) => [r.task_id, r.state]))).toEqual({ [saga]: 'compensating', [plain!]: 'complete' });
    expect(await finalized('fin-saga')).toBe(1);
    expect(await taskState(db.sql, saga)).toBe('compensating');
    expect((await queued(db.sql, 'bat')).filter((m) => m.message.task_id === saga).map((m) => m.message.step)).toEqual(['compensate:a']);
  });

  it.each([
    ['null task_ids', `select * from weft.finalize_tasks(null, 'p')`, 'task_ids and processor_id must not be null'],
    ['a null processor_id', `select * from weft.finalize_tasks(array[gen_random_uuid()], null)`, 'task_ids and processor_id must not be null'],
    ['1001 task ids', `select * from weft.finalize_tasks(array(select gen_random_uuid() from generate_series(1, 1001)), 'p')`, 'at most 1000 tasks per call, got 1001'],
  ])('raises WF001 for %s', async (_what, query, fragment) => {
    await expectSqlError(db.sql.unsafe(query), 'WF001', fragment);
  });

  it('returns nothing for an empty array', async () => {
    expect(await finalizeTasks([], 'p')).toEqual([]);
  });
});
