/**
 * weft.fire_timers: attempt deadlines (timeout_ms), what a late result gets, next_due_at, and
 * the timeout scenario driven to its end — all by moving weft.now(), never by sleeping.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDatabase, type TestDatabase } from '../../support/db.js';
import { SqlDriver, loadScenario, registerWorkflow, requestTask, taskOutcome } from '../../support/sql-driver.js';
import { queued, single, stepRow, transitionsOf } from './fixtures.js';

let db: TestDatabase;
beforeAll(async () => {
  db = await testDatabase('weft_timers');
  await registerWorkflow(db.sql, single('tm', 'timed', { timeout_ms: 1000, retry: { strategy: 'fixed', base_ms: 100, max_attempts: 2 } }));
  await registerWorkflow(db.sql, { ...loadScenario('step_timeout').workflow, namespace: 'tm' });
});
afterAll(async () => {
  await db.drop();
});

async function fire(): Promise<{ started_tasks: number; retried_steps: number; timed_out_steps: number; next_due_at: Date | null }> {
  const [r] = await db.sql<{ started_tasks: number; retried_steps: number; timed_out_steps: number; next_due_at: Date | null }[]>`
    select * from weft.fire_timers('timer-proc')`;
  return r!;
}

async function shift(ms: number): Promise<void> {
  await db.sql`select weft.shift_clock(${ms} * interval '1 millisecond')`;
}

describe('attempt deadlines', () => {
  it('puts the deadline in the step row and in the message', async () => {
    const [t0] = await db.sql<{ t: Date }[]>`select weft.now() as t`;
    const id = await requestTask(db.sql, 'tm', 'timed', { n: 1 });
    const [t1] = await db.sql<{ t: Date }[]>`select weft.now() as t`;
    const s = await stepRow(db.sql, id, 'only');
    expect(s.deadline_at!.getTime()).toBeGreaterThanOrEqual(t0!.t.getTime() + 1000);
    expect(s.deadline_at!.getTime()).toBeLessThanOrEqual(t1!.t.getTime() + 1000);
    const [m] = (await queued(db.sql, 'tm')).filter((q) => q.message.task_id === id);
    expect(m!.message.timeout_ms).toBe(1000);
    expect(new Date(m!.message.deadline!).getTime()).toBe(s.deadline_at!.getTime());
    const timers = await db.sql`select kind, step_name from weft.pending_timers where task_id = ${id}::uuid`;
    expect(timers).toEqual([{ kind: 'attempt_deadline', step_name: 'only' }]);
  });

  it('fails an attempt past its deadline with error code timeout, retries it, and rejects its late result', async () => {
    const id = await requestTask(db.sql, 'tm', 'timed', { n: 1 });
    const s1 = await stepRow(db.sql, id, 'only');

    // Not yet due: nothing times out, and next_due_at names the deadline.
    const early = await fire();
    expect(early.timed_out_steps).toBe(0);
    expect(early.next_due_at!.getTime()).toBeLessThanOrEqual(s1.deadline_at!.getTime());

    await shift(1001);
    expect((await fire()).timed_out_steps).toBeGreaterThanOrEqual(1);
    const s = await stepRow(db.sql, id, 'only');
    expect(s.state).toBe('waiting_retry');
    expect(s.error).toEqual({ code: 'timeout', message: 'attempt 1 exceeded its timeout of 1000 ms' });
    expect((await queued(db.sql, 'tm')).filter((q) => q.message.task_id === id)).toEqual([]);
    const [tr] = await db.sql<{ reason: string; processor_id: string }[]>`
      select reason, processor_id from weft.transitions where step_id = ${s.step_id}::uuid and to_state = 'waiting_retry'`;
    expect(tr).toEqual({ reason: 'timed_out', processor_id: 'timer-proc' });

    // The worker that was too slow reports: rejected, recorded.
    const [late] = await db.sql<{ outcome: string; reason: string }[]>`
      select outcome, reason from weft.complete_step(${s.step_id}::uuid, 1, '2')`;
    expect(late).toEqual({ outcome: 'rejected', reason: 'step_waiting_retry' });

    await shift(101);
    expect((await fire()).retried_steps).toBeGreaterThanOrEqual(1);
    expect(await stepRow(db.sql, id, 'only')).toMatchObject({ state: 'enqueued', attempt: 2 });
    const [later] = await db.sql<{ outcome: string; reason: string }[]>`
      select outcome, reason from weft.complete_step(${s.step_id}::uuid, 1, '2')`;
    expect(later).toEqual({ outcome: 'rejected', reason: 'superseded_attempt' });
    const [current] = await db.sql<{ outcome: string }[]>`select outcome from weft.complete_step(${s.step_id}::uuid, 2, '2')`;
    expect(current!.outcome).toBe('applied');

    const rejected = await db.sql`select attempt, reason from weft.rejected_results where step_id = ${s.step_id}::uuid order by created_at, reason desc`;
    expect(rejected).toEqual([
      { attempt: 1, reason: 'step_waiting_retry' },
      { attempt: 1, reason: 'superseded_attempt' },
    ]);
    expect(await transitionsOf(db.sql, id)).toEqual([
      'task ∅→pending (requested)',
      'task pending→running (requested)',
      'only#1 pending→enqueued (requested)',
      'only#1 enqueued→waiting_retry (timed_out)',
      'only#2 waiting_retry→enqueued (retry_backoff_elapsed)',
      'only#2 enqueued→complete (completed)',
      'task running→finalizing (all_steps_complete)',
    ]);
  });

  it('does not time out an attempt that completed before its deadline', async () => {
    const id = await requestTask(db.sql, 'tm', 'timed', { n: 1 });
    const s = await stepRow(db.sql, id, 'only');
    await db.sql`select * from weft.complete_step(${s.step_id}::uuid, 1, '2')`;
    await shift(5000);
    await fire();
    expect(await stepRow(db.sql, id, 'only')).toMatchObject({ state: 'complete', error: null });
  });

  it('runs the step_timeout scenario to the end: every attempt times out, the task errors', async () => {
    const driver = new SqlDriver(db.sql, { namespace: 'tm', processorId: 'driver' });
    const scenario = loadScenario('step_timeout');
    for (const run of scenario.runs) {
      const id = await requestTask(db.sql, 'tm', 'step_timeout', run.context);
      await driver.runUntilFinished([id]);
      const out = await taskOutcome(db.sql, id);
      expect(out.state).toBe(run.expect.task_state);
      for (const [step, attempts] of Object.entries(run.expect.attempts ?? {})) expect(out.steps[step]!.attempt).toBe(attempts);
      expect(out.error).toMatchObject({ step: 'slow', error: { code: 'timeout' } });
    }
  });
});

describe('next_due_at', () => {
  it('is null when no timer is pending anywhere', async () => {
    // Cancel and finalize everything the file left open; then nothing remains to fire.
    await db.sql`select weft.cancel_task(task_id, 'cleanup') from weft.tasks where state in ('pending', 'running')`;
    await new SqlDriver(db.sql, { namespace: 'tm', processorId: 'cleanup' }).finalize();
    const r = await fire();
    expect(r).toEqual({ started_tasks: 0, retried_steps: 0, timed_out_steps: 0, next_due_at: null });
  });
});
