/**
 * weft.heartbeat_step (lease extension, carry_on, progress) and weft.checkpoint_step (partial
 * progress carried to the next attempt's message).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDatabase, type TestDatabase } from '../../support/db.js';
import { readSteps, registerWorkflow, requestTask } from '../../support/sql-driver.js';
import { claimAndFinalize, expectSqlError, failByName, queued, single, snapshot, stepRow, workflow } from './fixtures.js';

let db: TestDatabase;
beforeAll(async () => {
  db = await testDatabase('weft_heartbeat');
  await registerWorkflow(db.sql, single('hb', 'long', { retry: { strategy: 'fixed', base_ms: 0, max_attempts: 3 } }));
  await registerWorkflow(db.sql, workflow('hb', 'pair', [{ name: 'a', handler: 'h' }, { name: 'b', handler: 'h' }]));
});
afterAll(async () => {
  await db.drop();
});

interface Beat {
  carry_on: boolean;
  reason: string;
  visible_until: Date | null;
}

async function heartbeat(stepId: string, attempt: number, extend = 30, progress: object | null = null): Promise<Beat> {
  const [r] = await db.sql<Beat[]>`
    select * from weft.heartbeat_step(${stepId}::uuid, ${attempt}, ${extend}, ${progress === null ? null : db.sql.json(progress as never)})`;
  return r!;
}

/** A fresh task whose only step's message has been read by a worker (vt 5 s). */
async function started(): Promise<{ taskId: string; stepId: string; msgId: string; vt: Date }> {
  const taskId = await requestTask(db.sql, 'hb', 'long', { n: 1 });
  const mine = (await readSteps(db.sql, 'hb', { vt: 5, qty: 100 })).find((m) => m.message.task_id === taskId)!;
  return { taskId, stepId: mine.message.step_id, msgId: mine.msgId, vt: mine.vt };
}

describe('weft.heartbeat_step', () => {
  it('says carry on while the attempt is current and moves the message visibility forward', async () => {
    const { taskId, stepId, msgId, vt } = await started();
    const beat = await heartbeat(stepId, 1, 600);
    expect(beat.carry_on).toBe(true);
    expect(beat.reason).toBe('ok');
    expect(beat.visible_until!.getTime()).toBeGreaterThan(vt.getTime());
    const [m] = (await queued(db.sql, 'hb')).filter((q) => q.msgId === msgId);
    expect(m!.vt.getTime()).toBe(beat.visible_until!.getTime());
    // Still hidden from other workers.
    expect((await readSteps(db.sql, 'hb')).filter((q) => q.message.task_id === taskId)).toEqual([]);
  });

  it('stores the progress it carries', async () => {
    const { taskId, stepId } = await started();
    await heartbeat(stepId, 1, 30, { percent: 40, message: 'copying' });
    expect((await stepRow(db.sql, taskId, 'only')).progress).toEqual({ percent: 40, message: 'copying' });
    await heartbeat(stepId, 1, 30);
    expect((await stepRow(db.sql, taskId, 'only')).progress).toEqual({ percent: 40, message: 'copying' });
  });

  it('says stop, with the reason, to a superseded attempt, recording nothing', async () => {
    const { taskId, stepId } = await started();
    await failByName(db.sql, taskId, 'only');
    expect(await heartbeat(stepId, 1)).toEqual({ carry_on: false, reason: 'step_waiting_retry', visible_until: null });
    await db.sql`select * from weft.fire_timers()`;
    const before = await snapshot(db.sql);
    expect(await heartbeat(stepId, 1)).toEqual({ carry_on: false, reason: 'superseded_attempt', visible_until: null });
    expect(await snapshot(db.sql)).toEqual(before);
    expect((await heartbeat(stepId, 2)).carry_on).toBe(true);
  });

  it('tells the worker its task was cancelled, before and after finalization', async () => {
    const { taskId, stepId } = await started();
    await db.sql`select weft.cancel_task(${taskId}::uuid, 'customer asked')`;
    expect(await heartbeat(stepId, 1)).toEqual({ carry_on: false, reason: 'task_cancelled', visible_until: null });
    await claimAndFinalize(db.sql, taskId);
    expect(await heartbeat(stepId, 1)).toEqual({ carry_on: false, reason: 'step_cancelled', visible_until: null });
  });

  it('says stop when a sibling failed for good and the task is finalizing', async () => {
    const taskId = await requestTask(db.sql, 'hb', 'pair', { n: 1 });
    const b = await stepRow(db.sql, taskId, 'b');
    await failByName(db.sql, taskId, 'a', { message: 'fatal' }, false);
    expect(await heartbeat(b.step_id, 1)).toEqual({ carry_on: false, reason: 'task_finalizing', visible_until: null });
  });

  it.each([
    ['extend_seconds 0', `select * from weft.heartbeat_step(:step, 1, 0)`, 'WF001', 'extend_seconds must be from 1 to 43200, got 0'],
    ['extend_seconds 43201', `select * from weft.heartbeat_step(:step, 1, 43201)`, 'WF001', 'got 43201'],
    ['a null extend_seconds', `select * from weft.heartbeat_step(:step, 1, null)`, 'WF001', 'got null'],
    ['an array progress', `select * from weft.heartbeat_step(:step, 1, 30, '[40]')`, 'WF001', 'progress must be a JSON object'],
    ['an attempt never started', `select * from weft.heartbeat_step(:step, 7)`, 'WF007', 'attempt 7 of step'],
    ['an unknown step', `select * from weft.heartbeat_step('00000000-0000-7000-8000-000000000001', 1)`, 'WF006', 'not found'],
  ])('rejects %s', async (_what, query, code, fragment) => {
    const { stepId } = await started();
    await expectSqlError(db.sql.unsafe(query.replace(':step', `'${stepId}'`)), code, fragment);
  });
});

describe('weft.checkpoint_step', () => {
  it('stores the data of the current attempt, and the next attempt message carries it', async () => {
    const { taskId, stepId } = await started();
    const [r] = await db.sql<{ ok: boolean }[]>`select weft.checkpoint_step(${stepId}::uuid, 1, '{"offset": 500}') as ok`;
    expect(r!.ok).toBe(true);
    const [r2] = await db.sql<{ ok: boolean }[]>`select weft.checkpoint_step(${stepId}::uuid, 1, '{"offset": 900}') as ok`;
    expect(r2!.ok).toBe(true);
    expect((await stepRow(db.sql, taskId, 'only')).checkpoint).toEqual({ offset: 900 });

    await failByName(db.sql, taskId, 'only', { message: 'crashed at 900' });
    await db.sql`select * from weft.fire_timers()`;
    const [next] = (await queued(db.sql, 'hb')).filter((q) => q.message.task_id === taskId);
    expect(next!.message).toMatchObject({ attempt: 2, checkpoint: { offset: 900 } });
  });

  it('returns false for a stale attempt and records it, keeping the stored checkpoint', async () => {
    const { taskId, stepId } = await started();
    await db.sql`select weft.checkpoint_step(${stepId}::uuid, 1, '{"page": 1}')`;
    await failByName(db.sql, taskId, 'only');
    await db.sql`select * from weft.fire_timers()`;
    const [r] = await db.sql<{ ok: boolean }[]>`select weft.checkpoint_step(${stepId}::uuid, 1, '{"page": 7}') as ok`;
    expect(r!.ok).toBe(false);
    expect((await stepRow(db.sql, taskId, 'only')).checkpoint).toEqual({ page: 1 });
    const rows = await db.sql`select kind, reason, payload from weft.rejected_results where step_id = ${stepId}::uuid`;
    expect(rows).toEqual([{ kind: 'checkpoint', reason: 'superseded_attempt', payload: { page: 7 } }]);
  });

  it('rejects null data and data over 1 MiB with WF001', async () => {
    const { stepId } = await started();
    await expectSqlError(db.sql`select weft.checkpoint_step(${stepId}::uuid, 1, null)`, 'WF001', 'checkpoint data must not be null');
    await expectSqlError(
      db.sql`select weft.checkpoint_step(${stepId}::uuid, 1, ${db.sql.json({ blob: 'z'.repeat(1_100_000) })})`,
      'WF001',
      'at most 1 MiB is allowed',
    );
  });
});
