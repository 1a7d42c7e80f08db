/**
 * Retention functions: finished tasks (with their steps and audit rows), idempotency keys,
 * queue archives and dead letters, each by age on the engine clock.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { testDatabase, type TestDatabase } from '../../support/db.js';

let db: TestDatabase;
beforeAll(async () => {
  db = await testDatabase('retention');
  await db.sql`select weft.register_workflow(${db.sql.json({ namespace: 'ret', name: 'one', version: '1', steps: [{ name: 'a', handler: 'h' }] })})`;
});
afterAll(async () => {
  await db.drop();
});
beforeEach(async () => {
  await db.sql`update weft.clock set offset_interval = interval '0'`;
});

async function finishedTask(key?: string): Promise<string> {
  const id = (await db.sql<{ id: string }[]>`select weft.request_task('ret', 'one', '{}', idempotency_key => ${key ?? null}) as id`)[0]!.id;
  const [m] = await db.sql<{ msg_id: string; step_id: string }[]>`
    select msg_id, message ->> 'step_id' as step_id from pgmq.read('ret', 30, 10) where message ->> 'task_id' = ${id}`;
  await db.sql`select weft.complete_step(${m!.step_id}::uuid, 1, '1')`;
  await db.sql`select * from weft.claim_task_for_finalization(${id}, 'ret')`;
  await db.sql`select weft.finalize_task(${id}, 'ret')`;
  return id;
}
const count = async (table: string, taskId: string) =>
  (await db.sql.unsafe(`select count(*)::int as n from ${table} where task_id = $1`, [taskId]))[0]!.n as number;

describe('weft.purge_finished_tasks', () => {
  it('deletes finished tasks older than the age with their steps and transitions, and keeps recent and running ones', async () => {
    const old = await finishedTask();
    await db.sql`select weft.shift_clock('2 days')`;
    const recent = await finishedTask();
    const running = (await db.sql<{ id: string }[]>`select weft.request_task('ret', 'one', '{}') as id`)[0]!.id;
    await db.sql`select weft.shift_clock('2 days')`;
    // "old" finished 4 days ago (engine clock), "recent" 2 days ago
    expect((await db.sql`select weft.purge_finished_tasks(interval '3 days') as n`)[0]!.n).toBe(1);
    for (const table of ['weft.tasks', 'weft.steps', 'weft.transitions']) expect(await count(table, old)).toBe(0);
    expect(await count('weft.tasks', recent)).toBe(1);
    expect(await count('weft.tasks', running)).toBe(1);
    await expect(db.sql`select weft.purge_finished_tasks(interval '-1 day')`).rejects.toMatchObject({ code: 'WF001' });
  });
});

describe('weft.purge_idempotency_keys', () => {
  it('frees keys older than the window so the key can request a new task', async () => {
    const first = await finishedTask('ret-key');
    expect((await db.sql`select weft.purge_idempotency_keys(interval '1 day') as n`)[0]!.n).toBe(0);
    await db.sql`select weft.shift_clock('25 hours')`;
    expect((await db.sql`select weft.purge_idempotency_keys() as n`)[0]!.n).toBeGreaterThanOrEqual(1);
    const second = (await db.sql<{ id: string }[]>`select weft.request_task('ret', 'one', '{}', idempotency_key => 'ret-key') as id`)[0]!.id;
    expect(second).not.toBe(first);
  });
});

describe('weft.purge_queue_archives and weft.purge_dead_letters', () => {
  it('delete archived messages and dead letters older than the age', async () => {
    await db.sql`select pgmq.send('orchestration_task_requests', '"not an object"')`;
    await db.sql`select * from weft.intake_task_requests('ret')`;
    expect((await db.sql`select count(*)::int as n from pgmq.a_orchestration_task_requests`)[0]!.n).toBeGreaterThanOrEqual(1);
    expect((await db.sql`select weft.purge_queue_archives(interval '1 hour') as n`)[0]!.n).toBe('0');
    expect((await db.sql`select weft.purge_queue_archives(interval '0') as n`)[0]!.n).not.toBe('0');
    expect((await db.sql`select count(*)::int as n from pgmq.a_orchestration_task_requests`)[0]!.n).toBe(0);
    expect((await db.sql`select weft.purge_dead_letters(interval '0') as n`)[0]!.n).toBeGreaterThanOrEqual(1);
    expect((await db.sql`select count(*)::int as n from weft.dead_letters`)[0]!.n).toBe(0);
  });
});
