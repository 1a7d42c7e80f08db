/**
 * Reliability races, with real concurrent sessions (one pool of one connection each, explicit
 * begin/commit on reserved connections so both transactions overlap), each repeated many times:
 *   1. cancel_task racing complete_step of the task's last step (and a finalizer)
 *   2. a retry racing the late result of the attempt it replaces (timeout path and lease path)
 *   3. two orchestrators on one expired finalization claim, and the late finalize of its holder
 * Interleaved runs force one order with a lock wait (the second session is seen blocked in
 * pg_stat_activity before the first commits); free runs start both at a barrier.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sql } from '../../../src/db/connection.js';
import { testDatabase, type TestDatabase } from '../../support/db.js';
import { registerWorkflow, requestTask } from '../../support/sql-driver.js';
import { linear, single, sqlError, stepRow, untilBlocked } from './fixtures.js';

type Reserved = Awaited<ReturnType<Sql['reserve']>>;

let db: TestDatabase;
let pools: Sql[];
beforeAll(async () => {
  db = await testDatabase('reliability_races');
  await registerWorkflow(db.sql, linear('rel_cancel', 'two', ['a', 'b']));
  await registerWorkflow(db.sql, single('rel_timeout', 'one', { timeout_ms: 1000, retry: { strategy: 'fixed', base_ms: 0, max_attempts: 3 } }));
  await registerWorkflow(db.sql, single('rel_lease', 'one', { retry: { strategy: 'fixed', base_ms: 0, max_attempts: 3 } }));
  await registerWorkflow(db.sql, single('rel_claim', 'one'));
  pools = Array.from({ length: 3 }, () => db.connect(1));
  await Promise.all(pools.map((p) => p`select 1`));
});
afterAll(async () => {
  await db.drop();
});

/** Resolves for everyone once `n` callers have arrived. */
function barrier(n: number): () => Promise<void> {
  let arrived = 0;
  let release: () => void = () => undefined;
  const gate = new Promise<void>((r) => (release = r));
  return () => {
    if (++arrived === n) release();
    return gate;
  };
}

async function pidOf(c: Reserved): Promise<number> {
  const [r] = await c<{ pid: number }[]>`select pg_backend_pid() as pid`;
  return r!.pid;
}

/** Runs `fn` with two reserved connections (released afterwards). */
async function withTwo(fn: (a: Reserved, b: Reserved) => Promise<void>): Promise<void> {
  const a = await pools[0]!.reserve();
  const b = await pools[1]!.reserve();
  try {
    await fn(a, b);
  } finally {
    a.release();
    b.release();
  }
}

/** Claims and finalizes a task as `me`, retrying while it is not (yet) finalizing; returns the final state. */
async function finalizeWhenReady(sql: Sql, taskId: string, me: string): Promise<string> {
  for (let i = 0; i < 2000; i++) {
    const [c] = await sql<{ outcome: string }[]>`select outcome from weft.claim_task_for_finalization(${taskId}::uuid, ${me})`;
    if (c!.outcome === 'won' || c!.outcome === 'taken_over') {
      const [f] = await sql<{ s: string }[]>`select weft.finalize_task(${taskId}::uuid, ${me})::text as s`;
      return f!.s;
    }
    const [t] = await sql<{ s: string }[]>`select state::text as s from weft.tasks where task_id = ${taskId}::uuid`;
    if (['complete', 'error', 'cancelled', 'compensation_failed'].includes(t!.s)) return t!.s;
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error(`task ${taskId} never became finalizable`);
}

/** What the audit trail and the tables say about a task of rel_cancel. */
async function cancelOutcome(taskId: string): Promise<{
  state: string; finalized: number; cancelRequested: boolean; b: { state: string; result: unknown };
  rejectedB: number; bCompletedBeforeFinal: boolean | null;
}> {
  const [r] = await db.sql<{
    state: string; finalized: number; cancel_requested: boolean; b_state: string; b_result: unknown; rejected_b: number;
    b_completed_before_final: boolean | null;
  }[]>`
    select t.state::text as state,
           (select count(*)::int from weft.transitions tr where tr.task_id = t.task_id and tr.reason = 'finalized') as finalized,
           exists (select 1 from weft.transitions tr where tr.task_id = t.task_id and tr.reason = 'cancel_requested') as cancel_requested,
           b.state::text as b_state, b.result as b_result,
           (select count(*)::int from weft.rejected_results rr where rr.step_id = b.step_id and rr.kind = 'complete') as rejected_b,
           (select c.transition_id < f.transition_id
            from weft.transitions c, weft.transitions f
            where c.step_id = b.step_id and c.to_state = 'complete' and f.task_id = t.task_id and f.reason = 'finalized') as b_completed_before_final
    from weft.tasks t join weft.steps b on b.task_id = t.task_id and b.name = 'b'
    where t.task_id = ${taskId}::uuid`;
  return {
    state: r!.state, finalized: r!.finalized, cancelRequested: r!.cancel_requested, b: { state: r!.b_state, result: r!.b_result },
    rejectedB: r!.rejected_b, bCompletedBeforeFinal: r!.b_completed_before_final,
  };
}

/** rel_cancel tasks (a → b, n = 1) whose `a` is complete: `b`, the last step, is enqueued. */
async function tasksAtLastStep(count: number): Promise<{ taskId: string; b: string }[]> {
  const out: { taskId: string; b: string }[] = [];
  for (let i = 0; i < count; i++) {
    const taskId = await requestTask(db.sql, 'rel_cancel', 'two', { n: 1 });
    const a = await stepRow(db.sql, taskId, 'a');
    await db.sql`select weft.complete_step(${a.step_id}::uuid, 1, '2')`;
    out.push({ taskId, b: (await stepRow(db.sql, taskId, 'b')).step_id });
  }
  return out;
}

describe('race 1: cancel_task against complete_step of the last step', () => {
  it('ends complete when the completion commits first and cancelled when the cancel does; finalized once (2 × 15 interleavings)', async () => {
    const tasks = await tasksAtLastStep(30);
    await withTwo(async (a, b) => {
      const pid = await pidOf(b);
      for (const [i, t] of tasks.entries()) {
        const completeFirst = i % 2 === 0;
        const complete = (c: Reserved) => c<{ outcome: string }[]>`select outcome from weft.complete_step(${t.b}::uuid, 1, '3')`;
        const cancel = (c: Reserved) => c<{ s: string }[]>`select weft.cancel_task(${t.taskId}::uuid, 'race', 'tester')::text as s`;
        await a`begin`;
        await b`begin`;
        let completed: { outcome: string }[];
        let cancelled: { s: string }[];
        if (completeFirst) {
          completed = await complete(a);
          const blocked = cancel(b).execute();
          await untilBlocked(db.sql, pid); // the cancel waits for the task row the completion holds
          await a`commit`;
          cancelled = await blocked;
        } else {
          cancelled = await cancel(a);
          const blocked = complete(b).execute();
          await untilBlocked(db.sql, pid); // the completion waits for the task row the cancel holds
          await a`commit`;
          completed = await blocked;
        }
        await b`commit`;
        // A result reported while the task awaits its cancellation is still the step's truth.
        expect(completed[0]!.outcome).toBe('applied');
        expect(cancelled[0]!.s).toBe('finalizing');
      }
    });
    for (const t of tasks) expect(await finalizeWhenReady(db.sql, t.taskId, 'rel-finalizer')).toMatch(/^(complete|cancelled)$/);
    for (const [i, t] of tasks.entries()) {
      const o = await cancelOutcome(t.taskId);
      expect(o.finalized).toBe(1);
      expect(o.b).toEqual({ state: 'complete', result: 3 });
      // complete first: the cancel found a finalizing task and did nothing; cancel first: cancelled
      expect({ state: o.state, cancelRequested: o.cancelRequested }).toEqual(
        i % 2 === 0 ? { state: 'complete', cancelRequested: false } : { state: 'cancelled', cancelRequested: true },
      );
    }
  });

  it('with a finalizer racing too, no result is lost or applied after the task is cancelled (30 free runs)', async () => {
    const tasks = await tasksAtLastStep(30);
    for (const t of tasks) {
      const ready = barrier(3);
      const [report] = await Promise.all([
        (async () => {
          await ready();
          const [r] = await pools[0]!<{ outcome: string; reason: string | null }[]>`
            select outcome, reason from weft.complete_step(${t.b}::uuid, 1, '3')`;
          return r!;
        })(),
        (async () => {
          await ready();
          await pools[1]!`select weft.cancel_task(${t.taskId}::uuid, 'race', 'tester')`;
        })(),
        (async () => {
          await ready();
          await finalizeWhenReady(pools[2]!, t.taskId, 'rel-finalizer-free');
        })(),
      ]);
      const o = await cancelOutcome(t.taskId);
      expect(o.finalized).toBe(1);
      expect(o.state).toBe(o.cancelRequested ? 'cancelled' : 'complete');
      if (report.outcome === 'applied') {
        // applied → the step holds the result, and it was applied before the task ended
        expect(o.b).toEqual({ state: 'complete', result: 3 });
        expect(o.bCompletedBeforeFinal).toBe(true);
        expect(o.rejectedB).toBe(0);
      } else {
        // rejected → only possible once the cancelled task was finalized; recorded, not applied
        expect(report.outcome).toBe('rejected');
        expect(report.reason).toMatch(/^(step_cancelled|task_cancelled)$/);
        expect(o.state).toBe('cancelled');
        expect(o.b).toEqual({ state: 'cancelled', result: null });
        expect(o.rejectedB).toBe(1);
      }
    }
  });
});

/** The state of the single step `only` of a task, and the audit of its attempts. */
async function attemptsOf(taskId: string): Promise<{
  state: string; attempt: number; result: unknown; completions: number; enqueues: number[]; rejected: { attempt: number; reason: string }[];
}> {
  const s = await stepRow(db.sql, taskId, 'only');
  const [r] = await db.sql<{ completions: number; enqueues: number[] }[]>`
    select (select count(*)::int from weft.transitions where step_id = ${s.step_id}::uuid and to_state = 'complete') as completions,
           (select coalesce(array_agg(attempt order by transition_id), '{}') from weft.transitions
            where step_id = ${s.step_id}::uuid and to_state = 'enqueued') as enqueues`;
  const rejected = await db.sql<{ attempt: number; reason: string }[]>`
    select attempt, reason from weft.rejected_results where step_id = ${s.step_id}::uuid and kind = 'complete' order by created_at`;
  return { state: s.state, attempt: s.attempt, result: s.result, completions: r!.completions, enqueues: r!.enqueues, rejected: [...rejected] };
}

/** Completes attempt 2 of a task's step and checks the final audit: attempt 1 rejected and recorded, attempt 2 applied once. */
async function expectAttempt2Wins(taskId: string, rejectedReason: RegExp): Promise<void> {
  const s = await stepRow(db.sql, taskId, 'only');
  expect(s).toMatchObject({ state: 'enqueued', attempt: 2 });
  const [r] = await db.sql<{ outcome: string }[]>`select outcome from weft.complete_step(${s.step_id}::uuid, 2, '"attempt 2"')`;
  expect(r!.outcome).toBe('applied');
  const o = await attemptsOf(taskId);
  expect(o).toMatchObject({ state: 'complete', attempt: 2, result: 'attempt 2', completions: 1, enqueues: [1, 2] });
  expect(o.rejected).toHaveLength(1);
  expect(o.rejected[0]!.attempt).toBe(1);
  expect(o.rejected[0]!.reason).toMatch(rejectedReason);
}

describe('race 2: a retry against the late result of the attempt it replaces', () => {
  it('timeout path: attempt 1 timed out; its late result and the enqueue of attempt 2 interleave both ways (2 × 10 runs)', async () => {
    await withTwo(async (a, b) => {
      const pidB = await pidOf(b);
      for (let i = 0; i < 20; i++) {
        const taskId = await requestTask(db.sql, 'rel_timeout', 'one', { n: 1 });
        const only = await stepRow(db.sql, taskId, 'only');
        await db.sql`select weft.shift_clock(interval '1001 milliseconds')`;
        const [fired] = await db.sql<{ timed_out_steps: number }[]>`select timed_out_steps from weft.fire_timers('rel-timers')`;
        expect(fired!.timed_out_steps).toBe(1);
        expect(await stepRow(db.sql, taskId, 'only')).toMatchObject({ state: 'waiting_retry', attempt: 1 });
        const lateResult = (c: Reserved) => c<{ outcome: string; reason: string }[]>`
          select outcome, reason from weft.complete_step(${only.step_id}::uuid, 1, '"attempt 1"')`;
        const retry = (c: Reserved) => c<{ retried_steps: number }[]>`select retried_steps from weft.fire_timers('rel-timers')`;
        if (i % 2 === 0) {
          // the retry commits first; the late result waits for the task row, then finds attempt 2
          await a`begin`;
          await b`begin`;
          expect((await retry(a))[0]!.retried_steps).toBe(1);
          const late = lateResult(b).execute();
          await untilBlocked(db.sql, pidB);
          await a`commit`;
          expect((await late)[0]).toEqual({ outcome: 'rejected', reason: 'superseded_attempt' });
          await b`commit`;
          await expectAttempt2Wins(taskId, /^superseded_attempt$/);
        } else {
          // the late result first: rejected (the attempt already failed); the sweep skips the
          // locked task and enqueues attempt 2 once the late report's transaction is over
          await b`begin`;
          await a`begin`;
          expect((await lateResult(b))[0]).toEqual({ outcome: 'rejected', reason: 'step_waiting_retry' });
          expect((await retry(a))[0]!.retried_steps).toBe(0);
          await b`commit`;
          expect((await retry(a))[0]!.retried_steps).toBe(1);
          await a`commit`;
          await expectAttempt2Wins(taskId, /^step_waiting_retry$/);
        }
      }
    });
  });

  it('lease path: the expiry and retry commit while attempt 1\'s completion waits; it is rejected and recorded (10 runs)', async () => {
    await withTwo(async (a, b) => {
      const pidB = await pidOf(b);
      for (let i = 0; i < 10; i++) {
        const taskId = await requestTask(db.sql, 'rel_lease', 'one', { n: 1 });
        const only = await stepRow(db.sql, taskId, 'only');
        // a worker read attempt 1, then stopped heartbeating: its lease (the visibility timeout) ran out
        const [msg] = await db.sql<{ msg_id: string }[]>`select msg_id from pgmq.read('rel_lease', 30, 1)`;
        await db.sql`select pgmq.set_vt('rel_lease', ${msg!.msg_id}::bigint, -1)`;
        await a`begin`;
        await b`begin`;
        const [recovered] = await a<{ n: number }[]>`select weft.recover_stalled_steps('rel-recovery') as n`;
        expect(recovered!.n).toBe(1);
        expect((await a<{ retried_steps: number }[]>`select retried_steps from weft.fire_timers('rel-recovery')`)[0]!.retried_steps).toBe(1);
        const late = b<{ outcome: string; reason: string }[]>`
          select outcome, reason from weft.complete_step(${only.step_id}::uuid, 1, '"attempt 1"')`.execute();
        await untilBlocked(db.sql, pidB);
        await a`commit`;
        expect((await late)[0]).toEqual({ outcome: 'rejected', reason: 'superseded_attempt' });
        await b`commit`;
        await expectAttempt2Wins(taskId, /^superseded_attempt$/);
        const [failed] = await db.sql<{ code: string }[]>`
          select details #>> '{error,code}' as code from weft.transitions
          where step_id = ${only.step_id}::uuid and to_state = 'waiting_retry'`;
        expect(failed!.code).toBe('lease_expired');
      }
    });
  });

  it('lease path, free race: exactly one attempt\'s result is applied and the other is recorded (20 runs)', async () => {
    for (let i = 0; i < 20; i++) {
      const taskId = await requestTask(db.sql, 'rel_lease', 'one', { n: 1 });
      const only = await stepRow(db.sql, taskId, 'only');
      const [msg] = await db.sql<{ msg_id: string }[]>`select msg_id from pgmq.read('rel_lease', 30, 1)`;
      await db.sql`select pgmq.set_vt('rel_lease', ${msg!.msg_id}::bigint, -1)`;
      const ready = barrier(2);
      const [late] = await Promise.all([
        pools[0]!.begin(async (tx) => {
          await tx`select 1`;
          await ready();
          const [r] = await tx<{ outcome: string; reason: string | null }[]>`
            select outcome, reason from weft.complete_step(${only.step_id}::uuid, 1, '"attempt 1"')`;
          return r!;
        }),
        pools[1]!.begin(async (tx) => {
          await tx`select 1`;
          await ready();
          await tx`select weft.recover_stalled_steps('rel-recovery')`;
          await tx`select * from weft.fire_timers('rel-recovery')`;
        }),
      ]);
      if (late.outcome === 'applied') {
        // the completion came first: the expired lease was never acted on
        expect(await attemptsOf(taskId)).toEqual({ state: 'complete', attempt: 1, result: 'attempt 1', completions: 1, enqueues: [1], rejected: [] });
        const [left] = await db.sql<{ n: number }[]>`select count(*)::int as n from pgmq.q_rel_lease where msg_id = ${msg!.msg_id}::bigint`;
        expect(left!.n).toBe(0);
      } else {
        expect(late.outcome).toBe('rejected');
        await expectAttempt2Wins(taskId, /^(superseded_attempt|step_waiting_retry)$/);
      }
    }
  });
});

/** rel_claim tasks whose only step completed: they wait in finalizing. */
async function finalizingTasks(count: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    const taskId = await requestTask(db.sql, 'rel_claim', 'one', { n: 1 });
    await db.sql`select weft.complete_step(${(await stepRow(db.sql, taskId, 'only')).step_id}::uuid, 1, '2')`;
    ids.push(taskId);
  }
  return ids;
}

/** A claims (ttl 1 s) and "dies"; the clock moves past the ttl. */
async function expiredClaim(taskId: string, holder: string): Promise<void> {
  const [c] = await db.sql<{ outcome: string }[]>`select outcome from weft.claim_task_for_finalization(${taskId}::uuid, ${holder}, 1000)`;
  expect(c!.outcome).toBe('won');
  await db.sql`select weft.shift_clock(interval '1001 milliseconds')`;
}

async function claimAudit(taskId: string): Promise<{ state: string; finalized: number; finalizer: string | null; claims: number }> {
  const [r] = await db.sql<{ state: string; finalized: number; finalizer: string | null; claims: number }[]>`
    select t.state::text as state,
           (select count(*)::int from weft.transitions tr where tr.task_id = t.task_id and tr.reason = 'finalized') as finalized,
           (select tr.processor_id from weft.transitions tr where tr.task_id = t.task_id and tr.reason = 'finalized') as finalizer,
           (select count(*)::int from weft.finalization_claims c where c.task_id = t.task_id) as claims
    from weft.tasks t where t.task_id = ${taskId}::uuid`;
  return r!;
}

describe('race 3: two orchestrators on one expired claim', () => {
  it('one takes it over, the other waits and is contended, the dead holder\'s late finalize fails with WF011 (20 interleavings)', async () => {
    const ids = await finalizingTasks(20);
    await withTwo(async (b, c) => {
      const pids = [await pidOf(b), await pidOf(c)];
      for (const [i, taskId] of ids.entries()) {
        await expiredClaim(taskId, 'orch-a');
        const [first, second] = i % 2 === 0 ? [b, c] : [c, b];
        const [firstName, secondName] = i % 2 === 0 ? ['orch-b', 'orch-c'] : ['orch-c', 'orch-b'];
        await first`begin`;
        await second`begin`;
        const [won] = await first<{ outcome: string }[]>`select outcome from weft.claim_task_for_finalization(${taskId}::uuid, ${firstName})`;
        expect(won!.outcome).toBe('taken_over');
        const waiting = second<{ outcome: string }[]>`select outcome from weft.claim_task_for_finalization(${taskId}::uuid, ${secondName})`.execute();
        await untilBlocked(db.sql, pids[i % 2 === 0 ? 1 : 0]!);
        await first`commit`;
        expect((await waiting)[0]!.outcome).toBe('contended');
        await second`commit`;
        // the dead holder wakes up: before or after the new holder finalizes, it holds no live claim
        if (i % 4 < 2) expect((await sqlError(db.sql`select weft.finalize_task(${taskId}::uuid, 'orch-a')`)).code).toBe('WF011');
        expect((await sqlError(db.sql`select weft.finalize_task(${taskId}::uuid, ${secondName})`)).code).toBe('WF011');
        await db.sql`select weft.finalize_task(${taskId}::uuid, ${firstName})`;
        if (i % 4 >= 2) expect((await sqlError(db.sql`select weft.finalize_task(${taskId}::uuid, 'orch-a')`)).code).toBe('WF011');
        expect(await claimAudit(taskId)).toEqual({ state: 'complete', finalized: 1, finalizer: firstName, claims: 0 });
      }
    });
  });

  it('two claimers started at once: exactly one taken_over, one contended, finalized once by the winner (30 free runs)', async () => {
    const ids = await finalizingTasks(30);
    for (const taskId of ids) {
      await expiredClaim(taskId, 'orch-a');
      const ready = barrier(2);
      const outcomes = await Promise.all(
        ['orch-b', 'orch-c'].map((me, k) =>
          pools[k]!.begin(async (tx) => {
            await tx`select 1`;
            await ready();
            const [r] = await tx<{ outcome: string }[]>`select outcome from weft.claim_task_for_finalization(${taskId}::uuid, ${me})`;
            return { me, outcome: r!.outcome };
          }),
        ),
      );
      expect(outcomes.map((o) => o.outcome).sort()).toEqual(['contended', 'taken_over']);
      const winner = outcomes.find((o) => o.outcome === 'taken_over')!.me;
      const loser = outcomes.find((o) => o.outcome === 'contended')!.me;
      // both try to finalize at once; only the holder can
      const results = await Promise.allSettled([winner, loser, 'orch-a'].map((me, k) => pools[k]!`select weft.finalize_task(${taskId}::uuid, ${me})`));
      expect(results[0]!.status).toBe('fulfilled');
      for (const r of results.slice(1)) {
        expect(r.status).toBe('rejected');
        expect((r as PromiseRejectedResult).reason).toMatchObject({ code: 'WF011' });
      }
      expect(await claimAudit(taskId)).toEqual({ state: 'complete', finalized: 1, finalizer: winner, claims: 0 });
    }
    const [stats] = await db.sql<{ taken_over: number; contended: number }[]>`
      select coalesce(sum(claims_taken_over), 0)::int as taken_over, coalesce(sum(claims_contended), 0)::int as contended
      from weft.processor_stats where processor_id in ('orch-b', 'orch-c')`;
    // 20 interleaved + 30 free runs, one takeover and one contention each
    expect(stats).toEqual({ taken_over: 50, contended: 50 });
  });
});
