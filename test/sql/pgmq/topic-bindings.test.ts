/**
 * Topic bindings (pgmq 1.13.0 §2.8, §3.2): bind_topic, unbind_topic, test_routing,
 * list_topic_bindings, pattern → regex semantics, cascade on drop_queue, and the table's
 * catalog shape.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compatScript } from '../../../src/db/pgmq-backend.js';
import { testDatabase, type TestDatabase } from '../../support/db.js';

let db: TestDatabase;
beforeAll(async () => {
  db = await testDatabase('topic_bindings');
  for (const q of ['rx', 'q1', 'q2', 'solo', 'gone', 'CaseQ']) await db.sql`select pgmq.create(${q})`;
});
afterAll(async () => {
  await db.drop();
});

interface Binding {
  pattern: string;
  queue_name: string;
  compiled_regex: string;
}

const bind = (pattern: string | null, queue: string | null) => db.sql`select pgmq.bind_topic(${pattern}::text, ${queue}::text)`;
const unbind = async (pattern: string | null, queue: string | null): Promise<boolean> => {
  const [row] = await db.sql<{ ok: boolean }[]>`select pgmq.unbind_topic(${pattern}::text, ${queue}::text) as ok`;
  return row!.ok;
};
const bindingsOf = (queue: string) =>
  db.sql<Binding[]>`select pattern, queue_name, compiled_regex from pgmq.list_topic_bindings(${queue}::text)`;

describe('pgmq.bind_topic', () => {
  it('stores the binding with its compiled regex', async () => {
    await bind('orders.*', 'solo');
    expect(await bindingsOf('solo')).toEqual([{ pattern: 'orders.*', queue_name: 'solo', compiled_regex: '^orders\\.[^.]+$' }]);
  });

  it('is idempotent: a second bind keeps one row and its first bound_at', async () => {
    await bind('billing.#', 'solo');
    const [before] = await db.sql<{ bound_at: Date }[]>`
      select bound_at from pgmq.topic_bindings where pattern = 'billing.#' and queue_name = 'solo'`;
    await bind('billing.#', 'solo');
    const rows = await db.sql<{ bound_at: Date }[]>`
      select bound_at from pgmq.topic_bindings where pattern = 'billing.#' and queue_name = 'solo'`;
    expect(rows).toEqual([{ bound_at: before!.bound_at }]);
  });

  it.each([
    // The pattern is validated before the queue name.
    ['', null, 'pattern cannot be NULL or empty'],
    ['a..b', null, 'pattern cannot contain consecutive dots. Got: a..b'],
    ['a.*', null, 'queue_name cannot be NULL or empty'],
    ['a.*', '', 'queue_name cannot be NULL or empty'],
    ['a.*', 'missing', 'Queue "missing" does not exist. Create the queue first using pgmq.create()'],
    // The queue must be spelled as in pgmq.meta (here: CaseQ).
    ['a.*', 'caseq', 'Queue "caseq" does not exist. Create the queue first using pgmq.create()'],
  ])('rejects (%j, %j)', async (pattern, queue, message) => {
    await expect(bind(pattern, queue)).rejects.toMatchObject({ code: 'P0001', message });
  });

  it('binds a queue by the spelling it was created with', async () => {
    await bind('case.*', 'CaseQ');
    expect(await bindingsOf('CaseQ')).toEqual([{ pattern: 'case.*', queue_name: 'CaseQ', compiled_regex: '^case\\.[^.]+$' }]);
  });
});

describe('pgmq.unbind_topic', () => {
  it('returns true when it removed the binding, false afterwards', async () => {
    await bind('temp.*', 'solo');
    expect(await unbind('temp.*', 'solo')).toBe(true);
    expect(await unbind('temp.*', 'solo')).toBe(false);
    expect((await bindingsOf('solo')).map((b) => b.pattern)).not.toContain('temp.*');
  });

  it('returns false for a binding that never existed, even with an invalid pattern', async () => {
    expect(await unbind('never.*', 'solo')).toBe(false);
    expect(await unbind('not valid!', 'solo')).toBe(false);
  });

  it.each([
    [null, 'solo', 'pattern cannot be NULL or empty'],
    ['', null, 'pattern cannot be NULL or empty'],
    ['a.*', null, 'queue_name cannot be NULL or empty'],
    ['a.*', '', 'queue_name cannot be NULL or empty'],
  ])('rejects (%j, %j)', async (pattern, queue, message) => {
    await expect(unbind(pattern, queue)).rejects.toMatchObject({ code: 'P0001', message });
  });
});

describe('pattern semantics (compiled_regex, through pgmq.test_routing)', () => {
  const patterns = ['logs.*', 'logs.#', '#', '*.error', '#.error', 'app.*.#', 'a.b', 'a-b.c_d', 'Logs.*', '*'];

  beforeAll(async () => {
    await db.sql.begin(async (tx) => {
      for (const p of patterns) await tx`select pgmq.bind_topic(${p}, 'rx')`;
    });
  });

  /** Patterns bound to `rx` that the key matches, sorted (the order is tested separately). */
  const matching = async (key: string): Promise<string[]> => {
    const rows = await db.sql<Binding[]>`select pattern, queue_name, compiled_regex from pgmq.test_routing(${key}) where queue_name = 'rx'`;
    return rows.map((r) => r.pattern).sort();
  };

  it.each([
    // `*` is exactly one segment; `#` is anything, so `logs.#` needs at least `logs.`.
    ['logs', ['#', '*']],
    ['logs.error', ['#', '#.error', '*.error', 'logs.#', 'logs.*']],
    ['logs.api.error', ['#', '#.error', 'logs.#']],
    ['logsx.error', ['#', '#.error', '*.error']],
    // `#.error` needs a dot before `error`.
    ['error', ['#', '*']],
    ['app.x', ['#']],
    ['app.x.y', ['#', 'app.*.#']],
    ['app.x.y.z', ['#', 'app.*.#']],
    // Dots and other regex metacharacters in a pattern are literal.
    ['a.b', ['#', 'a.b']],
    ['axb', ['#', '*']],
    ['a-b.c_d', ['#', 'a-b.c_d']],
    // Matching is case-sensitive.
    ['Logs.error', ['#', '#.error', '*.error', 'Logs.*']],
  ])('routing key %s matches %j', async (key, expected) => {
    expect(await matching(key)).toEqual([...expected].sort());
  });

  it('compiles each wildcard and escapes dots', async () => {
    const rows = await db.sql<{ pattern: string; compiled_regex: string }[]>`
      select pattern, compiled_regex from pgmq.list_topic_bindings('rx')`;
    expect(Object.fromEntries(rows.map((r) => [r.pattern, r.compiled_regex]))).toEqual({
      '#': '^.*$',
      '#.error': '^.*\\.error$',
      '*': '^[^.]+$',
      '*.error': '^[^.]+\\.error$',
      'Logs.*': '^Logs\\.[^.]+$',
      'a-b.c_d': '^a-b\\.c_d$',
      'a.b': '^a\\.b$',
      'app.*.#': '^app\\.[^.]+\\..*$',
      'logs.#': '^logs\\..*$',
      'logs.*': '^logs\\.[^.]+$',
    });
  });

  it('returns no binding for a key nothing matches but `#`', async () => {
    const rows = await db.sql<Binding[]>`select * from pgmq.test_routing('nothing.bound.here') where pattern <> '#' and queue_name in ('rx', 'q1', 'q2', 'solo')`;
    expect(rows).toEqual([]);
  });
});

describe('pgmq.test_routing ordering', () => {
  it('orders the matching bindings by pattern (in the database collation)', async () => {
    // Bound in an order that is neither sorted nor reverse-sorted, in separate transactions.
    const patterns = ['ord.*', '#.key', 'ord.key', 'ord.#', '*.key'];
    for (const p of patterns) await bind(p, 'q1');
    const rows = await db.sql<Binding[]>`select * from pgmq.test_routing('ord.key') where queue_name = 'q1'`;
    const sorted = await db.sql<{ p: string }[]>`select p from unnest(${patterns}::text[]) as p order by p`;
    expect(rows.map((r) => r.pattern)).toEqual(sorted.map((r) => r.p));
    expect(rows.every((r) => r.queue_name === 'q1')).toBe(true);
  });

  it('test_routing validates the routing key', async () => {
    await expect(db.sql`select * from pgmq.test_routing('logs.*')`).rejects.toMatchObject({
      code: 'P0001',
      message: 'routing_key contains invalid characters. Only alphanumeric, dots, hyphens, and underscores are allowed. Got: logs.*',
    });
  });
});

describe('pgmq.list_topic_bindings', () => {
  it('lists newest first, then by pattern and queue; per queue newest first, then by pattern', async () => {
    await db.sql`select pgmq.create('l1')`;
    await db.sql`select pgmq.create('l2')`;
    // One transaction: one bound_at (now() is the transaction start) for these three.
    await db.sql.begin(async (tx) => {
      await tx`select pgmq.bind_topic('list.b', 'l1')`;
      await tx`select pgmq.bind_topic('list.a', 'l2')`;
      await tx`select pgmq.bind_topic('list.a', 'l1')`;
    });
    await bind('list.z', 'l1');
    const all = await db.sql<Binding[]>`select * from pgmq.list_topic_bindings() where queue_name in ('l1', 'l2')`;
    expect(all.map((r) => [r.pattern, r.queue_name])).toEqual([
      ['list.z', 'l1'],
      ['list.a', 'l1'],
      ['list.a', 'l2'],
      ['list.b', 'l1'],
    ]);
    const l1 = await db.sql<(Binding & { bound_at: Date })[]>`select * from pgmq.list_topic_bindings('l1')`;
    expect(l1.map((r) => r.pattern)).toEqual(['list.z', 'list.a', 'list.b']);
    expect(l1[0]!.bound_at.getTime()).toBeGreaterThan(l1[1]!.bound_at.getTime());
    expect(Object.keys(l1[0]!)).toEqual(['pattern', 'queue_name', 'bound_at', 'compiled_regex']);
  });

  it('gives an empty list for an unknown queue', async () => {
    expect(await db.sql`select * from pgmq.list_topic_bindings('nobody')`).toEqual([]);
  });
});

describe('drop_queue', () => {
  it('removes the queue\'s bindings (and only them)', async () => {
    await bind('drop.*', 'gone');
    await bind('drop.*', 'q2');
    await db.sql`select pgmq.drop_queue('gone')`;
    expect(await bindingsOf('gone')).toEqual([]);
    expect((await bindingsOf('q2')).map((b) => b.pattern)).toContain('drop.*');
  });
});

describe('pgmq.topic_bindings catalog', () => {
  it('has the columns, constraints and indexes of pgmq 1.13.0', async () => {
    const columns = await db.sql`
      select a.attname as name, pg_catalog.format_type(a.atttypid, a.atttypmod) as type, a.attnotnull as not_null,
             pg_catalog.pg_get_expr(d.adbin, d.adrelid) as default, a.attgenerated as generated
      from pg_catalog.pg_attribute a
      left join pg_catalog.pg_attrdef d on d.adrelid = a.attrelid and d.adnum = a.attnum
      where a.attrelid = 'pgmq.topic_bindings'::regclass and a.attnum > 0 and not a.attisdropped
      order by a.attnum`;
    expect(columns).toEqual([
      { name: 'pattern', type: 'text', not_null: true, default: null, generated: '' },
      { name: 'queue_name', type: 'text', not_null: true, default: null, generated: '' },
      { name: 'bound_at', type: 'timestamp with time zone', not_null: true, default: 'now()', generated: '' },
      {
        name: 'compiled_regex',
        type: 'text',
        not_null: false,
        default:
          "(('^'::text || replace(replace(regexp_replace(pattern, '([.+?{}()|\\[\\]\\\\^$])'::text, '\\\\\\1'::text, 'g'::text), '*'::text, '[^.]+'::text), '#'::text, '.*'::text)) || '$'::text)",
        generated: 's',
      },
    ]);
    const constraints = await db.sql`
      select conname as name, pg_catalog.pg_get_constraintdef(oid) as definition
      from pg_catalog.pg_constraint where conrelid = 'pgmq.topic_bindings'::regclass order by conname`;
    expect(constraints).toEqual([
      { name: 'topic_bindings_meta_queue_name_fk', definition: 'FOREIGN KEY (queue_name) REFERENCES pgmq.meta(queue_name) ON DELETE CASCADE' },
      { name: 'topic_bindings_unique_pattern_queue', definition: 'UNIQUE (pattern, queue_name)' },
    ]);
    const indexes = await db.sql`
      select c.relname as name, pg_catalog.pg_get_indexdef(i.indexrelid) as definition
      from pg_catalog.pg_index i join pg_catalog.pg_class c on c.oid = i.indexrelid
      where i.indrelid = 'pgmq.topic_bindings'::regclass order by c.relname`;
    expect(indexes).toEqual([
      {
        name: 'idx_topic_bindings_covering',
        definition: 'CREATE INDEX idx_topic_bindings_covering ON pgmq.topic_bindings USING btree (pattern) INCLUDE (queue_name, compiled_regex)',
      },
      {
        name: 'topic_bindings_unique_pattern_queue',
        definition: 'CREATE UNIQUE INDEX topic_bindings_unique_pattern_queue ON pgmq.topic_bindings USING btree (pattern, queue_name)',
      },
    ]);
  });
});

describe('re-applying sql/pgmq (upgrade path)', () => {
  it('keeps bindings, throttle rows and notify triggers', async () => {
    await db.sql`select pgmq.create('keep')`;
    await db.sql`select pgmq.bind_topic('keep.#', 'keep')`;
    await db.sql`select pgmq.enable_notify_insert('keep', 42)`;
    const snapshot = () =>
      db.sql`
        select (select json_agg(json_build_object('p', pattern, 'q', queue_name, 'r', compiled_regex) order by pattern, queue_name)
                from pgmq.topic_bindings) as bindings,
               (select json_agg(json_build_object('q', queue_name, 'ms', throttle_interval_ms) order by queue_name)
                from pgmq.notify_insert_throttle) as throttles,
               (select count(*)::int from pg_catalog.pg_trigger
                where tgname = 'trigger_notify_queue_insert_listeners' and tgrelid = 'pgmq.q_keep'::regclass) as triggers`;
    const before = await snapshot();
    const { script } = compatScript();
    await db.sql.begin((tx) => tx.unsafe(script));
    expect(await snapshot()).toEqual(before);
    expect(before[0]!.triggers).toBe(1);
    await db.sql`select pgmq.send_topic('keep.it', '{"ok":true}'::jsonb)`;
    expect(await db.sql`select message from pgmq.q_keep`).toEqual([{ message: { ok: true } }]);
  });
});
