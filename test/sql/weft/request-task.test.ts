/**
 * weft.request_task: ids, root steps enqueued with the documented message, transactions,
 * versions, idempotency, argument errors and delayed starts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDatabase, type TestDatabase } from '../../support/db.js';
import { registerWorkflow, requestTask } from '../../support/sql-driver.js';
import { diamond, expectSqlError, queued, snapshot, stepRow, taskState, transitionsOf, workflow } from './fixtures.js';

let db: TestDatabase;
beforeAll(async () => {
  db = await testDatabase('weft_request');
  await registerWorkflow(db.sql, diamond('req'));
  await registerWorkflow(db.sql, workflow('req', 'versions', [{ name: 'a', handler: 'h1' }], '1'));
  await registerWorkflow(db.sql, workflow('req', 'versions', [{ name: 'a', handler: 'h2' }], '2'));
  await registerWorkflow(
    db.sql,
    workflow('req', 'two_roots', [
      { name: 'x', handler: 'h' },
      { name: 'y', handler: 'h' },
      { name: 'z', handler: 'h', depends_on: ['x', 'y'] },
    ]),
  );
});
afterAll(async () => {
  await db.drop();
});

async function messagesOfTask(taskId: string): Promise<Awaited<ReturnType<typeof queued>>> {
  return (await queued(db.sql, 'req')).filter((m) => m.message.task_id === taskId);
}

describe('weft.request_task creates and starts a task', () => {
  it('returns a version-7 UUID whose timestamp is the request time', async () => {
    const [before] = await db.sql<{ ms: string }[]>`select (extract(epoch from clock_timestamp()) * 1000)::bigint::text as ms`;
    const id = await requestTask(db.sql, 'req', 'diamond', { n: 2 });
    const [after] = await db.sql<{ ms: string }[]>`select (extract(epoch from clock_timestamp()) * 1000)::bigint::text as ms`;
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    const ms = parseInt(id.replace(/-/g, '').slice(0, 12), 16);
    expect(ms).toBeGreaterThanOrEqual(Number(before!.ms));
    expect(ms).toBeLessThanOrEqual(Number(after!.ms));
  });

  it('enqueues the root step with every documented message field', async () => {
    const id = await requestTask(db.sql, 'req', 'diamond', { n: 2 }, { priority: 'high' });
    expect(await taskState(db.sql, id)).toBe('running');
    const msgs = await messagesOfTask(id);
    expect(msgs).toHaveLength(1);
    const start = await stepRow(db.sql, id, 'start');
    expect(msgs[0]!.message).toEqual({
      task_id: id,
      step_id: start.step_id,
      namespace: 'req',
      workflow: { name: 'diamond', version: '1.0.0' },
      step: 'start',
      handler: 'square',
      args: {},
      attempt: 1,
      max_attempts: 3,
      priority: 'high',
      context: { n: 2 },
      kind: 'step',
      parents: {},
      compensates: null,
      checkpoint: null,
      timeout_ms: null,
      heartbeat_ms: null,
      deadline: null,
    });
    expect(start.state).toBe('enqueued');
    expect(start.attempt).toBe(1);
    for (const name of ['left', 'right', 'end']) expect((await stepRow(db.sql, id, name)).state).toBe('pending');
    expect(await transitionsOf(db.sql, id)).toEqual([
      'task ∅→pending (requested)',
      'task pending→running (requested)',
      'start#1 pending→enqueued (requested)',
    ]);
  });

  it('enqueues every root of a workflow with several', async () => {
    const id = await requestTask(db.sql, 'req', 'two_roots');
    const msgs = await messagesOfTask(id);
    expect(msgs.map((m) => m.message.step).sort()).toEqual(['x', 'y']);
    expect((await stepRow(db.sql, id, 'z')).state).toBe('pending');
  });

  it('records who requested it in the transitions', async () => {
    const [r] = await db.sql<{ id: string }[]>`
      select weft.request_task('req', 'diamond', '{"n": 1}', requested_by => 'billing-service') as id`;
    const rows = await db.sql<{ processor_id: string }[]>`
      select processor_id from weft.transitions where task_id = ${r!.id}::uuid and entity = 'task'`;
    expect(rows.map((x) => x.processor_id)).toEqual(['billing-service', 'billing-service']);
  });

  it('leaves no task and no message when the caller rolls back', async () => {
    const before = await snapshot(db.sql);
    let requested: string | undefined;
    await expect(
      db.sql.begin(async (tx) => {
        const [r] = await tx<{ id: string }[]>`select weft.request_task('req', 'diamond', '{"n": 3}') as id`;
        requested = r!.id;
        throw new Error('caller changed its mind');
      }),
    ).rejects.toThrow('caller changed its mind');
    expect(requested).toBeDefined();
    const [t] = await db.sql<{ n: number }[]>`select count(*)::int as n from weft.tasks where task_id = ${requested!}::uuid`;
    expect(t!.n).toBe(0);
    expect(await messagesOfTask(requested!)).toEqual([]);
    expect(await snapshot(db.sql)).toEqual(before);
  });

  it('wakes workers with NOTIFY weft_steps naming the namespace, after commit', async () => {
    const listener = db.connect(1);
    let resolve: (payload: string) => void = () => undefined;
    const heard = new Promise<string>((r) => (resolve = r));
    await listener.listen('weft_steps', (payload) => resolve(payload));
    await requestTask(db.sql, 'req', 'diamond', { n: 1 });
    expect(await heard).toBe('req');
  });
});

describe('weft.request_task versions', () => {
  it('uses the latest registered version by default', async () => {
    const id = await requestTask(db.sql, 'req', 'versions');
    const [m] = await messagesOfTask(id);
    expect(m!.message.workflow.version).toBe('2');
    expect(m!.message.handler).toBe('h2');
  });

  it('uses the version given', async () => {
    const id = await requestTask(db.sql, 'req', 'versions', {}, { version: '1' });
    const [m] = await messagesOfTask(id);
    expect(m!.message.workflow.version).toBe('1');
    expect(m!.message.handler).toBe('h1');
  });
});

describe('weft.request_task idempotency', () => {
  it('returns the same task for the same key and request, creating nothing more', async () => {
    const first = await requestTask(db.sql, 'req', 'diamond', { n: 5 }, { idempotencyKey: 'order-1' });
    const before = await snapshot(db.sql);
    const again = await requestTask(db.sql, 'req', 'diamond', { n: 5 }, { idempotencyKey: 'order-1' });
    expect(again).toBe(first);
    expect(await snapshot(db.sql)).toEqual(before);
  });

  it('raises WF009 for the same key with a different request, naming the key and the task', async () => {
    const first = await requestTask(db.sql, 'req', 'diamond', { n: 6 }, { idempotencyKey: 'order-2' });
    const before = await snapshot(db.sql);
    const e = await expectSqlError(
      db.sql`select weft.request_task('req', 'diamond', '{"n": 7}', idempotency_key => 'order-2')`,
      'WF009',
      'idempotency key "order-2"',
      first,
    );
    expect(e.hint).toContain('new key');
    await expectSqlError(db.sql`select weft.request_task('req', 'diamond', '{"n": 6}', idempotency_key => 'order-2', priority => 'low')`, 'WF009');
    expect(await snapshot(db.sql)).toEqual(before);
  });
});

describe('weft.request_task argument errors (nothing written)', () => {
  it.each([
    ['an unknown workflow', `select weft.request_task('req', 'nope')`, 'WF002', 'workflow req/nope not found'],
    ['an unknown version', `select weft.request_task('req', 'diamond', version => '9.9')`, 'WF002', '(version 9.9)'],
    ['an unknown namespace', `select weft.request_task('elsewhere', 'diamond')`, 'WF002', 'elsewhere/diamond'],
    ['a null namespace', `select weft.request_task(null, 'diamond')`, 'WF001', 'namespace and workflow_name are required'],
    ['a null workflow name', `select weft.request_task('req', null)`, 'WF001', 'got req, null'],
    ['an array context', `select weft.request_task('req', 'diamond', '[1, 2]')`, 'WF001', 'context must be a JSON object, got a JSON array'],
    ['a string context', `select weft.request_task('req', 'diamond', '"n=2"')`, 'WF001', 'got a JSON string'],
    ['an unknown priority', `select weft.request_task('req', 'diamond', priority => 'urgent')`, 'WF001', 'unknown priority "urgent"'],
    ['an empty idempotency key', `select weft.request_task('req', 'diamond', idempotency_key => '')`, 'WF001', 'got 0 characters'],
  ])('rejects %s', async (_what, query, code, fragment) => {
    const before = await snapshot(db.sql);
    await expectSqlError(db.sql.unsafe(query), code, fragment);
    expect(await snapshot(db.sql)).toEqual(before);
  });
});

describe('weft.request_task with run_after (delayed start)', () => {
  it('keeps a future task pending with a timer, and starts it once the clock has passed run_after', async () => {
    const [at] = await db.sql<{ run_after: Date }[]>`select weft.now() + interval '10 minutes' as run_after`;
    const id = await requestTask(db.sql, 'req', 'diamond', { n: 2 }, { runAfter: at!.run_after });
    expect(await taskState(db.sql, id)).toBe('pending');
    expect(await messagesOfTask(id)).toEqual([]);
    const timers = await db.sql<{ kind: string; due_at: Date }[]>`select kind, due_at from weft.pending_timers where task_id = ${id}::uuid`;
    expect(timers).toEqual([{ kind: 'delayed_start', due_at: at!.run_after }]);

    const [early] = await db.sql<{ started_tasks: number }[]>`select started_tasks from weft.fire_timers('timers-test')`;
    expect(early!.started_tasks).toBe(0);
    expect(await taskState(db.sql, id)).toBe('pending');

    await db.sql`select weft.shift_clock(interval '10 minutes 1 second')`;
    const [fired] = await db.sql<{ started_tasks: number }[]>`select started_tasks from weft.fire_timers('timers-test')`;
    expect(fired!.started_tasks).toBe(1);
    expect(await taskState(db.sql, id)).toBe('running');
    expect((await messagesOfTask(id)).map((m) => m.message.step)).toEqual(['start']);
    expect(await db.sql`select 1 from weft.pending_timers where task_id = ${id}::uuid and kind = 'delayed_start'`).toHaveLength(0);
    const [tr] = await db.sql<{ reason: string; processor_id: string }[]>`
      select reason, processor_id from weft.transitions where task_id = ${id}::uuid and to_state = 'running'`;
    expect(tr).toEqual({ reason: 'run_after_reached', processor_id: 'timers-test' });
  });

  it('starts at once when run_after is already past', async () => {
    const [at] = await db.sql<{ run_after: Date }[]>`select weft.now() - interval '1 minute' as run_after`;
    const id = await requestTask(db.sql, 'req', 'diamond', { n: 2 }, { runAfter: at!.run_after });
    expect(await taskState(db.sql, id)).toBe('running');
    expect(await messagesOfTask(id)).toHaveLength(1);
  });

  it('stores the parent task id', async () => {
    const parent = await requestTask(db.sql, 'req', 'diamond', { n: 1 });
    const child = await requestTask(db.sql, 'req', 'diamond', { n: 1 }, { parentTaskId: parent });
    const [t] = await db.sql<{ parent_task_id: string }[]>`select parent_task_id from weft.tasks where task_id = ${child}::uuid`;
    expect(t!.parent_task_id).toBe(parent);
  });
});
