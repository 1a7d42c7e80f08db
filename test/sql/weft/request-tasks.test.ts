/**
 * weft.request_tasks: ids in request order, each task with its context, steps and root
 * messages; delayed starts; idempotency across and inside batches; argument errors (the whole
 * batch or nothing); one key requested by two sessions at once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sql } from '../../../src/db/connection.js';
import { testDatabase, type TestDatabase } from '../../support/db.js';
import { registerWorkflow } from '../../support/sql-driver.js';
import { expectSqlError, queued, snapshot, untilBlocked, workflow } from './fixtures.js';

const NS = 'rts';
let db: TestDatabase;
beforeAll(async () => {
  db = await testDatabase('weft_request_tasks');
  // Two roots (x, y) and a join (z): the order of messages is visible inside a task too.
  await registerWorkflow(
    db.sql,
    workflow(NS, 'pair', [
      { name: 'x', handler: 'h' },
      { name: 'y', handler: 'h' },
      { name: 'z', handler: 'h', depends_on: ['x', 'y'] },
    ]),
  );
});
afterAll(async () => {
  await db.drop();
});

/** Calls weft.request_tasks on workflow `pair` (contexts and keys sent as JSON arrays, unnested in order); the ids in order. */
async function requestTasks(sql: Sql, contexts: unknown[], options: { keys?: (string | null)[]; runAfter?: Date } = {}): Promise<string[]> {
  const keys = options.keys
    ? sql`array(select k from jsonb_array_elements_text(${sql.json(options.keys)}) with ordinality as x (k, i) order by i)`
    : sql`null`;
  const rows = await sql<{ id: string }[]>`
    select id from weft.request_tasks(${NS}, 'pair',
      array(select c from jsonb_array_elements(${sql.json(contexts as never)}) with ordinality as x (c, i) order by i),
      idempotency_keys => ${keys}, run_after => ${options.runAfter ?? null}, requested_by => 'bulk-service')
      with ordinality as r (id, i) order by i`;
  return rows.map((r) => r.id);
}

async function tasksWithKey(key: string): Promise<number> {
  const [r] = await db.sql<{ n: number }[]>`select count(*)::int as n from weft.tasks where idempotency_key = ${key}`;
  return r!.n;
}

describe('weft.request_tasks creates and starts many tasks', () => {
  it('returns the ids in the order given; each task has its context, all its steps and its root messages, in that order', async () => {
    const contexts = [{ n: 3 }, { n: 1 }, { n: 2, tag: 'last' }];
    const ids = await requestTasks(db.sql, contexts);
    expect(ids).toHaveLength(3);
    expect(new Set(ids).size).toBe(3);
    const tasks = await db.sql<{ task_id: string; context: unknown; state: string }[]>`
      select task_id, context, state::text from weft.tasks where task_id = any (${ids}::uuid[])`;
    expect(ids.map((id) => tasks.find((t) => t.task_id === id))).toEqual(
      ids.map((id, i) => ({ task_id: id, context: contexts[i], state: 'running' })),
    );
    const steps = await db.sql<{ task_id: string; name: string; state: string }[]>`
      select task_id, name, state::text from weft.steps where task_id = any (${ids}::uuid[]) order by task_id, position`;
    for (const id of ids) {
      expect(steps.filter((s) => s.task_id === id).map((s) => `${s.name}:${s.state}`)).toEqual(['x:enqueued', 'y:enqueued', 'z:pending']);
    }
    const msgs = (await queued(db.sql, NS)).filter((m) => ids.includes(m.message.task_id));
    expect(msgs.map((m) => [m.message.task_id, m.message.step, m.message.context])).toEqual(
      ids.flatMap((id, i) => [[id, 'x', contexts[i]], [id, 'y', contexts[i]]]),
    );
  });

  it('writes the pending and running transitions of each task, by who requested them', async () => {
    const ids = await requestTasks(db.sql, [{ n: 1 }, { n: 2 }]);
    const rows = await db.sql<{ task_id: string; change: string }[]>`
      select task_id, coalesce(from_state::text, '∅') || '→' || to_state || ' (' || reason || ', ' || processor_id || ')' as change
      from weft.transitions where entity = 'task' and task_id = any (${ids}::uuid[]) order by transition_id`;
    for (const id of ids) {
      expect(rows.filter((r) => r.task_id === id).map((r) => r.change)).toEqual(['∅→pending (requested, bulk-service)', 'pending→running (requested, bulk-service)']);
    }
  });

  it('keeps the tasks pending, without messages, when run_after is in the future', async () => {
    const [at] = await db.sql<{ t: Date }[]>`select weft.now() + interval '10 minutes' as t`;
    const ids = await requestTasks(db.sql, [{ n: 1 }, { n: 2 }], { runAfter: at!.t });
    const states = await db.sql<{ state: string }[]>`
      select state::text from weft.tasks where task_id = any (${ids}::uuid[])
      union all select state::text from weft.steps where task_id = any (${ids}::uuid[])`;
    expect(states).toHaveLength(8);
    expect(new Set(states.map((s) => s.state))).toEqual(new Set(['pending']));
    expect((await queued(db.sql, NS)).filter((m) => ids.includes(m.message.task_id))).toEqual([]);
  });
});

describe('weft.request_tasks idempotency', () => {
  it('returns the existing task for a key reused with the same request, creating nothing', async () => {
    const first = await requestTasks(db.sql, [{ n: 1 }, { n: 2 }], { keys: ['same-1', 'same-2'] });
    const before = await snapshot(db.sql);
    expect(await requestTasks(db.sql, [{ n: 1 }, { n: 2 }], { keys: ['same-1', 'same-2'] })).toEqual(first);
    expect(await snapshot(db.sql)).toEqual(before);
  });

  it('creates a new task for each null key beside keyed ones', async () => {
    const first = await requestTasks(db.sql, [{ n: 1 }, { n: 2 }, { n: 3 }], { keys: ['mix-1', null, 'mix-3'] });
    expect(new Set(first).size).toBe(3);
    const again = await requestTasks(db.sql, [{ n: 1 }, { n: 2 }, { n: 3 }], { keys: ['mix-1', null, 'mix-3'] });
    expect([again[0], again[2]]).toEqual([first[0], first[2]]);
    expect(first).not.toContain(again[1]);
    const [t] = await db.sql<{ n: number }[]>`select count(*)::int as n from weft.tasks where task_id = any (${[...first, ...again]}::uuid[])`;
    expect(t!.n).toBe(4);
  });

  it('raises WF009 naming the key for a key used with a different request, and rolls back the whole batch', async () => {
    const [existing] = await requestTasks(db.sql, [{ n: 1 }], { keys: ['diff-1'] });
    const before = await snapshot(db.sql);
    await expectSqlError(requestTasks(db.sql, [{ n: 5 }, { n: 2 }], { keys: ['diff-new', 'diff-1'] }), 'WF009', 'idempotency key "diff-1"', existing!);
    expect(await snapshot(db.sql)).toEqual(before);
    expect(await tasksWithKey('diff-new')).toBe(0);
  });

  it('makes one task of a key given twice in one batch with identical requests', async () => {
    const ids = await requestTasks(db.sql, [{ n: 4 }, { n: 7 }, { n: 4 }], { keys: ['twice', 'once', 'twice'] });
    expect(ids[2]).toBe(ids[0]);
    expect(ids[1]).not.toBe(ids[0]);
    expect(await tasksWithKey('twice')).toBe(1);
    const msgs = (await queued(db.sql, NS)).filter((m) => m.message.task_id === ids[0]);
    expect(msgs.map((m) => m.message.step)).toEqual(['x', 'y']);
  });

  it('raises WF009 for a key given twice in one batch with different requests, creating nothing', async () => {
    const before = await snapshot(db.sql);
    await expectSqlError(requestTasks(db.sql, [{ n: 4 }, { n: 5 }], { keys: ['clash', 'clash'] }), 'WF009', 'idempotency key "clash"');
    expect(await snapshot(db.sql)).toEqual(before);
  });
});

describe('weft.request_tasks argument errors (nothing written)', () => {
  const call = (args: string) => `select * from weft.request_tasks('${NS}', ${args}`;
  it.each([
    ['null contexts', call(`'pair', null)`), 'WF001', 'contexts must hold 1 to 10000 contexts, got null'],
    ['empty contexts', call(`'pair', array[]::jsonb[])`), 'WF001', 'got 0'],
    ['10001 contexts', call(`'pair', array(select '{}'::jsonb from generate_series(1, 10001)))`), 'WF001', 'got 10001'],
    ['an element not an object', call(`'pair', array['{}', '{}', '[1]']::jsonb[])`), 'WF001', 'got a JSON array (element 3)'],
    ['keys of another length', call(`'pair', array['{}', '{}']::jsonb[], idempotency_keys => array['k1'])`), 'WF001', '1 keys for 2 contexts'],
    ['an empty key', call(`'pair', array['{}', '{}']::jsonb[], idempotency_keys => array['k1', ''])`), 'WF001', 'got 0 characters'],
    ['an unknown priority', call(`'pair', array['{}']::jsonb[], priority => 'urgent')`), 'WF001', 'unknown priority "urgent"'],
    ['an unknown workflow', call(`'nope', array['{}']::jsonb[])`), 'WF002', 'workflow rts/nope not found'],
  ])('rejects %s', async (_what, query, code, fragment) => {
    const before = await snapshot(db.sql);
    await expectSqlError(db.sql.unsafe(query), code, fragment);
    expect(await snapshot(db.sql)).toEqual(before);
  });
});

describe('weft.request_tasks from two sessions at once', () => {
  it('gives both sessions the same task ids, one task per key, when the second waits on the first one\'s open transaction', async () => {
    const a = await db.connect(1).reserve();
    const b = await db.connect(1).reserve();
    try {
      const [who] = await b<{ pid: number }[]>`select pg_backend_pid() as pid`;
      const keys = ['conc-1', 'conc-2', 'conc-3'];
      const contexts = [{ n: 1 }, { n: 2 }, { n: 3 }];
      await a`begin`;
      const first = await requestTasks(a as unknown as Sql, contexts, { keys });
      const second = requestTasks(b as unknown as Sql, contexts, { keys });
      await untilBlocked(db.sql, who!.pid); // b's insert waits for a's uncommitted keys
      await a`commit`;
      expect(await second).toEqual(first);
      for (const k of keys) expect(await tasksWithKey(k)).toBe(1);
      const msgs = (await queued(db.sql, NS)).filter((m) => first.includes(m.message.task_id));
      expect(msgs).toHaveLength(6);
    } finally {
      await a`rollback`.catch(() => undefined);
      a.release();
      b.release();
    }
  });
});
