/**
 * Differential test of weft.complete_steps against weft.complete_step: the same work done two
 * ways — one set-based batch call on one side, one complete_step call per element on a twin —
 * must leave the same database state (compared by step name: ids, msg ids and times differ).
 * The one documented difference: a batch report's task_state is the task's state after the
 * whole batch. Covered: random DAGs driven in lockstep (seeded), one batch of mixed verdicts
 * (applied, stale, duplicate, cancelled task, deadline passed, both parents of a join), and a
 * saga's compensation steps.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sql } from '../../../src/db/connection.js';
import { testDatabase, type TestDatabase } from '../../support/db.js';
import { registerWorkflow, requestTask } from '../../support/sql-driver.js';
import { claimAndFinalize, completeByName, diamond, failByName, queued, single, stepRow, workflow, type StepDef } from './fixtures.js';

const NS = 'beq';
let db: TestDatabase;
beforeAll(async () => {
  db = await testDatabase('weft_batch_equivalence');
  await registerWorkflow(db.sql, single(NS, 'one'));
  await registerWorkflow(db.sql, diamond(NS));
  await registerWorkflow(db.sql, single(NS, 'retry_now', { retry: { strategy: 'fixed', base_ms: 0, max_attempts: 3 } }));
  await registerWorkflow(db.sql, single(NS, 'timed', { timeout_ms: 1000 }));
  await registerWorkflow(db.sql, workflow(NS, 'fork', [
    { name: 'a', handler: 'h', compensate: 'undo' },
    { name: 'b', handler: 'h', depends_on: ['a'], compensate: 'undo' },
    { name: 'c', handler: 'h', depends_on: ['a'], compensate: 'undo' },
    { name: 'd', handler: 'h', depends_on: ['b', 'c'], retry: 'none' },
  ]));
});
afterAll(async () => {
  await db.drop();
});

/** mulberry32: a small seeded PRNG, values in [0, 1). */
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
function shuffle<T>(items: T[], rnd: () => number): T[] {
  const a = [...items];
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
  return a;
}

interface Report { outcome: string; reason: string | null; step_state: string; attempt: number; task_id: string; task_state: string }
interface Element { taskId: string; stepId: string; attempt: number; result: unknown }

/** The batch side: one weft.complete_steps call, reports in the order given. */
function completeSteps(sql: Sql, els: Element[]): Promise<Report[]> {
  return sql<Report[]>`
    select outcome, reason, step_state::text, attempt, task_id, task_state::text
    from weft.complete_steps(${els.map((e) => e.stepId)}::uuid[], ${els.map((e) => e.attempt)}::int[],
      array(select e from jsonb_array_elements(${sql.json(els.map((e) => e.result) as never)}) with ordinality as x (e, i) order by i), 'eq-w')`;
}

/** The reference side: weft.complete_step per element, in task id then given order; reports in the order given. */
async function completeOneByOne(sql: Sql, els: Element[]): Promise<Report[]> {
  const order = els.map((e, i) => ({ e, i })).sort((x, y) => x.e.taskId.localeCompare(y.e.taskId) || x.i - y.i);
  const out: Report[] = [];
  for (const { e, i } of order) {
    const [r] = await sql<Report[]>`
      select outcome, reason, step_state::text, attempt, task_id, task_state::text from weft.complete_step(${e.stepId}::uuid, ${e.attempt}, ${sql.json(e.result as never)}, 'eq-w')`;
    out[i] = r!;
  }
  return out;
}

/** Everything a completion writes about a task, keyed by step name (no ids, msg ids or times). */
async function stateOf(sql: Sql, taskId: string): Promise<unknown> {
  const [task] = await sql`
    select state::text, steps_remaining, result, error, finalize_requested_at is not null as finalize_requested
    from weft.tasks where task_id = ${taskId}::uuid`;
  const steps = await sql`
    select name, kind, state::text, attempt, result, error, pending_parents, msg_id is not null as has_msg,
           ready_at is not null as has_ready_at, deadline_at is not null as has_deadline, finished_at is not null as finished
    from weft.steps where task_id = ${taskId}::uuid order by name`;
  const transitions = await sql<{ t: string }[]>`
    select jsonb_build_array(tr.entity, s.name, tr.from_state, tr.to_state, tr.reason, tr.attempt, tr.processor_id, tr.details - 'ready_at')::text as t
    from weft.transitions tr left join weft.steps s on s.step_id = tr.step_id where tr.task_id = ${taskId}::uuid`;
  const rejected = await sql<{ r: string }[]>`
    select jsonb_build_array(s.name, r.attempt, r.current_attempt, r.step_state, r.kind, r.reason, r.payload, r.processor_id)::text as r
    from weft.rejected_results r join weft.steps s on s.step_id = r.step_id where r.task_id = ${taskId}::uuid`;
  const messages = (await queued(sql, NS)).filter((m) => m.message.task_id === taskId)
    .map((m) => ({ step: m.message.step, attempt: m.message.attempt, parents: m.message.parents }))
    .sort((x, y) => x.step.localeCompare(y.step));
  return { task, steps, transitions: transitions.map((r) => r.t).sort(), rejected: rejected.map((r) => r.r).sort(), messages };
}

async function enqueued(sql: Sql, taskId: string): Promise<{ name: string; step_id: string; attempt: number }[]> {
  return sql<{ name: string; step_id: string; attempt: number }[]>`
    select name, step_id, attempt from weft.steps where task_id = ${taskId}::uuid and state = 'enqueued' order by name`;
}
const resultFor = (name: string): unknown => (name.startsWith('compensate:') ? null : { step: name, len: name.length });
const active = async (id: string): Promise<boolean> =>
  ['running', 'compensating'].includes((await db.sql<{ s: string }[]>`select state::text as s from weft.tasks where task_id = ${id}::uuid`)[0]!.s);

/**
 * Drives twin task lists in lockstep until every task has left running/compensating: each round,
 * the enqueued steps of all `batched` tasks go in one complete_steps call (shuffled), the same
 * steps of the `looped` twins one complete_step at a time; the states must match after each round.
 */
async function lockstep(batched: string[], looped: string[], rnd: () => number, label: string): Promise<void> {
  for (let round = 0; ; round++) {
    const what = `${label}, round ${round}`;
    expect(await Promise.all(looped.map((id) => stateOf(db.sql, id))), what).toEqual(await Promise.all(batched.map((id) => stateOf(db.sql, id))));
    const activeA = await Promise.all(batched.map(active));
    expect(await Promise.all(looped.map(active)), what).toEqual(activeA);
    if (!activeA.includes(true)) return;
    expect(round, `${what}: tasks still active after 20 rounds`).toBeLessThan(20);
    const a = await Promise.all(batched.map((id) => enqueued(db.sql, id)));
    const b = await Promise.all(looped.map((id) => enqueued(db.sql, id)));
    expect(b.map((steps) => steps.map((s) => [s.name, s.attempt])), what).toEqual(a.map((steps) => steps.map((s) => [s.name, s.attempt])));
    expect(a.flat().length, `${what}: active tasks with nothing enqueued`).toBeGreaterThan(0);
    const picks = shuffle(a.flatMap((steps, t) => steps.map((_, k) => ({ t, k }))), rnd);
    const el = (side: string[], steps: typeof a, p: { t: number; k: number }): Element =>
      ({ taskId: side[p.t]!, stepId: steps[p.t]![p.k]!.step_id, attempt: steps[p.t]![p.k]!.attempt, result: resultFor(steps[p.t]![p.k]!.name) });
    const batchReports = await completeSteps(db.sql, picks.map((p) => el(batched, a, p)));
    const loopReports = await completeOneByOne(db.sql, picks.map((p) => el(looped, b, p)));
    const strip = (r: Report): unknown => ({ outcome: r.outcome, reason: r.reason, step_state: r.step_state, attempt: r.attempt });
    expect(loopReports.map(strip), what).toEqual(batchReports.map(strip));
    // task_state in a batch report: the task's state after the whole batch
    for (const r of batchReports) expect((await stateOf(db.sql, r.task_id) as { task: { state: string } }).task.state, what).toBe(r.task_state);
  }
}

/** A random DAG of 2–8 steps: each step depends on a random subset of the earlier ones. */
function randomDag(seed: number): Record<string, unknown> {
  const rnd = prng(seed);
  const n = 2 + Math.floor(rnd() * 7);
  const steps: StepDef[] = [];
  for (let i = 0; i < n; i++) {
    const parents = steps.filter(() => rnd() < 0.4).map((s) => s.name);
    steps.push({
      name: `s${i}`, handler: 'h',
      ...(parents.length > 0 ? { depends_on: parents } : {}),
      ...(rnd() < 0.4 ? { compensate: 'undo' } : {}),
      ...(rnd() < 0.3 ? { timeout_ms: 3_600_000 } : {}),
    });
  }
  return workflow(NS, `dag_${seed}`, steps);
}

describe('weft.complete_steps ≡ weft.complete_step in a loop', () => {
  it.each(Array.from({ length: 30 }, (_, i) => i + 1))('random DAG, seed %i: two tasks batched together vs their twins one by one', async (seed) => {
    await registerWorkflow(db.sql, randomDag(seed));
    const ids: string[] = [];
    for (let i = 0; i < 4; i++) ids.push(await requestTask(db.sql, NS, `dag_${seed}`, { n: seed }));
    await lockstep([ids[0]!, ids[1]!], [ids[2]!, ids[3]!], prng(seed * 7919), `seed ${seed}`);
  });

  it('gives the same verdicts and rows for a batch of mixed verdicts', async () => {
    /** One world: a task per verdict; returns the batch elements, labelled. */
    async function world(): Promise<{ labels: string[]; els: Element[]; tasks: string[] }> {
      const els: [string, Element][] = [];
      const add = async (label: string, taskId: string, name: string, attempt: number | null = null): Promise<void> => {
        const s = await stepRow(db.sql, taskId, name);
        els.push([label, { taskId, stepId: s.step_id, attempt: attempt ?? s.attempt, result: { label } }]);
      };
      await add('ok', await requestTask(db.sql, NS, 'one', { n: 1 }), 'only');
      const stale = await requestTask(db.sql, NS, 'retry_now', { n: 1 });
      await failByName(db.sql, stale, 'only');
      await db.sql`select * from weft.fire_timers('eq')`;
      expect(await stepRow(db.sql, stale, 'only')).toMatchObject({ state: 'enqueued', attempt: 2 });
      await add('stale', stale, 'only', 1);
      const dup = await requestTask(db.sql, NS, 'one', { n: 1 });
      await completeByName(db.sql, dup, 'only', 'first');
      await add('duplicate', dup, 'only', 1);
      const cancelling = await requestTask(db.sql, NS, 'diamond', { n: 1 });
      await db.sql`select weft.cancel_task(${cancelling}::uuid, 'eq', 'test')`;
      await add('cancel requested', cancelling, 'start');
      const cancelled = await requestTask(db.sql, NS, 'one', { n: 1 });
      await db.sql`select weft.cancel_task(${cancelled}::uuid, 'eq', 'test')`;
      expect(await claimAndFinalize(db.sql, cancelled)).toBe('cancelled');
      await add('cancelled', cancelled, 'only', 1);
      await add('deadline', await requestTask(db.sql, NS, 'timed', { n: 1 }), 'only');
      const join = await requestTask(db.sql, NS, 'diamond', { n: 2 });
      await completeByName(db.sql, join, 'start', 4);
      await add('join right', join, 'right');
      await add('join left', join, 'left');
      const tasks = [...new Set(els.map(([, e]) => e.taskId))];
      return { labels: els.map(([l]) => l), els: els.map(([, e]) => e), tasks };
    }
    const a = await world();
    const b = await world();
    await db.sql`select weft.shift_clock(interval '1001 milliseconds')`; // past the deadline of both 'timed' steps
    const order = shuffle(a.els.map((_, i) => i), prng(42));
    const batch = await completeSteps(db.sql, order.map((i) => a.els[i]!));
    const loop = await completeOneByOne(db.sql, order.map((i) => b.els[i]!));
    const view = (rs: Report[]): unknown => rs.map((r, k) => ({ label: a.labels[order[k]!], outcome: r.outcome, reason: r.reason, step_state: r.step_state, attempt: r.attempt, task_state: r.task_state }));
    expect(view(batch)).toEqual(view(loop));
    expect(Object.fromEntries((view(batch) as { label: string; outcome: string; reason: string | null }[]).map((r) => [r.label, `${r.outcome} ${r.reason ?? ''}`.trim()]))).toEqual({
      ok: 'applied', stale: 'rejected superseded_attempt', duplicate: 'duplicate already_complete', 'cancel requested': 'applied',
      cancelled: 'rejected step_cancelled', deadline: 'rejected deadline_passed', 'join right': 'applied', 'join left': 'applied',
    });
    expect(await Promise.all(b.tasks.map((id) => stateOf(db.sql, id)))).toEqual(await Promise.all(a.tasks.map((id) => stateOf(db.sql, id))));
  });

  it('runs a saga\'s compensation the same way (compensate:b and compensate:c in one batch, then compensate:a)', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 2; i++) {
      const id = await requestTask(db.sql, NS, 'fork', {});
      for (const n of ['a', 'b', 'c']) await completeByName(db.sql, id, n, { step: n });
      await failByName(db.sql, id, 'd', { message: 'no' }, false);
      expect(await claimAndFinalize(db.sql, id)).toBe('compensating');
      ids.push(id);
    }
    expect((await enqueued(db.sql, ids[0]!)).map((s) => s.name)).toEqual(['compensate:b', 'compensate:c']);
    await lockstep([ids[0]!], [ids[1]!], prng(7), 'saga');
    const ends = [];
    for (const id of ids) {
      expect(await claimAndFinalize(db.sql, id)).toBe('error');
      const [t] = await db.sql<{ error: { step: string; compensated: string[] } }[]>`select error from weft.tasks where task_id = ${id}::uuid`;
      // compensate:b and compensate:c finish in one batch on one side: their order there is a tie
      ends.push({ step: t!.error.step, compensated: [...t!.error.compensated.slice(0, 2).sort(), ...t!.error.compensated.slice(2)] });
    }
    expect(ends[1]).toEqual(ends[0]);
    expect(ends[0]).toEqual({ step: 'd', compensated: ['b', 'c', 'a'] });
  });
});
