/**
 * weft.fail_step: retry with backoff per policy (fixed, linear, exponential, capped), the retry
 * timer, exhausted retries, permanent errors, retry_on / dont_retry_on, error shapes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDatabase, type TestDatabase } from '../../support/db.js';
import { registerWorkflow, requestTask } from '../../support/sql-driver.js';
import { claimAndFinalize, expectSqlError, failByName, queued, single, stepRow, taskState, workflow } from './fixtures.js';

let db: TestDatabase;
beforeAll(async () => {
  db = await testDatabase('weft_fail');
  const policies: Record<string, object> = {
    fixed: { strategy: 'fixed', base_ms: 1000, max_attempts: 4 },
    linear: { strategy: 'linear', base_ms: 100, max_attempts: 4 },
    exponential: { strategy: 'exponential', base_ms: 100, multiplier: 3, max_attempts: 4 },
    capped: { backoff: 'exponential', base_ms: 100, max_ms: 250, max_attempts: 4 },
    only_transient: { strategy: 'fixed', base_ms: 10, retry_on: ['TRANSIENT', 'NetworkError'] },
    not_declined: { strategy: 'fixed', base_ms: 10, dont_retry_on: ['DECLINED'] },
  };
  for (const [name, retry] of Object.entries(policies)) await registerWorkflow(db.sql, single('fl', name, { retry }));
  await registerWorkflow(
    db.sql,
    workflow('fl', 'exhaust', [
      { name: 'first', handler: 'increment' },
      { name: 'flaky', handler: 'fail_then_succeed', depends_on: ['first'], retry: { max_attempts: 2, backoff: 'fixed', base_ms: 50 } },
      { name: 'never', handler: 'double', depends_on: ['flaky'] },
    ]),
  );
});
afterAll(async () => {
  await db.drop();
});

async function now(): Promise<number> {
  const [r] = await db.sql<{ t: Date }[]>`select weft.now() as t`;
  return r!.t.getTime();
}

/** Fails the current attempt of `only` and returns the delay recorded and the window ready_at must be in. */
async function failAndMeasure(taskId: string): Promise<{ delayMs: number; readyAt: number; lo: number; hi: number }> {
  const lo = await now();
  const r = await failByName(db.sql, taskId, 'only', { message: 'try again', code: 'TRANSIENT' });
  const hi = await now();
  expect(r).toMatchObject({ outcome: 'applied', reason: 'retry_scheduled', step_state: 'waiting_retry' });
  const s = await stepRow(db.sql, taskId, 'only');
  const [tr] = await db.sql<{ delay_ms: number }[]>`
    select (details ->> 'delay_ms')::int as delay_ms from weft.transitions
    where step_id = ${s.step_id}::uuid and to_state = 'waiting_retry' and attempt = ${s.attempt}`;
  return { delayMs: tr!.delay_ms, readyAt: s.ready_at!.getTime(), lo, hi };
}

/** Fires timers after moving the clock by `ms`; returns retried_steps. */
async function fireAfter(ms: number): Promise<number> {
  if (ms > 0) await db.sql`select weft.shift_clock(${ms} * interval '1 millisecond')`;
  const [r] = await db.sql<{ retried_steps: number }[]>`select retried_steps from weft.fire_timers('timers')`;
  return r!.retried_steps;
}

describe('weft.fail_step schedules a retry with the policy backoff', () => {
  it.each([
    ['fixed', [1000, 1000, 1000]],
    ['linear', [100, 200, 300]],
    ['exponential', [100, 300, 900]],
    ['capped', [100, 200, 250]],
  ])('%s backoff waits %j ms after attempts 1, 2, 3', async (policy, delays) => {
    const id = await requestTask(db.sql, 'fl', policy, { n: 1 });
    for (const [i, expected] of delays.entries()) {
      const m = await failAndMeasure(id);
      expect(m.delayMs).toBe(expected);
      // ready_at = weft.now() at the failure + delay: between the clock read before and after the call.
      expect(m.readyAt).toBeGreaterThanOrEqual(m.lo + expected);
      expect(m.readyAt).toBeLessThanOrEqual(m.hi + expected);

      // Before it is due nothing fires; once the clock passes ready_at the next attempt is enqueued.
      expect(await fireAfter(0)).toBe(0);
      expect((await stepRow(db.sql, id, 'only')).state).toBe('waiting_retry');
      expect(await fireAfter(expected + 1)).toBe(1);
      const s = await stepRow(db.sql, id, 'only');
      expect(s).toMatchObject({ state: 'enqueued', attempt: i + 2 });
      const msgs = (await queued(db.sql, 'fl')).filter((q) => q.message.task_id === id);
      expect(msgs.map((q) => q.message.attempt)).toEqual([i + 2]);
    }
  });

  it('keeps the error of the failed attempt on the step and in the transition', async () => {
    const id = await requestTask(db.sql, 'fl', 'fixed', { n: 1 });
    await failByName(db.sql, id, 'only', { message: 'disk full', code: 'ENOSPC' });
    const s = await stepRow(db.sql, id, 'only');
    expect(s.error).toEqual({ message: 'disk full', code: 'ENOSPC' });
    const [tr] = await db.sql<{ reason: string; details: Record<string, unknown> }[]>`
      select reason, details from weft.transitions where step_id = ${s.step_id}::uuid and to_state = 'waiting_retry'`;
    expect(tr).toEqual({ reason: 'failed', details: { error: { message: 'disk full', code: 'ENOSPC' }, retryable: true, delay_ms: 1000, ready_at: expect.any(String) } });
  });

  it('turns a bare string error into {message}', async () => {
    const id = await requestTask(db.sql, 'fl', 'fixed', { n: 1 });
    const s = await stepRow(db.sql, id, 'only');
    await db.sql`select * from weft.fail_step(${s.step_id}::uuid, 1, '"connection reset"')`;
    expect((await stepRow(db.sql, id, 'only')).error).toEqual({ message: 'connection reset' });
  });

  it('truncates an error over 64 KiB, keeping code and name', async () => {
    const id = await requestTask(db.sql, 'fl', 'fixed', { n: 1 });
    const big = { message: 'x'.repeat(70_000), code: 'BIG', name: 'HugeError', stack: 'y'.repeat(1000) };
    await failByName(db.sql, id, 'only', big);
    const e = (await stepRow(db.sql, id, 'only')).error as Record<string, unknown>;
    expect(e).toEqual({ message: 'x'.repeat(4096), code: 'BIG', name: 'HugeError', truncated: true });
  });

  it('raises WF001 for an error that is neither an object nor a string', async () => {
    const id = await requestTask(db.sql, 'fl', 'fixed', { n: 1 });
    const s = await stepRow(db.sql, id, 'only');
    await expectSqlError(db.sql`select * from weft.fail_step(${s.step_id}::uuid, 1, '[1, 2]')`, 'WF001', 'error must be a JSON object or string, got a JSON array');
    expect((await stepRow(db.sql, id, 'only')).state).toBe('enqueued');
  });
});

describe('weft.fail_step ends a step for good', () => {
  it('fails the step when retries are exhausted; finalization ends the task in error and cancels the unstarted child', async () => {
    const id = await requestTask(db.sql, 'fl', 'exhaust', { n: 1 });
    const first = await stepRow(db.sql, id, 'first');
    await db.sql`select * from weft.complete_step(${first.step_id}::uuid, 1, '2')`;

    expect(await failByName(db.sql, id, 'flaky', { message: 'nope 1' })).toMatchObject({ reason: 'retry_scheduled' });
    expect(await fireAfter(51)).toBe(1);
    const last = await failByName(db.sql, id, 'flaky', { message: 'nope 2' });
    expect(last).toEqual({ outcome: 'applied', reason: 'step_failed', step_state: 'error', task_state: 'finalizing' });

    const flaky = await stepRow(db.sql, id, 'flaky');
    expect(flaky).toMatchObject({ state: 'error', attempt: 2, error: { message: 'nope 2' } });
    const [tr] = await db.sql<{ details: Record<string, unknown> }[]>`
      select details from weft.transitions where step_id = ${flaky.step_id}::uuid and to_state = 'error'`;
    expect(tr!.details).toEqual({ error: { message: 'nope 2' }, retryable: true, attempts_exhausted: true });
    expect((await stepRow(db.sql, id, 'never')).state).toBe('pending');

    expect(await claimAndFinalize(db.sql, id)).toBe('error');
    const [t] = await db.sql<{ error: unknown; result: unknown }[]>`select error, result from weft.tasks where task_id = ${id}::uuid`;
    expect(t).toEqual({ error: { step: 'flaky', error: { message: 'nope 2' } }, result: null });
    const never = await stepRow(db.sql, id, 'never');
    expect(never.state).toBe('cancelled');
    const [cancel] = await db.sql<{ from_state: string; reason: string }[]>`
      select from_state, reason from weft.transitions where step_id = ${never.step_id}::uuid`;
    expect(cancel).toEqual({ from_state: 'pending', reason: 'task_error' });
    expect((await stepRow(db.sql, id, 'first')).state).toBe('complete');
  });

  it('fails at once when retryable is false, whatever attempts remain', async () => {
    const id = await requestTask(db.sql, 'fl', 'fixed', { n: 1 });
    const r = await failByName(db.sql, id, 'only', { message: 'card declined', code: 'DECLINED' }, false);
    expect(r).toEqual({ outcome: 'applied', reason: 'step_failed', step_state: 'error', task_state: 'finalizing' });
    const s = await stepRow(db.sql, id, 'only');
    const [tr] = await db.sql<{ reason: string; details: Record<string, unknown> }[]>`
      select reason, details from weft.transitions where step_id = ${s.step_id}::uuid and to_state = 'error'`;
    expect(tr).toEqual({
      reason: 'failed_permanently',
      details: { error: { message: 'card declined', code: 'DECLINED' }, retryable: false, attempts_exhausted: false },
    });
    expect(await queued(db.sql, 'fl').then((q) => q.filter((m) => m.message.task_id === id))).toEqual([]);
  });

  it('rejects a failure report for a stale attempt without changing the step', async () => {
    const id = await requestTask(db.sql, 'fl', 'fixed', { n: 1 });
    const s = await stepRow(db.sql, id, 'only');
    await failByName(db.sql, id, 'only');
    await fireAfter(1001);
    const [r] = await db.sql<{ outcome: string; reason: string }[]>`
      select outcome, reason from weft.fail_step(${s.step_id}::uuid, 1, '{"message": "late"}')`;
    expect(r).toEqual({ outcome: 'rejected', reason: 'superseded_attempt' });
    expect(await stepRow(db.sql, id, 'only')).toMatchObject({ state: 'enqueued', attempt: 2 });
    const [rej] = await db.sql<{ kind: string; payload: unknown }[]>`select kind, payload from weft.rejected_results where step_id = ${s.step_id}::uuid`;
    expect(rej).toEqual({ kind: 'fail', payload: { message: 'late' } });
  });
});

describe('retry_on / dont_retry_on', () => {
  it.each([
    ['only_transient', { code: 'TRANSIENT' }, 'waiting_retry'],
    ['only_transient', { name: 'NetworkError' }, 'waiting_retry'],
    ['only_transient', { code: 'DECLINED' }, 'error'],
    ['only_transient', {}, 'error'],
    ['not_declined', { code: 'DECLINED' }, 'error'],
    ['not_declined', { name: 'DECLINED' }, 'error'],
    ['not_declined', { code: 'TRANSIENT' }, 'waiting_retry'],
    ['not_declined', {}, 'waiting_retry'],
  ])('%s with error %j leaves the step %s', async (policy, error, expected) => {
    const id = await requestTask(db.sql, 'fl', policy, { n: 1 });
    const r = await failByName(db.sql, id, 'only', { message: 'failed', ...error });
    expect(r.step_state).toBe(expected);
    expect(await taskState(db.sql, id)).toBe(expected === 'error' ? 'finalizing' : 'running');
  });
});
