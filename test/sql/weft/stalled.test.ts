/**
 * weft.recover_stalled_steps: a message that was read and whose visibility timeout (the lease)
 * passed without a heartbeat fails its attempt as "lease_expired"; the late result is rejected.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDatabase, type TestDatabase } from '../../support/db.js';

let db: TestDatabase;
beforeAll(async () => {
  db = await testDatabase('stalled');
  await db.sql`select weft.register_workflow(${db.sql.json({
    namespace: 'stall', name: 'one', version: '1',
    steps: [{ name: 'a', handler: 'h', retry: { max_attempts: 2, strategy: 'fixed', base_ms: 0 } }],
  })})`;
});
afterAll(async () => {
  await db.drop();
});

async function readOne(): Promise<{ msg_id: string; step_id: string; attempt: number }> {
  const [m] = await db.sql<{ msg_id: string; step_id: string; attempt: number }[]>`
    select msg_id, message ->> 'step_id' as step_id, (message ->> 'attempt')::int as attempt from pgmq.read('stall', 30, 1)`;
  return m!;
}

describe('weft.recover_stalled_steps', () => {
  it('leaves messages nobody read, and leases still running, alone', async () => {
    const id = (await db.sql<{ id: string }[]>`select weft.request_task('stall', 'one') as id`)[0]!.id;
    expect((await db.sql`select weft.recover_stalled_steps('t') as n`)[0]!.n).toBe(0);
    const m = await readOne();
    expect((await db.sql`select weft.recover_stalled_steps('t') as n`)[0]!.n).toBe(0);
    await db.sql`select weft.complete_step(${m.step_id}::uuid, ${m.attempt}, '1')`;
    const [t] = await db.sql`select state from weft.tasks where task_id = ${id}`;
    expect(t!.state).toBe('finalizing');
  });

  it('fails an expired lease as a retryable lease_expired attempt, enqueues the next attempt and rejects the late result', async () => {
    const id = (await db.sql<{ id: string }[]>`select weft.request_task('stall', 'one') as id`)[0]!.id;
    const m = await readOne();
    // the worker died: its lease runs out (visibility timeout in the past)
    await db.sql`select pgmq.set_vt('stall'::text, ${m.msg_id}::bigint, -1)`;
    expect((await db.sql`select weft.recover_stalled_steps('t') as n`)[0]!.n).toBe(1);
    const [step] = await db.sql`select state, attempt, error from weft.steps where step_id = ${m.step_id}`;
    expect(step).toMatchObject({ state: 'waiting_retry', attempt: 1, error: { code: 'lease_expired' } });
    const [msg] = await db.sql`select count(*)::int as n from pgmq.q_stall where msg_id = ${m.msg_id}`;
    expect(msg!.n).toBe(0);
    // the retry (backoff 0) is enqueued by the timer sweep as attempt 2
    await db.sql`select * from weft.fire_timers('t')`;
    const next = await readOne();
    expect(next).toMatchObject({ step_id: m.step_id, attempt: 2 });
    // the dead worker comes back with attempt 1: rejected and recorded
    const [late] = await db.sql`select * from weft.complete_step(${m.step_id}::uuid, 1, '99')`;
    expect(late).toMatchObject({ outcome: 'rejected', reason: 'superseded_attempt' });
    const [rec] = await db.sql`select count(*)::int as n from weft.rejected_results where step_id = ${m.step_id} and attempt = 1`;
    expect(rec!.n).toBe(1);
    const [ok] = await db.sql`select * from weft.complete_step(${m.step_id}::uuid, 2, '2')`;
    expect(ok).toMatchObject({ outcome: 'applied' });
    const [t] = await db.sql`select state from weft.tasks where task_id = ${id}`;
    expect(t!.state).toBe('finalizing');
  });

  it('fails the step when the expired lease was its last attempt', async () => {
    await db.sql`select weft.request_task('stall', 'one')`;
    const m1 = await readOne();
    await db.sql`select pgmq.set_vt('stall'::text, ${m1.msg_id}::bigint, -1)`;
    await db.sql`select weft.recover_stalled_steps('t')`;
    await db.sql`select * from weft.fire_timers('t')`;
    const m2 = await readOne();
    expect(m2.attempt).toBe(2);
    await db.sql`select pgmq.set_vt('stall'::text, ${m2.msg_id}::bigint, -1)`;
    expect((await db.sql`select weft.recover_stalled_steps('t') as n`)[0]!.n).toBe(1);
    const [step] = await db.sql`select s.state, t.state as task_state from weft.steps s join weft.tasks t using (task_id) where s.step_id = ${m2.step_id}`;
    expect(step).toEqual({ state: 'error', task_state: 'finalizing' });
  });

  it('runs inside weft.orchestrator_tick and reports its count', async () => {
    await db.sql`select weft.request_task('stall', 'one')`;
    const m = await readOne();
    await db.sql`select pgmq.set_vt('stall'::text, ${m.msg_id}::bigint, -1)`;
    const [tick] = await db.sql`select recovered_steps from weft.orchestrator_tick('t')`;
    expect(tick!.recovered_steps).toBe(1);
  });
});

describe('weft.release_step', () => {
  it('hands a current attempt back uncharged: a fresh unread message, same attempt, not seen as stalled', async () => {
    await db.sql`select weft.request_task('stall', 'one')`;
    const m = await readOne();
    expect((await db.sql`select weft.release_step(${m.step_id}::uuid, ${m.attempt}, 'w1') as ok`)[0]!.ok).toBe(true);
    const [q] = await db.sql`select msg_id, read_ct, (message ->> 'attempt')::int as attempt from pgmq.q_stall where message ->> 'step_id' = ${m.step_id}`;
    expect(q).toMatchObject({ read_ct: 0, attempt: m.attempt });
    expect(q!.msg_id).not.toBe(m.msg_id);
    expect((await db.sql`select weft.recover_stalled_steps('t') as n`)[0]!.n).toBe(0);
    const [s] = await db.sql`select state, attempt, msg_id from weft.steps where step_id = ${m.step_id}`;
    expect(s).toMatchObject({ state: 'enqueued', attempt: m.attempt, msg_id: q!.msg_id });
    const again = await readOne();
    expect(again).toMatchObject({ step_id: m.step_id, attempt: m.attempt });
  });
});

describe('weft.dead_letter_message on a live step message', () => {
  it('archives it, records it with its SQLSTATE, and fails the attempt for good (dead_lettered)', async () => {
    const id = (await db.sql<{ id: string }[]>`select weft.request_task('stall', 'one') as id`)[0]!.id;
    const m = await readOne();
    expect((await db.sql`select weft.dead_letter_message('stall', ${m.msg_id}::bigint, 'handler cannot parse args', 'w1', 'XX001') as ok`)[0]!.ok).toBe(true);
    const [dl] = await db.sql`select reason, sqlstate from weft.dead_letters where msg_id = ${m.msg_id} and queue_name = 'stall'`;
    expect(dl).toEqual({ reason: 'handler cannot parse args', sqlstate: 'XX001' });
    // released or dead-lettered, a message that is gone cannot be dead-lettered twice
    expect((await db.sql`select weft.dead_letter_message('stall', ${m.msg_id}::bigint, 'again') as ok`)[0]!.ok).toBe(false);
    const [a] = await db.sql`select count(*)::int as n from pgmq.a_stall where msg_id = ${m.msg_id}`;
    expect(a!.n).toBe(1);
    const [s] = await db.sql`select s.state, s.error ->> 'code' as code, t.state as task_state from weft.steps s join weft.tasks t using (task_id) where s.step_id = ${m.step_id}`;
    expect(s).toEqual({ state: 'error', code: 'dead_lettered', task_state: 'finalizing' });
    expect(id).toBeTruthy();
  });
});

describe('per-step heartbeat (heartbeat_ms)', () => {
  it('is validated, stored and carried by the step message', async () => {
    await expect(db.sql`select weft.register_workflow(${db.sql.json({ namespace: 'stall', name: 'badbeat', version: '1', steps: [{ name: 'a', handler: 'h', heartbeat_ms: 10 }] })})`)
      .rejects.toMatchObject({ code: 'WF003', message: expect.stringContaining('heartbeat_ms') });
    await db.sql`select weft.register_workflow(${db.sql.json({ namespace: 'stall', name: 'beat', version: '1', steps: [{ name: 'a', handler: 'h', heartbeat_ms: 5000 }] })})`;
    const id = (await db.sql<{ id: string }[]>`select weft.request_task('stall', 'beat') as id`)[0]!.id;
    const [m] = await db.sql`select message -> 'heartbeat_ms' as hb from pgmq.q_stall where message ->> 'task_id' = ${id}`;
    expect(m!.hb).toBe(5000);
  });
});
