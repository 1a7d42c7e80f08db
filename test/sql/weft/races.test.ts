/**
 * Races, with real concurrent sessions (separate pools = separate backends), never inside one
 * rolled-back transaction:
 *   1. join readiness — both parents of a diamond's join completed at the same instant
 *   2. finalization — 8 orchestrators claiming and finalizing 320 tasks (sweep), and 8 racing
 *      for the same named tasks
 *   3. a stale attempt's result racing the current attempt's
 *   4. one idempotency key requested by 8 sessions at once
 *   5. timers fired by 4 sessions at once
 *   6. one attempt reported twice at once (a redelivered message ran on two workers)
 *   7. a cancellation racing the completion of the last step
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sql } from '../../../src/db/connection.js';
import { testDatabase, type TestDatabase } from '../../support/db.js';
import { registerWorkflow } from '../../support/sql-driver.js';
import { diamond, single, stepRow, untilBlocked } from './fixtures.js';

let db: TestDatabase;
let pools: Sql[];
beforeAll(async () => {
  db = await testDatabase('weft_races');
  await registerWorkflow(db.sql, diamond('race_join'));
  await registerWorkflow(db.sql, single('race_fin', 'one'));
  await registerWorkflow(db.sql, single('race_stale', 'one', { retry: { strategy: 'fixed', base_ms: 0, max_attempts: 3 } }));
  await registerWorkflow(db.sql, single('race_timer', 'one', { retry: { strategy: 'fixed', base_ms: 1000, max_attempts: 3 } }));
  // Eight independent sessions: one pool of one connection each.
  pools = Array.from({ length: 8 }, () => db.connect(1));
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
    arrived++;
    if (arrived === n) release();
    return gate;
  };
}

/** Diamond tasks whose `start` is complete: `left` and `right` are enqueued. */
async function diamondsAtJoin(count: number): Promise<{ taskId: string; left: string; right: string }[]> {
  const ids = await db.sql<{ id: string }[]>`select weft.request_task('race_join', 'diamond', '{"n": 2}') as id from generate_series(1, ${count})`;
  await db.sql`
    select weft.complete_step(s.step_id, 1, '4') from weft.steps s
    where s.task_id = any (${ids.map((r) => r.id)}::uuid[]) and s.name = 'start'`;
  const steps = await db.sql<{ task_id: string; name: string; step_id: string }[]>`
    select task_id, name, step_id from weft.steps where task_id = any (${ids.map((r) => r.id)}::uuid[]) and name in ('left', 'right')`;
  return ids.map(({ id }) => ({
    taskId: id,
    left: steps.find((s) => s.task_id === id && s.name === 'left')!.step_id,
    right: steps.find((s) => s.task_id === id && s.name === 'right')!.step_id,
  }));
}

/** For each task: end's messages, end's enqueue transitions, end's state. */
async function joinOutcome(taskIds: string[]): Promise<{ task_id: string; messages: number; enqueued: number; state: string; attempt: number }[]> {
  return db.sql<{ task_id: string; messages: number; enqueued: number; state: string; attempt: number }[]>`
    select s.task_id,
           (select count(*)::int from pgmq.q_race_join q where q.message ->> 'step_id' = s.step_id::text) as messages,
           (select count(*)::int from weft.transitions tr where tr.step_id = s.step_id and tr.to_state = 'enqueued') as enqueued,
           s.state::text as state, s.attempt
    from weft.steps s where s.task_id = any (${taskIds}::uuid[]) and s.name = 'end'`;
}

describe('race 1: two parents of a join complete at the same instant', () => {
  it('enqueues the join exactly once when the second parent waits on the first one\'s transaction (50 interleavings)', async () => {
    const tasks = await diamondsAtJoin(50);
    const a = await pools[0]!.reserve();
    const b = await pools[1]!.reserve();
    try {
      const [who] = await b<{ pid: number }[]>`select pg_backend_pid() as pid`;
      const pid = who!.pid;
      for (const [i, t] of tasks.entries()) {
        // Alternate which parent commits first.
        const [first, second] = i % 2 === 0 ? [t.left, t.right] : [t.right, t.left];
        await a`begin`;
        await b`begin`;
        await a`select * from weft.complete_step(${first}::uuid, 1, '16')`;
        const blocked = b`select * from weft.complete_step(${second}::uuid, 1, '8')`.execute();
        await untilBlocked(db.sql, pid);
        await a`commit`;
        const [report] = (await blocked) as unknown as { outcome: string }[];
        await b`commit`;
        expect(report!.outcome).toBe('applied');
      }
    } finally {
      a.release();
      b.release();
    }
    const outcome = await joinOutcome(tasks.map((t) => t.taskId));
    expect(outcome).toHaveLength(50);
    for (const o of outcome) expect(o).toEqual({ task_id: o.task_id, messages: 1, enqueued: 1, state: 'enqueued', attempt: 1 });
  });

  it('enqueues the join exactly once when both transactions run freely at once (50 runs)', async () => {
    const tasks = await diamondsAtJoin(50);
    for (const t of tasks) {
      const ready = barrier(2);
      await Promise.all(
        [t.left, t.right].map((stepId, k) =>
          pools[k]!.begin(async (tx) => {
            await tx`select 1`;
            await ready();
            await tx`select * from weft.complete_step(${stepId}::uuid, 1, ${tx.json(k === 0 ? 16 : 8)})`;
          }),
        ),
      );
    }
    const outcome = await joinOutcome(tasks.map((t) => t.taskId));
    expect(outcome).toHaveLength(50);
    for (const o of outcome) expect(o).toEqual({ task_id: o.task_id, messages: 1, enqueued: 1, state: 'enqueued', attempt: 1 });
    const [parents] = await db.sql<{ wrong: number }[]>`
      select count(*)::int as wrong from pgmq.q_race_join q
      where q.message ->> 'step' = 'end' and q.message -> 'parents' <> '{"left": 16, "right": 8}'::jsonb
        and (q.message ->> 'task_id')::uuid = any (${tasks.map((t) => t.taskId)}::uuid[])`;
    expect(parents!.wrong).toBe(0);
  });
});

/** Makes `count` tasks of race_fin whose only step completed: they wait in finalizing. */
async function finalizingTasks(count: number): Promise<string[]> {
  const ids = await db.sql<{ id: string }[]>`select weft.request_task('race_fin', 'one', '{}') as id from generate_series(1, ${count})`;
  await db.sql`select weft.complete_step(s.step_id, 1, '1') from weft.steps s where s.task_id = any (${ids.map((r) => r.id)}::uuid[])`;
  return ids.map((r) => r.id);
}

async function finalizedOnce(ids: string[]): Promise<{ finalized: number; tasks: number; complete: number; claims: number }> {
  const [r] = await db.sql<{ finalized: number; tasks: number; complete: number; claims: number }[]>`
    select (select count(*)::int from weft.transitions where task_id = any (${ids}::uuid[]) and reason = 'finalized') as finalized,
           (select count(distinct task_id)::int from weft.transitions where task_id = any (${ids}::uuid[]) and reason = 'finalized') as tasks,
           (select count(*)::int from weft.tasks where task_id = any (${ids}::uuid[]) and state = 'complete') as complete,
           (select count(*)::int from weft.finalization_claims where task_id = any (${ids}::uuid[])) as claims`;
  return r!;
}

async function statsOf(prefix: string): Promise<{ won: number; finalized: number }> {
  const [r] = await db.sql<{ won: number; finalized: number }[]>`
    select coalesce(sum(claims_won), 0)::int as won, coalesce(sum(tasks_finalized), 0)::int as finalized
    from weft.processor_stats where processor_id like ${prefix + '%'}`;
  return r!;
}

describe('race 2: many orchestrators finalize', () => {
  it('8 sweeping orchestrators finalize each of 320 tasks exactly once', async () => {
    const ids = await finalizingTasks(320);
    const errors: unknown[] = [];
    await Promise.all(
      pools.map(async (p, i) => {
        const me = `sweep-${i}`;
        for (;;) {
          const won = await p<{ task_id: string }[]>`
            select task_id from weft.claim_tasks_for_finalization(processor_id => ${me}, max_tasks => 10)
            where outcome in ('won', 'taken_over')`;
          for (const w of won) {
            try {
              await p`select weft.finalize_task(${w.task_id}::uuid, ${me})`;
            } catch (err) {
              errors.push(err);
            }
          }
          if (won.length > 0) continue;
          const [left] = await p<{ n: number }[]>`select count(*)::int as n from weft.tasks where namespace = 'race_fin' and state = 'finalizing'`;
          if (left!.n === 0) return;
        }
      }),
    );
    expect(errors).toEqual([]);
    expect(await finalizedOnce(ids)).toEqual({ finalized: 320, tasks: 320, complete: 320, claims: 0 });
    expect(await statsOf('sweep-')).toEqual({ won: 320, finalized: 320 });
  });

  it('8 orchestrators racing for the same named tasks: one winner each, finalized once', async () => {
    const ids = await finalizingTasks(200);
    const errors: unknown[] = [];
    await Promise.all(
      pools.map(async (p, i) => {
        const me = `named-${i}`;
        // Every orchestrator walks the same list, half of them backwards, so they collide.
        const order = i % 2 === 0 ? ids : [...ids].reverse();
        for (const id of order) {
          const [c] = await p<{ outcome: string }[]>`select outcome from weft.claim_task_for_finalization(${id}::uuid, ${me})`;
          if (c!.outcome !== 'won' && c!.outcome !== 'taken_over') continue;
          try {
            await p`select weft.finalize_task(${id}::uuid, ${me})`;
          } catch (err) {
            errors.push(err);
          }
        }
      }),
    );
    expect(errors).toEqual([]);
    expect(await finalizedOnce(ids)).toEqual({ finalized: 200, tasks: 200, complete: 200, claims: 0 });
    expect(await statsOf('named-')).toEqual({ won: 200, finalized: 200 });
  });
});

describe('race 3: a late result of attempt 1 races the result of attempt 2', () => {
  it('applies attempt 2 and rejects attempt 1, whichever commits first (30 runs)', async () => {
    const ids = await db.sql<{ id: string }[]>`select weft.request_task('race_stale', 'one', '{}') as id from generate_series(1, 30)`;
    const taskIds = ids.map((r) => r.id);
    await db.sql`select weft.fail_step(s.step_id, 1, '{"message": "worker lost"}') from weft.steps s where s.task_id = any (${taskIds}::uuid[])`;
    await db.sql`select * from weft.fire_timers()`;
    for (const [i, taskId] of taskIds.entries()) {
      const s = await stepRow(db.sql, taskId, 'only');
      expect(s).toMatchObject({ state: 'enqueued', attempt: 2 });
      const ready = barrier(2);
      const calls = [
        { attempt: 1, result: 'late' },
        { attempt: 2, result: 'current' },
      ];
      // Alternate which pool carries which report.
      const reports = await Promise.all(
        calls.map((c, k) =>
          pools[(k + i) % 2]!.begin(async (tx) => {
            await tx`select 1`;
            await ready();
            const [r] = await tx<{ outcome: string; reason: string | null }[]>`
              select outcome, reason from weft.complete_step(${s.step_id}::uuid, ${c.attempt}, ${tx.json(c.result)})`;
            return r!;
          }),
        ),
      );
      expect(reports).toEqual([
        { outcome: 'rejected', reason: 'superseded_attempt' },
        { outcome: 'applied', reason: null },
      ]);
    }
    const [r] = await db.sql<{ results: string[]; completions: number; rejected: number; finalizing: number }[]>`
      select array_agg(distinct s.result #>> '{}') as results,
             (select count(*)::int from weft.transitions tr where tr.task_id = any (${taskIds}::uuid[]) and tr.to_state = 'complete') as completions,
             (select count(*)::int from weft.rejected_results rr where rr.task_id = any (${taskIds}::uuid[]) and rr.attempt = 1) as rejected,
             (select count(*)::int from weft.tasks t where t.task_id = any (${taskIds}::uuid[]) and t.state = 'finalizing') as finalizing
      from weft.steps s where s.task_id = any (${taskIds}::uuid[])`;
    expect(r).toEqual({ results: ['current'], completions: 30, rejected: 30, finalizing: 30 });
  });
});

describe('race 4: one idempotency key, eight sessions at once', () => {
  it('creates one task and returns its id to every caller (20 keys)', async () => {
    for (let k = 0; k < 20; k++) {
      const key = `race-key-${k}`;
      const ready = barrier(pools.length);
      const ids = await Promise.all(
        pools.map(async (p) => {
          await ready();
          const [r] = await p<{ id: string }[]>`select weft.request_task('race_fin', 'one', '{"n": 1}', idempotency_key => ${key}) as id`;
          return r!.id;
        }),
      );
      expect(new Set(ids).size).toBe(1);
      const [n] = await db.sql<{ tasks: number; messages: number }[]>`
        select (select count(*)::int from weft.tasks where idempotency_key = ${key}) as tasks,
               (select count(*)::int from pgmq.q_race_fin where message ->> 'task_id' = ${ids[0]!}) as messages`;
      expect(n).toEqual({ tasks: 1, messages: 1 });
    }
  });
});

describe('race 5: timers fired by several orchestrators at once', () => {
  it('enqueues each due retry exactly once', async () => {
    const ids = await db.sql<{ id: string }[]>`select weft.request_task('race_timer', 'one', '{}') as id from generate_series(1, 100)`;
    const taskIds = ids.map((r) => r.id);
    await db.sql`select weft.fail_step(s.step_id, 1, '{"message": "try later"}') from weft.steps s where s.task_id = any (${taskIds}::uuid[])`;
    await db.sql`select weft.shift_clock(interval '1001 milliseconds')`;
    const ready = barrier(4);
    const fired = await Promise.all(
      pools.slice(0, 4).map(async (p, i) => {
        await ready();
        const [r] = await p<{ retried_steps: number }[]>`select retried_steps from weft.fire_timers(${'timer-' + i}, 30)`;
        return r!.retried_steps;
      }),
    );
    // Whatever a sweep skipped (rows locked by another) is picked up by the next one.
    let total = fired.reduce((a, b) => a + b, 0);
    for (;;) {
      const [r] = await db.sql<{ retried_steps: number }[]>`select retried_steps from weft.fire_timers('timer-last')`;
      if (r!.retried_steps === 0) break;
      total += r!.retried_steps;
    }
    expect(total).toBe(100);
    const [r] = await db.sql<{ messages: number; attempt2: number; enqueues: number }[]>`
      select (select count(*)::int from pgmq.q_race_timer q where (q.message ->> 'task_id')::uuid = any (${taskIds}::uuid[])) as messages,
             (select count(*)::int from weft.steps s where s.task_id = any (${taskIds}::uuid[]) and s.state = 'enqueued' and s.attempt = 2) as attempt2,
             (select count(*)::int from weft.transitions tr where tr.task_id = any (${taskIds}::uuid[]) and tr.reason = 'retry_backoff_elapsed') as enqueues`;
    expect(r).toEqual({ messages: 100, attempt2: 100, enqueues: 100 });
  });
});

describe('race 6: the same attempt completed by two workers at once', () => {
  it('applies one report, calls the other a duplicate, and enqueues the children once (30 runs)', async () => {
    const tasks = await db.sql<{ id: string }[]>`select weft.request_task('race_join', 'diamond', '{"n": 3}') as id from generate_series(1, 30)`;
    for (const { id } of tasks) {
      const start = await stepRow(db.sql, id, 'start');
      const ready = barrier(2);
      const outcomes = await Promise.all(
        [0, 1].map((k) =>
          pools[k]!.begin(async (tx) => {
            await tx`select 1`;
            await ready();
            const [r] = await tx<{ outcome: string }[]>`select outcome from weft.complete_step(${start.step_id}::uuid, 1, '9')`;
            return r!.outcome;
          }),
        ),
      );
      expect(outcomes.sort()).toEqual(['applied', 'duplicate']);
      const [n] = await db.sql<{ enqueued: number; completions: number }[]>`
        select (select count(*)::int from weft.transitions where task_id = ${id}::uuid and reason = 'parents_complete') as enqueued,
               (select count(*)::int from weft.transitions where step_id = ${start.step_id}::uuid and to_state = 'complete') as completions`;
      expect(n).toEqual({ enqueued: 2, completions: 1 });
    }
  });
});

describe('race 7: cancel_task racing the completion of the last step', () => {
  it('ends every task in one terminal state, finalized once, with no error (30 runs)', async () => {
    const ids = await db.sql<{ id: string }[]>`select weft.request_task('race_fin', 'one', '{}') as id from generate_series(1, 30)`;
    const taskIds = ids.map((r) => r.id);
    for (const [i, id] of taskIds.entries()) {
      const only = await stepRow(db.sql, id, 'only');
      const ready = barrier(2);
      const [cancelled, completed] = await Promise.all([
        pools[i % 2]!.begin(async (tx) => {
          await tx`select 1`;
          await ready();
          const [r] = await tx<{ s: string }[]>`select weft.cancel_task(${id}::uuid, 'race')::text as s`;
          return r!.s;
        }),
        pools[(i + 1) % 2]!.begin(async (tx) => {
          await tx`select 1`;
          await ready();
          const [r] = await tx<{ outcome: string }[]>`select outcome from weft.complete_step(${only.step_id}::uuid, 1, '1')`;
          return r!.outcome;
        }),
      ]);
      expect(cancelled).toBe('finalizing');
      expect(completed).toBe('applied');
    }
    // Whichever came first, the task waits in finalizing; a finalizer ends it exactly once.
    for (const id of taskIds) {
      const [c] = await db.sql<{ outcome: string }[]>`select outcome from weft.claim_task_for_finalization(${id}::uuid, 'race-7')`;
      expect(c!.outcome).toBe('won');
      await db.sql`select weft.finalize_task(${id}::uuid, 'race-7')`;
    }
    const rows = await db.sql<{ state: string; cancel_requested: boolean; finalized: number }[]>`
      select t.state::text as state,
             exists (select 1 from weft.transitions tr where tr.task_id = t.task_id and tr.reason = 'cancel_requested') as cancel_requested,
             (select count(*)::int from weft.transitions tr where tr.task_id = t.task_id and tr.reason = 'finalized') as finalized
      from weft.tasks t where t.task_id = any (${taskIds}::uuid[])`;
    expect(rows).toHaveLength(30);
    for (const r of rows) {
      // Cancelled when the cancellation came first; complete when the step completed first.
      expect(r.finalized).toBe(1);
      expect(r.state).toBe(r.cancel_requested ? 'cancelled' : 'complete');
    }
  });
});
