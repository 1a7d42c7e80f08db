/**
 * weft.register_workflow: templates stored as data, immutable versions, validation errors that
 * name the bad value (and write nothing), and the levels view.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDatabase, type TestDatabase } from '../../support/db.js';
import { loadScenario, registerWorkflow } from '../../support/sql-driver.js';
import { diamond, expectSqlError, snapshot, workflow } from './fixtures.js';

let db: TestDatabase;
beforeAll(async () => {
  db = await testDatabase('weft_register');
});
afterAll(async () => {
  await db.drop();
});

describe('weft.register_workflow stores a template', () => {
  it('stores the workflow, its steps with normalized policies and its edges, and creates the namespace queue', async () => {
    const id = await registerWorkflow(db.sql, {
      ...diamond('reg'),
      description: 'a diamond',
    });
    const [w] = await db.sql<{ namespace: string; name: string; version: string; description: string }[]>`
      select namespace, name, version, description from weft.workflows where workflow_id = ${id}::uuid`;
    expect(w).toEqual({ namespace: 'reg', name: 'diamond', version: '1.0.0', description: 'a diamond' });

    const steps = await db.sql<{ name: string; position: number; handler: string; retry: Record<string, unknown>; timeout_ms: number | null }[]>`
      select name, position, handler, retry, timeout_ms from weft.workflow_steps where workflow_id = ${id}::uuid order by position`;
    expect(steps.map((s) => [s.name, s.position, s.handler])).toEqual([
      ['start', 0, 'square'],
      ['left', 1, 'square'],
      ['right', 2, 'double'],
      ['end', 3, 'sum_parents'],
    ]);
    expect(steps[0]!.retry).toEqual({
      strategy: 'exponential',
      base_ms: 1000,
      multiplier: 2,
      max_ms: 300000,
      jitter: false,
      max_attempts: 3,
      retry_on: [],
      dont_retry_on: [],
    });

    const edges = await db.sql<{ parent: string; child: string }[]>`
      select parent, child from weft.workflow_edges where workflow_id = ${id}::uuid order by child, parent`;
    expect(edges.map((e) => `${e.parent}->${e.child}`)).toEqual(['left->end', 'right->end', 'start->left', 'start->right']);

    const queues = await db.sql<{ queue_name: string }[]>`select queue_name from pgmq.list_queues() where queue_name = 'reg'`;
    expect(queues).toHaveLength(1);
    const [ns] = await db.sql<{ queue_name: string }[]>`select queue_name from weft.namespaces where name = 'reg'`;
    expect(ns!.queue_name).toBe('reg');
  });

  it('accepts the scenario format (backoff alias, args, timeout_ms, compensate) and keeps it', async () => {
    const { workflow: def } = loadScenario('retry_then_succeed');
    const id = await registerWorkflow(db.sql, { ...def, namespace: 'reg_scn' });
    const [flaky] = await db.sql<{ retry: Record<string, unknown>; args: Record<string, unknown> }[]>`
      select retry, args from weft.workflow_steps where workflow_id = ${id}::uuid and name = 'flaky'`;
    expect(flaky!.args).toEqual({ failures: 2 });
    expect(flaky!.retry).toMatchObject({ strategy: 'exponential', base_ms: 200, max_ms: 5000, max_attempts: 3, jitter: false });

    const saga = await registerWorkflow(db.sql, { ...loadScenario('saga_compensation').workflow, namespace: 'reg_scn' });
    const comp = await db.sql<{ name: string; compensate: string }[]>`
      select name, compensate from weft.workflow_steps where workflow_id = ${saga}::uuid order by position`;
    expect(comp.map((c) => c.compensate)).toEqual(['undo', 'undo', 'undo']);
  });

  it('returns the same id for the same content again, whatever the key order, and writes nothing', async () => {
    const first = await registerWorkflow(db.sql, workflow('reg', 'same', [{ name: 'a', handler: 'h', retry: { max_attempts: 2, base_ms: 10 } }]));
    const before = await snapshot(db.sql);
    const again = await registerWorkflow(db.sql, {
      steps: [{ retry: { base_ms: 10, max_attempts: 2 }, handler: 'h', name: 'a' }],
      version: '1.0.0',
      name: 'same',
      namespace: 'reg',
    });
    expect(again).toBe(first);
    expect(await snapshot(db.sql)).toEqual(before);
  });

  it('rejects different content under an existing version with WF004 naming it, and writes nothing', async () => {
    await registerWorkflow(db.sql, workflow('reg', 'immutable', [{ name: 'a', handler: 'h' }]));
    const before = await snapshot(db.sql);
    const e = await expectSqlError(
      db.sql`select weft.register_workflow(${db.sql.json(workflow('reg', 'immutable', [{ name: 'a', handler: 'other' }]) as never)})`,
      'WF004',
      'reg/immutable version 1.0.0 already exists',
    );
    expect(e.hint).toContain('new version');
    expect(await snapshot(db.sql)).toEqual(before);
  });

  it('stores a new version beside the old one', async () => {
    const v1 = await registerWorkflow(db.sql, workflow('reg', 'versioned', [{ name: 'a', handler: 'h' }], '1'));
    const v2 = await registerWorkflow(db.sql, workflow('reg', 'versioned', [{ name: 'a', handler: 'h2' }], '2'));
    expect(v2).not.toBe(v1);
    const rows = await db.sql<{ version: string }[]>`select version from weft.workflows where name = 'versioned' order by version`;
    expect(rows.map((r) => r.version)).toEqual(['1', '2']);
  });
});

const ok = (steps: object[]): Record<string, unknown> => ({ namespace: 'reg_bad', name: 'bad', version: '1', steps });

/** [what, definition, fragments of the message]. Every one must be WF003 and write nothing. */
const invalid: [string, unknown, string[]][] = [
  ['an unknown dependency', ok([{ name: 'a', handler: 'h' }, { name: 'b', handler: 'h', depends_on: ['zz'] }]), ['step "b" depends on unknown step "zz"']],
  ['a duplicate step', ok([{ name: 'a', handler: 'h' }, { name: 'a', handler: 'h' }]), ['duplicate step name "a"']],
  ['a self-dependency', ok([{ name: 'a', handler: 'h', depends_on: ['a'] }]), ['step "a" depends on itself']],
  ['a duplicate dependency', ok([{ name: 'a', handler: 'h' }, { name: 'b', handler: 'h', depends_on: ['a', 'a'] }]), ['step "b" lists dependency "a" twice']],
  ['a missing handler', ok([{ name: 'a' }]), ['step "a" has no handler name']],
  ['a blank handler', ok([{ name: 'a', handler: '  ' }]), ['step "a" has no handler name']],
  ['an unknown retry key', ok([{ name: 'a', handler: 'h', retry: { tries: 3 } }]), ['step "a": unknown retry key "tries"']],
  ['an unknown retry strategy', ok([{ name: 'a', handler: 'h', retry: { strategy: 'quadratic' } }]), ['step "a"', 'got "quadratic"']],
  ['retry max_attempts 0', ok([{ name: 'a', handler: 'h', retry: { max_attempts: 0 } }]), ['retry.max_attempts is out of range: 0']],
  ['a negative retry base_ms', ok([{ name: 'a', handler: 'h', retry: { base_ms: -5 } }]), ['retry.base_ms is out of range: -5']],
  ['retry jitter 2', ok([{ name: 'a', handler: 'h', retry: { jitter: 2 } }]), ['retry.jitter must be', 'got 2']],
  ['an unknown retry preset', ok([{ name: 'a', handler: 'h', retry: 'sometimes' }]), ['unknown retry preset "sometimes"']],
  ['timeout_ms 0', ok([{ name: 'a', handler: 'h', timeout_ms: 0 }]), ['step "a": timeout_ms must be a positive whole number', 'got 0']],
  ['timeout_ms -5', ok([{ name: 'a', handler: 'h', timeout_ms: -5 }]), ['got -5']],
  ['timeout_ms 1.5', ok([{ name: 'a', handler: 'h', timeout_ms: 1.5 }]), ['got 1.5']],
  ['a two-step cycle', ok([{ name: 'a', handler: 'h', depends_on: ['b'] }, { name: 'b', handler: 'h', depends_on: ['a'] }]), ['has a cycle: a -> b -> a']],
  [
    'a longer cycle below a root',
    ok([
      { name: 'root', handler: 'h' },
      { name: 'b', handler: 'h', depends_on: ['root', 'd'] },
      { name: 'c', handler: 'h', depends_on: ['b'] },
      { name: 'd', handler: 'h', depends_on: ['c'] },
      { name: 'e', handler: 'h', depends_on: ['d'] },
    ]),
    ['has a cycle: b -> c -> d -> b'],
  ],
  ['an empty steps array', ok([]), ['must have a non-empty steps array']],
  ['an unknown top-level key', { ...ok([{ name: 'a', handler: 'h' }]), stepz: [] }, ['unknown key "stepz"']],
  ['an unknown step key', ok([{ name: 'a', handler: 'h', dependsOn: ['x'] }]), ['step "a": unknown key "dependsOn"']],
  ['a namespace with a quote and a semicolon', { ...ok([{ name: 'a', handler: 'h' }]), namespace: "x'; drop table weft.tasks; --" }, ['workflow namespace must match']],
  ['a step name with spaces', ok([{ name: 'a b', handler: 'h' }]), ['step name must match', '"a b"']],
  ['a missing version', { namespace: 'reg_bad', name: 'bad', steps: [{ name: 'a', handler: 'h' }] }, ['version must be a string like 1.0.0, got nothing']],
];

describe('weft.register_workflow validation (WF003, nothing written)', () => {
  it.each(invalid)('rejects %s', async (_what, definition, fragments) => {
    const before = await snapshot(db.sql);
    await expectSqlError(db.sql`select weft.register_workflow(${db.sql.json(definition as never)})`, 'WF003', ...fragments);
    expect(await snapshot(db.sql)).toEqual(before);
  });

  it('names every step of a cycle in the detail', async () => {
    const e = await expectSqlError(
      db.sql`select weft.register_workflow(${db.sql.json(ok([{ name: 'x', handler: 'h', depends_on: ['y'] }, { name: 'y', handler: 'h', depends_on: ['x'] }]) as never)})`,
      'WF003',
    );
    expect(e.detail).toBe('Steps on the cycle: x, y');
  });

  it.each([
    ['an array', [1, 2], 'got array'],
    ['a string', 'workflow', 'got string'],
    ['a number', 42, 'got number'],
  ])('rejects a definition that is %s with WF001', async (_what, definition, fragment) => {
    const before = await snapshot(db.sql);
    await expectSqlError(db.sql`select weft.register_workflow(${db.sql.json(definition as never)})`, 'WF001', 'must be a JSON object', fragment);
    expect(await snapshot(db.sql)).toEqual(before);
  });

  it('rejects a null definition with WF001', async () => {
    await expectSqlError(db.sql`select weft.register_workflow(null)`, 'WF001', 'got null');
  });
});

describe('weft.workflow_step_levels', () => {
  async function levels(id: string): Promise<Record<string, number>> {
    const rows = await db.sql<{ step_name: string; level: number }[]>`
      select step_name, level from weft.workflow_step_levels where workflow_id = ${id}::uuid`;
    return Object.fromEntries(rows.map((r) => [r.step_name, r.level]));
  }

  it('gives a diamond three levels', async () => {
    const id = await registerWorkflow(db.sql, diamond('levels'));
    expect(await levels(id)).toEqual({ start: 0, left: 1, right: 1, end: 2 });
  });

  it('gives the tree scenario four levels', async () => {
    const id = await registerWorkflow(db.sql, { ...loadScenario('tree').workflow, namespace: 'levels' });
    expect(await levels(id)).toEqual({
      root: 0,
      branch_left: 1,
      branch_right: 1,
      leaf_1: 2,
      leaf_2: 2,
      leaf_3: 2,
      leaf_4: 2,
      join: 3,
    });
  });

  it('puts a step at its longest path from a root', async () => {
    const id = await registerWorkflow(
      db.sql,
      workflow('levels', 'skip', [
        { name: 'a', handler: 'h' },
        { name: 'b', handler: 'h', depends_on: ['a'] },
        { name: 'c', handler: 'h', depends_on: ['a', 'b'] },
      ]),
    );
    expect(await levels(id)).toEqual({ a: 0, b: 1, c: 2 });
  });
});
