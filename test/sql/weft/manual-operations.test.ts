/**
 * Manual operations, each audited with who did it: retry a failed task, retry one step,
 * resolve a step by hand with a supplied result, skip a step.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDatabase, type TestDatabase } from '../../support/db.js';

let db: TestDatabase;

const linear = {
  namespace: 'ops', name: 'linear', version: '1',
  steps: [
    { name: 'a', handler: 'h' },
    { name: 'b', handler: 'h', depends_on: ['a'], retry: { max_attempts: 1 } },
    { name: 'c', handler: 'h', depends_on: ['b'] },
  ],
};

beforeAll(async () => {
  db = await testDatabase('manual_ops');
  await db.sql`select weft.register_workflow(${db.sql.json(linear)})`;
});
afterAll(async () => {
  await db.drop();
});

async function stepId(taskId: string, name: string): Promise<string> {
  const [s] = await db.sql<{ step_id: string }[]>`select step_id from weft.steps where task_id = ${taskId} and name = ${name}`;
  return s!.step_id;
}
async function attemptOf(id: string): Promise<number> {
  const [s] = await db.sql<{ attempt: number }[]>`select attempt from weft.steps where step_id = ${id}`;
  return s!.attempt;
}
async function finalize(taskId: string): Promise<string> {
  await db.sql`select * from weft.claim_task_for_finalization(${taskId}, 'ops-orch')`;
  const [r] = await db.sql<{ s: string }[]>`select weft.finalize_task(${taskId}, 'ops-orch') as s`;
  return r!.s;
}
/** A task whose step b failed for good: a complete, b error, c cancelled, task error. */
async function failedTask(): Promise<string> {
  const id = (await db.sql<{ id: string }[]>`select weft.request_task('ops', 'linear', '{}') as id`)[0]!.id;
  await db.sql`select weft.complete_step(${await stepId(id, 'a')}::uuid, 1, '1')`;
  await db.sql`select weft.fail_step(${await stepId(id, 'b')}::uuid, 1, '{"message":"down"}', false)`;
  expect(await finalize(id)).toBe('error');
  return id;
}
async function states(taskId: string): Promise<Record<string, string>> {
  const rows = await db.sql<{ name: string; state: string }[]>`select name, state::text from weft.steps where task_id = ${taskId} and kind = 'step'`;
  return Object.fromEntries(rows.map((r) => [r.name, r.state]));
}

describe('weft.retry_task', () => {
  it('runs the failed step again (attempt 2) and the ones after it, keeping completed results; audited', async () => {
    const id = await failedTask();
    expect((await db.sql`select weft.retry_task(${id}, 'alice') as s`)[0]!.s).toBe('running');
    expect(await states(id)).toEqual({ a: 'complete', b: 'enqueued', c: 'pending' });
    const b = await stepId(id, 'b');
    expect(await attemptOf(b)).toBe(2);
    await db.sql`select weft.complete_step(${b}::uuid, 2, '2')`;
    await db.sql`select weft.complete_step(${await stepId(id, 'c')}::uuid, 1, '3')`;
    expect(await finalize(id)).toBe('complete');
    const audit = await db.sql`select entity, from_state, to_state from weft.transitions
      where task_id = ${id} and reason = 'manual_retry' and processor_id = 'alice' order by transition_id`;
    expect(audit.map((r) => `${r.entity}:${r.from_state}->${r.to_state}`)).toEqual(
      expect.arrayContaining(['step:error->pending', 'step:cancelled->pending', 'task:error->running']),
    );
  });

  it('refuses a task that is not in error (WF008) and an unknown task (WF005), changing nothing', async () => {
    const id = (await db.sql<{ id: string }[]>`select weft.request_task('ops', 'linear', '{}') as id`)[0]!.id;
    await expect(db.sql`select weft.retry_task(${id}, 'alice')`).rejects.toMatchObject({ code: 'WF008' });
    await expect(db.sql`select weft.retry_task('00000000-0000-7000-8000-000000000000', 'alice')`).rejects.toMatchObject({ code: 'WF005' });
    await expect(db.sql`select weft.retry_task(${id}, null)`).rejects.toMatchObject({ code: 'WF001' });
    expect(await states(id)).toEqual({ a: 'enqueued', b: 'pending', c: 'pending' });
  });
});

describe('weft.retry_step', () => {
  it('reopens the task for a failed step', async () => {
    const id = await failedTask();
    expect((await db.sql`select weft.retry_step(${await stepId(id, 'b')}::uuid, 'bob') as s`)[0]!.s).toBe('enqueued');
    const [t] = await db.sql`select state from weft.tasks where task_id = ${id}`;
    expect(t!.state).toBe('running');
  });

  it('makes a step waiting out its backoff due now', async () => {
    await db.sql`select weft.register_workflow(${db.sql.json({ namespace: 'ops', name: 'slowretry', version: '1',
      steps: [{ name: 'x', handler: 'h', retry: { strategy: 'fixed', base_ms: 3600000, max_ms: 3600000 } }] })})`;
    const id = (await db.sql<{ id: string }[]>`select weft.request_task('ops', 'slowretry', '{}') as id`)[0]!.id;
    const x = await stepId(id, 'x');
    await db.sql`select weft.fail_step(${x}::uuid, 1, '{"message":"later"}')`;
    await db.sql`select * from weft.fire_timers('t')`;
    expect(await attemptOf(x)).toBe(1);
    expect((await db.sql`select weft.retry_step(${x}::uuid, 'bob') as s`)[0]!.s).toBe('waiting_retry');
    await db.sql`select * from weft.fire_timers('t')`;
    expect(await attemptOf(x)).toBe(2);
  });

  it('refuses a step that is running or done (WF008)', async () => {
    const id = (await db.sql<{ id: string }[]>`select weft.request_task('ops', 'linear', '{}') as id`)[0]!.id;
    await expect(db.sql`select weft.retry_step(${await stepId(id, 'a')}::uuid, 'bob')`).rejects.toMatchObject({ code: 'WF008' });
  });
});

describe('weft.resolve_step and weft.skip_step', () => {
  it('resolves a failed step with a supplied result: its child gets it as a parent result', async () => {
    const id = await failedTask();
    expect((await db.sql`select weft.resolve_step(${await stepId(id, 'b')}::uuid, '"by hand"', 'carol') as s`)[0]!.s).toBe('running');
    expect(await states(id)).toEqual({ a: 'complete', b: 'complete', c: 'enqueued' });
    const [m] = await db.sql`select message from pgmq.q_ops where message ->> 'task_id' = ${id}`;
    expect(m!.message.parents).toEqual({ b: 'by hand' });
    const [audit] = await db.sql`select processor_id, details from weft.transitions where task_id = ${id} and reason = 'manual_resolve' and to_state = 'complete'`;
    expect(audit).toEqual({ processor_id: 'carol', details: { result: 'by hand' } });
  });

  it('resolves an enqueued step: the worker\'s later report does not apply', async () => {
    const id = (await db.sql<{ id: string }[]>`select weft.request_task('ops', 'linear', '{}') as id`)[0]!.id;
    const a = await stepId(id, 'a');
    await db.sql`select weft.resolve_step(${a}::uuid, '41', 'carol')`;
    const [late] = await db.sql`select outcome from weft.complete_step(${a}::uuid, 1, '99')`;
    expect(late!.outcome).not.toBe('applied');
    const [s] = await db.sql`select result from weft.steps where step_id = ${a}`;
    expect(s!.result).toBe(41);
  });

  it('skips a step: skipped, null result, children run', async () => {
    const id = (await db.sql<{ id: string }[]>`select weft.request_task('ops', 'linear', '{}') as id`)[0]!.id;
    await db.sql`select weft.complete_step(${await stepId(id, 'a')}::uuid, 1, '1')`;
    await db.sql`select weft.skip_step(${await stepId(id, 'b')}::uuid, 'dave')`;
    expect(await states(id)).toEqual({ a: 'complete', b: 'skipped', c: 'enqueued' });
    await db.sql`select weft.complete_step(${await stepId(id, 'c')}::uuid, 1, '3')`;
    expect(await finalize(id)).toBe('complete');
  });

  it('refuses a step already complete (WF008), an unknown step (WF006) and a missing requested_by (WF001)', async () => {
    const id = (await db.sql<{ id: string }[]>`select weft.request_task('ops', 'linear', '{}') as id`)[0]!.id;
    const a = await stepId(id, 'a');
    await db.sql`select weft.complete_step(${a}::uuid, 1, '1')`;
    await expect(db.sql`select weft.skip_step(${a}::uuid, 'dave')`).rejects.toMatchObject({ code: 'WF008' });
    await expect(db.sql`select weft.skip_step('00000000-0000-7000-8000-000000000000', 'dave')`).rejects.toMatchObject({ code: 'WF006' });
    await expect(db.sql`select weft.resolve_step(${a}::uuid, '1', '')`).rejects.toMatchObject({ code: 'WF001' });
  });
});
