/**
 * CompletionBatcher (src/worker/completion-batcher.ts) against a real database: an idle
 * batcher sends a report alone; reports that arrive while a call is in flight go together in
 * one weft.complete_steps call (one transaction: the step rows share one xmin), each caller
 * getting its own report; a batch that fails (one unknown step) is sent again one by one, so
 * only the bad report rejects.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WeftSqlError } from '../../src/db/errors.js';
import { CompletionBatcher } from '../../src/worker/completion-batcher.js';
import { testDatabase, type TestDatabase } from '../support/db.js';
import { registerWorkflow, requestTask } from '../support/sql-driver.js';

let db: TestDatabase;
beforeAll(async () => {
  db = await testDatabase('completion_batcher');
  await registerWorkflow(db.sql, { namespace: 'cb', name: 'one', version: '1', steps: [{ name: 'only', handler: 'h' }] });
  await registerWorkflow(db.sql, {
    namespace: 'cb', name: 'pair', version: '1',
    steps: [{ name: 'first', handler: 'h' }, { name: 'second', handler: 'h', depends_on: ['first'] }],
  });
  await registerWorkflow(db.sql, {
    namespace: 'cb', name: 'retry_now', version: '1',
    steps: [{ name: 'only', handler: 'h', retry: { strategy: 'fixed', base_ms: 0, max_attempts: 3 } }],
  });
});
afterAll(async () => {
  await db.drop();
});

/** `n` fresh steps (attempt 1, enqueued) of the workflow `one` (or another single-step workflow). */
async function freshSteps(n: number, workflow = 'one'): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const taskId = await requestTask(db.sql, 'cb', workflow, { i });
    const [s] = await db.sql<{ step_id: string }[]>`select step_id from weft.steps where task_id = ${taskId}::uuid`;
    ids.push(s!.step_id);
  }
  return ids;
}

/** State, result and the id of the transaction that last wrote each step row, in the order given. */
async function rows(stepIds: string[]): Promise<{ step_id: string; state: string; result: unknown; xid: string }[]> {
  const found = await db.sql<{ step_id: string; state: string; result: unknown; xid: string }[]>`
    select step_id, state::text, result, xmin::text as xid from weft.steps where step_id = any (${stepIds}::uuid[])`;
  return stepIds.map((id) => found.find((r) => r.step_id === id)!);
}

/** How many of the rows each transaction wrote (rows grouped by xmin). */
function transactionSizes(written: { xid: string }[]): number[] {
  const by = new Map<string, number>();
  for (const r of written) by.set(r.xid, (by.get(r.xid) ?? 0) + 1);
  return [...by.values()];
}

describe('CompletionBatcher', () => {
  it('sends a report alone when nothing is in flight', async () => {
    const [a, b] = await freshSteps(2);
    const batcher = new CompletionBatcher(db.sql, 'cb-idle');
    expect(await batcher.complete({ stepId: a!, attempt: 1, result: 'a' })).toMatchObject({ outcome: 'applied', step_id: a, step_state: 'complete' });
    expect(await batcher.complete({ stepId: b!, attempt: 1, result: 'b' })).toMatchObject({ outcome: 'applied', step_id: b, step_state: 'complete' });
    expect(batcher.batches).toBe(0);
    expect((await rows([a!, b!])).map((r) => r.result)).toEqual(['a', 'b']);
  });

  it('sends the reports that arrive while calls are in flight together, each batch in one transaction, each caller getting its own report', async () => {
    const steps = await freshSteps(12);
    const batcher = new CompletionBatcher(db.sql, 'cb-busy');
    // All twelve arrive at once: the first calls go alone; the rest wait for them and go together.
    const reports = await Promise.all(steps.map((stepId, i) => batcher.complete({ stepId, attempt: 1, result: { i } })));
    expect(reports.map((r) => ({ step_id: r.step_id, outcome: r.outcome, attempt: r.attempt, task_state: r.task_state }))).toEqual(
      steps.map((stepId) => ({ step_id: stepId, outcome: 'applied', attempt: 1, task_state: 'finalizing' })),
    );
    const after = await rows(steps);
    expect(after.map((r) => [r.state, r.result])).toEqual(steps.map((_, i) => ['complete', { i }]));
    expect(batcher.batches).toBeGreaterThanOrEqual(1);
    // One transaction per batch, one per report sent alone.
    const sizes = transactionSizes(after);
    expect(sizes.filter((n) => n > 1)).toHaveLength(batcher.batches);
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(12);
    const by = await db.sql`select distinct processor_id from weft.transitions where step_id = any (${steps}::uuid[]) and to_state = 'complete'`;
    expect(by).toEqual([{ processor_id: 'cb-busy' }]);
  });

  it('gives a stale or duplicate report its own outcome without failing the batch', async () => {
    const [stale] = await freshSteps(1, 'retry_now');
    await db.sql`select * from weft.fail_step(${stale!}::uuid, 1, '{"message": "first try"}', true)`;
    await db.sql`select * from weft.fire_timers('test')`;
    const [done, fresh, ...fillers] = await freshSteps(6);
    await db.sql`select * from weft.complete_step(${done!}::uuid, 1, '"earlier"')`;
    const batcher = new CompletionBatcher(db.sql, 'cb-fence');
    // Fillers first: they take the calls that go alone; the four interesting reports wait together.
    const reports = await Promise.all([
      ...fillers.map((stepId) => batcher.complete({ stepId, attempt: 1, result: 0 })),
      batcher.complete({ stepId: stale!, attempt: 1, result: 'late' }),
      batcher.complete({ stepId: done!, attempt: 1, result: 'again' }),
      batcher.complete({ stepId: fresh!, attempt: 1, result: 'new' }),
      batcher.complete({ stepId: fresh!, attempt: 1, result: 'twice' }),
    ]);
    expect(batcher.batches).toBeGreaterThanOrEqual(1);
    expect(reports.slice(fillers.length).map((r) => [r.step_id, r.outcome, r.reason])).toEqual([
      [stale, 'rejected', 'superseded_attempt'],
      [done, 'duplicate', 'already_complete'],
      [fresh, 'applied', null],
      [fresh, 'duplicate', 'already_complete'],
    ]);
    expect(reports.slice(0, fillers.length).map((r) => r.outcome)).toEqual(fillers.map(() => 'applied'));
    expect((await rows([stale!, done!, fresh!])).map((r) => [r.state, r.result])).toEqual([['enqueued', null], ['complete', 'earlier'], ['complete', 'new']]);
    // The four went in one transaction (the rejection is recorded in it).
    const [rej] = await db.sql<{ xid: string }[]>`select xmin::text as xid from weft.rejected_results where step_id = ${stale!}::uuid`;
    expect(rej!.xid).toBe((await rows([fresh!]))[0]!.xid);
  });

  it('falls back to one by one when a batch fails (an unknown step: WF006): the good reports apply, only the bad one rejects', async () => {
    // Eight at once: the first calls go alone, the bad report waits with the others for a batch.
    const good = await freshSteps(7);
    const unknown = '00000000-0000-7000-8000-0000000000cb';
    const given = [...good.slice(0, 5), unknown, ...good.slice(5)];
    const batcher = new CompletionBatcher(db.sql, 'cb-bad');
    const settled = await Promise.allSettled(given.map((stepId, i) => batcher.complete({ stepId, attempt: 1, result: i })));
    expect(settled.map((s) => s.status)).toEqual(given.map((id) => (id === unknown ? 'rejected' : 'fulfilled')));
    const reports = settled.map((s) => (s.status === 'fulfilled' ? [s.value.step_id, s.value.outcome] : null));
    expect(reports).toEqual(given.map((id) => (id === unknown ? null : [id, 'applied'])));
    const err = (settled[5] as PromiseRejectedResult).reason as unknown;
    expect(err).toBeInstanceOf(WeftSqlError);
    expect(err).toMatchObject({ code: 'WF006' });
    expect((err as Error).message).toContain(`step ${unknown} not found`);
    // The failed batch counts for nothing; the good reports were each applied on their own.
    expect(batcher.batches).toBe(0);
    const after = await rows(good);
    expect(after.map((r) => [r.state, r.result])).toEqual(given.flatMap((id, i) => (id === unknown ? [] : [['complete', i]])));
    expect(transactionSizes(after)).toEqual(good.map(() => 1));
  });

  it('keeps working after a failed batch: the next reports that pile up are batched again', async () => {
    const first = await freshSteps(6);
    const batcher = new CompletionBatcher(db.sql, 'cb-again');
    const settled = await Promise.allSettled([...first, '00000000-0000-7000-8000-0000000000cc'].map((stepId) => batcher.complete({ stepId, attempt: 1, result: 1 })));
    expect(settled.filter((s) => s.status === 'rejected')).toHaveLength(1);
    expect(batcher.batches).toBe(0);
    const steps = await freshSteps(8);
    const reports = await Promise.all(steps.map((stepId) => batcher.complete({ stepId, attempt: 1, result: 2 })));
    expect(reports.map((r) => [r.step_id, r.outcome])).toEqual(steps.map((id) => [id, 'applied']));
    expect(batcher.batches).toBeGreaterThanOrEqual(1);
  });

  it('reads along: a completion comes back with the child it made ready, read for this worker', async () => {
    await db.sql`select pgmq.purge_queue('cb')`;
    const taskId = await requestTask(db.sql, 'cb', 'pair', {});
    const [first] = await db.sql<{ step_id: string }[]>`select step_id from weft.steps where task_id = ${taskId}::uuid and name = 'first'`;
    const delivered: { queue: string; reserved: number; steps: string[] }[] = [];
    const batcher = new CompletionBatcher(db.sql, 'cb-read', {
      readAlong: {
        reserve: () => ({ vt: 30, qty: 5 }),
        deliver: (queue, reserved, messages) =>
          delivered.push({ queue, reserved, steps: messages.map((m) => (m.message as { step: string }).step) }),
      },
    });
    const report = await batcher.complete({ stepId: first!.step_id, attempt: 1, result: 1 }, 'cb');
    expect(report.outcome).toBe('applied');
    expect(delivered).toEqual([{ queue: 'cb', reserved: 5, steps: ['second'] }]);
    expect(batcher.readAlongMessages).toBe(1);
    expect(batcher.batchErrors).toBe(0);
    const [m] = await db.sql<{ read_ct: number }[]>`select read_ct from pgmq.q_cb where message ->> 'step' = 'second'`;
    expect(m).toEqual({ read_ct: 1 });
  });
});
