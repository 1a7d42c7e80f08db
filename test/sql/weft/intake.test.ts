/**
 * Queue intake: weft.intake_task_requests, weft.intake_step_results, weft.orchestrator_tick and
 * weft.dead_letter_message. Good messages are applied and archived; bad ones are archived and
 * written to weft.dead_letters with the SQLSTATE and the reason — nothing is dropped.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDatabase, type TestDatabase } from '../../support/db.js';
import { registerWorkflow } from '../../support/sql-driver.js';
import { diamond, expectSqlError, failByName, queued, single, stepRow, taskState } from './fixtures.js';

let db: TestDatabase;
beforeAll(async () => {
  db = await testDatabase('weft_intake');
  await registerWorkflow(db.sql, diamond('inq'));
  await registerWorkflow(db.sql, single('inq', 'retry_now', { retry: { strategy: 'fixed', base_ms: 0, max_attempts: 3 } }));
});
afterAll(async () => {
  await db.drop();
});

async function send(queue: string, message: unknown): Promise<string> {
  const [r] = await db.sql<{ id: string }[]>`select pgmq.send(${queue}, ${db.sql.json(message as never)}) as id`;
  return String(r!.id);
}

async function archived(queue: string, msgId: string): Promise<boolean> {
  const rows = await db.sql`select 1 from pgmq.${db.sql('a_' + queue)} where msg_id = ${msgId}::bigint`;
  return rows.length === 1;
}

async function stillQueued(queue: string): Promise<number> {
  const [r] = await db.sql<{ n: number }[]>`select count(*)::int as n from pgmq.${db.sql('q_' + queue)}`;
  return r!.n;
}

async function deadLetter(queue: string, msgId: string): Promise<{ message: unknown; reason: string; sqlstate: string; processor_id: string } | undefined> {
  const [r] = await db.sql<{ message: unknown; reason: string; sqlstate: string; processor_id: string }[]>`
    select message, reason, sqlstate, processor_id from weft.dead_letters where queue_name = ${queue} and msg_id = ${msgId}::bigint`;
  return r;
}

describe('weft.intake_task_requests', () => {
  const Q = 'orchestration_task_requests';

  it('turns a request message into a started task and archives the message', async () => {
    const msgId = await send(Q, { namespace: 'inq', workflow: 'diamond', context: { n: 3 }, idempotency_key: 'q-1', priority: 'high' });
    const [r] = await db.sql`select * from weft.intake_task_requests('intake-1')`;
    expect(r).toEqual({ accepted: 1, rejected: 0 });
    const [t] = await db.sql<{ task_id: string; state: string; context: unknown; priority: number; requested_by: string }[]>`
      select task_id, state::text, context, priority, requested_by from weft.tasks where idempotency_key = 'q-1'`;
    expect(t).toMatchObject({ state: 'running', context: { n: 3 }, priority: 1, requested_by: 'queue:orchestration_task_requests' });
    expect((await queued(db.sql, 'inq')).filter((m) => m.message.task_id === t!.task_id).map((m) => m.message.step)).toEqual(['start']);
    expect(await archived(Q, msgId)).toBe(true);
    expect(await stillQueued(Q)).toBe(0);

    // The same request sent again (a redelivery) maps to the same task.
    await send(Q, { namespace: 'inq', workflow: 'diamond', context: { n: 3 }, idempotency_key: 'q-1', priority: 'high' });
    expect(await db.sql`select * from weft.intake_task_requests('intake-1')`).toEqual([{ accepted: 1, rejected: 0 }]);
    expect(await db.sql`select 1 from weft.tasks where idempotency_key = 'q-1'`).toHaveLength(1);
  });

  it('accepts workflow_name, version, run_after and requested_by', async () => {
    await send(Q, { namespace: 'inq', workflow_name: 'diamond', version: '1.0.0', run_after: '2999-01-01T00:00:00Z', requested_by: 'crm', idempotency_key: 'q-2' });
    expect(await db.sql`select * from weft.intake_task_requests()`).toEqual([{ accepted: 1, rejected: 0 }]);
    const [t] = await db.sql`select state::text, requested_by from weft.tasks where idempotency_key = 'q-2'`;
    expect(t).toEqual({ state: 'pending', requested_by: 'crm' });
  });

  it.each([
    ['a message that is not an object', ['not', 'an', 'object'], 'WF001', 'task request must be a JSON object, got array'],
    ['a JSON null message', null, 'WF001', 'got null'],
    ['an unknown workflow', { namespace: 'inq', workflow: 'nope' }, 'WF002', 'workflow inq/nope not found'],
    ['a missing namespace', { workflow: 'diamond' }, 'WF001', 'namespace and workflow_name are required'],
    ['an unknown priority', { namespace: 'inq', workflow: 'diamond', priority: 'asap' }, 'WF001', 'unknown priority "asap"'],
    ['a context that is not an object', { namespace: 'inq', workflow: 'diamond', context: [1] }, 'WF001', 'context must be a JSON object'],
    ['a run_after that is not a time', { namespace: 'inq', workflow: 'diamond', run_after: 'tomorrow-ish' }, '22007', 'tomorrow-ish'],
  ])('archives and dead-letters %s, with its SQLSTATE and reason', async (_what, message, sqlstate, fragment) => {
    const tasksBefore = await db.sql<{ n: number }[]>`select count(*)::int as n from weft.tasks`;
    const msgId = await send(Q, message);
    expect(await db.sql`select * from weft.intake_task_requests('intake-2')`).toEqual([{ accepted: 0, rejected: 1 }]);
    const dl = await deadLetter(Q, msgId);
    expect(dl).toMatchObject({ message, sqlstate, processor_id: 'intake-2' });
    expect(dl!.reason).toContain(fragment);
    expect(await archived(Q, msgId)).toBe(true);
    expect(await stillQueued(Q)).toBe(0);
    expect(await db.sql`select count(*)::int as n from weft.tasks`).toEqual(tasksBefore);
  });

  it('handles a batch message by message: good ones become tasks, bad ones are dead-lettered', async () => {
    const ids = [
      await send(Q, { namespace: 'inq', workflow: 'diamond', idempotency_key: 'batch-1' }),
      await send(Q, { namespace: 'inq', workflow: 'missing' }),
      await send(Q, { namespace: 'inq', workflow: 'diamond', idempotency_key: 'batch-2' }),
    ];
    expect(await db.sql`select * from weft.intake_task_requests('intake-3')`).toEqual([{ accepted: 2, rejected: 1 }]);
    expect(await db.sql`select idempotency_key from weft.tasks where idempotency_key like 'batch-%' order by 1`).toEqual([
      { idempotency_key: 'batch-1' },
      { idempotency_key: 'batch-2' },
    ]);
    for (const id of ids) expect(await archived(Q, id)).toBe(true);
    expect(await deadLetter(Q, ids[1]!)).toMatchObject({ sqlstate: 'WF002' });
  });
});

describe('weft.intake_step_results', () => {
  const Q = 'orchestration_step_results';

  async function newTask(workflow = 'diamond'): Promise<string> {
    const [r] = await db.sql<{ id: string }[]>`select weft.request_task('inq', ${workflow}, '{"n": 2}') as id`;
    return r!.id;
  }

  it('applies a complete message like weft.complete_step and archives it', async () => {
    const id = await newTask();
    const start = await stepRow(db.sql, id, 'start');
    const msgId = await send(Q, { step_id: start.step_id, attempt: 1, status: 'complete', result: 4, processor_id: 'py-worker' });
    expect(await db.sql`select * from weft.intake_step_results('intake-r')`).toEqual([{ applied: 1, rejected: 0, dead: 0 }]);
    expect(await stepRow(db.sql, id, 'start')).toMatchObject({ state: 'complete', result: 4 });
    expect((await stepRow(db.sql, id, 'left')).state).toBe('enqueued');
    const [tr] = await db.sql`select processor_id from weft.transitions where step_id = ${start.step_id}::uuid and to_state = 'complete'`;
    expect(tr).toEqual({ processor_id: 'py-worker' });
    expect(await archived(Q, msgId)).toBe(true);
  });

  it('applies a failed message like weft.fail_step (retryable by default; false fails for good)', async () => {
    const a = await newTask('retry_now');
    const b = await newTask('retry_now');
    const sa = await stepRow(db.sql, a, 'only');
    const sb = await stepRow(db.sql, b, 'only');
    await send(Q, { step_id: sa.step_id, attempt: 1, status: 'failed', error: { message: 'flaky', code: 'E1' } });
    await send(Q, { step_id: sb.step_id, attempt: 1, status: 'failed', error: { message: 'fatal' }, retryable: false });
    expect(await db.sql`select * from weft.intake_step_results('intake-r')`).toEqual([{ applied: 2, rejected: 0, dead: 0 }]);
    expect(await stepRow(db.sql, a, 'only')).toMatchObject({ state: 'waiting_retry', error: { message: 'flaky', code: 'E1' } });
    expect(await stepRow(db.sql, b, 'only')).toMatchObject({ state: 'error', error: { message: 'fatal' } });
    expect(await taskState(db.sql, b)).toBe('finalizing');
  });

  it('counts a stale result as rejected, records it, and archives the message', async () => {
    const id = await newTask('retry_now');
    const s = await stepRow(db.sql, id, 'only');
    await failByName(db.sql, id, 'only');
    await db.sql`select * from weft.fire_timers()`;
    const msgId = await send(Q, { step_id: s.step_id, attempt: 1, status: 'complete', result: 1 });
    expect(await db.sql`select * from weft.intake_step_results('intake-r')`).toEqual([{ applied: 0, rejected: 1, dead: 0 }]);
    expect(await db.sql`select reason from weft.rejected_results where step_id = ${s.step_id}::uuid`).toEqual([{ reason: 'superseded_attempt' }]);
    expect(await archived(Q, msgId)).toBe(true);
    expect(await deadLetter(Q, msgId)).toBeUndefined();
  });

  it.each([
    ['an unknown step', { step_id: '00000000-0000-7000-8000-0000000000bb', attempt: 1, status: 'complete', result: 1 }, 'WF006', 'not found'],
    ['a bad status', { step_id: ':step', attempt: 1, status: 'done', result: 1 }, 'WF001', 'status" must be "complete" or "failed", got "done"'],
    ['a missing status', { step_id: ':step', attempt: 1 }, 'WF001', 'got nothing'],
    ['a missing attempt', { step_id: ':step', status: 'complete' }, 'WF001', 'step result needs a numeric "attempt"'],
    ['an attempt never started', { step_id: ':step', attempt: 4, status: 'complete' }, 'WF007', 'was never started'],
    ['a step_id that is not a uuid', { step_id: 'step-1', attempt: 1, status: 'complete' }, '22P02', 'step-1'],
    ['a message that is not an object', 'complete', 'WF001', 'step result must be a JSON object, got string'],
  ])('archives and dead-letters %s, changing no step', async (_what, template, sqlstate, fragment) => {
    const id = await newTask('retry_now');
    const s = await stepRow(db.sql, id, 'only');
    const message = typeof template === 'object' ? JSON.parse(JSON.stringify(template).replace(':step', s.step_id)) : template;
    const msgId = await send(Q, message);
    expect(await db.sql`select * from weft.intake_step_results('intake-d')`).toEqual([{ applied: 0, rejected: 0, dead: 1 }]);
    const dl = await deadLetter(Q, msgId);
    expect(dl).toMatchObject({ message, sqlstate, processor_id: 'intake-d' });
    expect(dl!.reason).toContain(fragment);
    expect(await archived(Q, msgId)).toBe(true);
    expect(await stepRow(db.sql, id, 'only')).toMatchObject({ state: 'enqueued', attempt: 1, result: null });
  });
});

describe('weft.orchestrator_tick', () => {
  it('does intake of requests and results, fires timers and counts finalizable tasks in one call', async () => {
    // Drain what earlier tests left finalizing so the count below is this test's.
    await db.sql`select weft.cancel_task(task_id) from weft.tasks where state in ('pending', 'running')`;
    for (;;) {
      const won = await db.sql<{ task_id: string }[]>`
        select task_id from weft.claim_tasks_for_finalization('drain') where outcome in ('won', 'taken_over')`;
      if (won.length === 0) break;
      for (const w of won) await db.sql`select weft.finalize_task(${w.task_id}::uuid, 'drain')`;
    }

    const [r] = await db.sql<{ id: string }[]>`select weft.request_task('inq', 'retry_now', '{"n": 1}') as id`;
    const only = await stepRow(db.sql, r!.id, 'only');
    await send('orchestration_task_requests', { namespace: 'inq', workflow: 'diamond', idempotency_key: 'tick-1' });
    await send('orchestration_step_results', { step_id: only.step_id, attempt: 1, status: 'complete', result: 2 });
    await send('orchestration_task_requests', { namespace: 'inq', workflow: 'nope' });

    const [tick] = await db.sql`select * from weft.orchestrator_tick('tick-proc')`;
    expect(tick).toMatchObject({
      requests_accepted: 1,
      requests_rejected: 1,
      results_applied: 1,
      results_rejected: 0,
      results_dead: 0,
      started_tasks: 0,
      retried_steps: 0,
      timed_out_steps: 0,
      finalizable: 1,
    });
    expect(await taskState(db.sql, r!.id)).toBe('finalizing');
    expect(await db.sql`select 1 from weft.tasks where idempotency_key = 'tick-1' and state = 'running'`).toHaveLength(1);
  });
});

describe('weft.dead_letter_message', () => {
  it('archives a namespace message a worker cannot use and records why', async () => {
    const msgId = await send('inq', { garbage: true });
    const [r] = await db.sql`select weft.dead_letter_message('inq', ${msgId}::bigint, 'not a step message', 'go-worker') as ok`;
    expect(r).toEqual({ ok: true });
    expect(await deadLetter('inq', msgId)).toMatchObject({ message: { garbage: true }, reason: 'not a step message', processor_id: 'go-worker' });
    expect(await archived('inq', msgId)).toBe(true);
    const [again] = await db.sql`select weft.dead_letter_message('inq', ${msgId}::bigint, 'twice') as ok`;
    expect(again).toEqual({ ok: false });
  });

  it('raises WF010 for a queue weft does not own and WF001 for nulls', async () => {
    await db.sql`select pgmq.create('foreign_queue')`;
    await expectSqlError(db.sql`select weft.dead_letter_message('foreign_queue', 1, 'x')`, 'WF010', 'queue "foreign_queue" is not a weft queue');
    await expectSqlError(db.sql`select weft.dead_letter_message('inq', null, 'x')`, 'WF001');
  });
});
