/**
 * Insert notifications, management side (pgmq 1.13.0 §2.7, §3.2): enable_notify_insert,
 * disable_notify_insert, update_notify_insert, list_notify_insert_throttles, their errors, the
 * trigger they install, cascade on drop_queue, and the throttle table's catalog shape.
 * What listeners receive is in notify-listen.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDatabase, type TestDatabase } from '../../support/db.js';

let db: TestDatabase;
beforeAll(async () => {
  db = await testDatabase('notify_insert');
  for (const q of ['n_default', 'n_zero', 'n_update', 'n_plain', 'n_gone', 'MixedQ']) await db.sql`select pgmq.create(${q})`;
});
afterAll(async () => {
  await db.drop();
});

interface Throttle {
  queue_name: string;
  throttle_interval_ms: number;
  last_notified_at: Date;
}

const EPOCH = new Date(0);
const throttles = () => db.sql<Throttle[]>`select * from pgmq.list_notify_insert_throttles()`;
const throttleOf = async (queue: string) => (await throttles()).find((t) => t.queue_name === queue);

/** The notify trigger of a q-table, as the catalog describes it (empty when absent). */
function triggerOn(table: string) {
  return db.sql<{ name: string; constraint: boolean; deferrable: boolean; deferred: boolean; definition: string }[]>`
    select t.tgname as name, t.tgconstraint <> 0 as constraint, t.tgdeferrable as deferrable,
           t.tginitdeferred as deferred, pg_catalog.pg_get_triggerdef(t.oid) as definition
    from pg_catalog.pg_trigger t
    where t.tgrelid = ${'pgmq.' + table}::regclass and not t.tgisinternal`;
}

describe('pgmq.enable_notify_insert', () => {
  it('defaults to a 250 ms throttle, last_notified_at at epoch, and installs a deferrable constraint trigger', async () => {
    await db.sql`select pgmq.enable_notify_insert('n_default')`;
    expect(await throttleOf('n_default')).toEqual({ queue_name: 'n_default', throttle_interval_ms: 250, last_notified_at: EPOCH });
    expect(await triggerOn('q_n_default')).toEqual([
      {
        name: 'trigger_notify_queue_insert_listeners',
        constraint: true,
        deferrable: true,
        deferred: false,
        definition:
          'CREATE CONSTRAINT TRIGGER trigger_notify_queue_insert_listeners AFTER INSERT ON pgmq.q_n_default DEFERRABLE INITIALLY IMMEDIATE FOR EACH ROW EXECUTE FUNCTION pgmq.notify_queue_listeners()',
      },
    ]);
  });

  it('accepts 0 (notify on every insert) and, called again, replaces the setting and resets the clock', async () => {
    await db.sql`select pgmq.enable_notify_insert('n_zero', 0)`;
    expect(await throttleOf('n_zero')).toMatchObject({ throttle_interval_ms: 0, last_notified_at: EPOCH });
    await db.sql`select pgmq.send('n_zero', '{}'::jsonb)`;
    expect((await throttleOf('n_zero'))!.last_notified_at.getTime()).toBeGreaterThan(0);
    await db.sql`select pgmq.enable_notify_insert('n_zero', 1000)`;
    expect(await throttleOf('n_zero')).toMatchObject({ throttle_interval_ms: 1000, last_notified_at: EPOCH });
    expect(await triggerOn('q_n_zero')).toHaveLength(1);
  });

  it.each([
    // Queue name characters are checked first, then the interval, then the queue's table.
    [`select pgmq.enable_notify_insert('bad;name', -1)`, 'queue name contains invalid characters: $, ;, --, or \\\''],
    [`select pgmq.enable_notify_insert('missing', -1)`, 'throttle_interval_ms must be non-negative'],
    [`select pgmq.enable_notify_insert('n_plain', -250)`, 'throttle_interval_ms must be non-negative'],
    [`select pgmq.enable_notify_insert('missing')`, 'Queue "missing" does not exist. Create it first using pgmq.create()'],
    [`select pgmq.enable_notify_insert('missing', 0)`, 'Queue "missing" does not exist. Create it first using pgmq.create()'],
  ])('%s fails', async (query, message) => {
    await expect(db.sql.unsafe(query)).rejects.toMatchObject({ code: 'P0001', message });
    expect(await throttleOf('n_plain')).toBeUndefined();
  });
});

describe('pgmq.disable_notify_insert', () => {
  it('drops the trigger and the throttle row', async () => {
    await db.sql`select pgmq.enable_notify_insert('n_plain', 5)`;
    await db.sql`select pgmq.disable_notify_insert('n_plain')`;
    expect(await throttleOf('n_plain')).toBeUndefined();
    expect(await triggerOn('q_n_plain')).toEqual([]);
  });

  it('is a no-op for a queue without notifications and for a missing queue', async () => {
    await db.sql`select pgmq.disable_notify_insert('n_plain')`;
    await db.sql`select pgmq.disable_notify_insert('missing')`;
    expect(await throttleOf('n_plain')).toBeUndefined();
  });

  it('still checks the queue name characters', async () => {
    await expect(db.sql`select pgmq.disable_notify_insert('x--y')`).rejects.toMatchObject({
      code: 'P0001',
      message: "queue name contains invalid characters: $, ;, --, or \\'",
    });
  });
});

describe('pgmq.update_notify_insert', () => {
  it('sets the interval and resets last_notified_at to epoch', async () => {
    await db.sql`select pgmq.enable_notify_insert('n_update', 0)`;
    await db.sql`select pgmq.send('n_update', '{}'::jsonb)`;
    expect((await throttleOf('n_update'))!.last_notified_at.getTime()).toBeGreaterThan(0);
    await db.sql`select pgmq.update_notify_insert('n_update', 60000)`;
    expect(await throttleOf('n_update')).toEqual({ queue_name: 'n_update', throttle_interval_ms: 60000, last_notified_at: EPOCH });
    expect(await triggerOn('q_n_update')).toHaveLength(1);
  });

  it.each([
    // The interval is checked first, then the queue (exact spelling in pgmq.meta), then the throttle row.
    [`select pgmq.update_notify_insert('missing', -1)`, 'throttle_interval_ms must be non-negative, got: -1'],
    [`select pgmq.update_notify_insert('missing', 10)`, 'Queue "missing" does not exist. Create the queue first using pgmq.create()'],
    [`select pgmq.update_notify_insert('n_UPDATE', 10)`, 'Queue "n_UPDATE" does not exist. Create the queue first using pgmq.create()'],
    [`select pgmq.update_notify_insert('n_plain', 10)`, 'Queue "n_plain" does not have notify_insert enabled. Enable it first using pgmq.enable_notify_insert()'],
  ])('%s fails', async (query, message) => {
    await expect(db.sql.unsafe(query)).rejects.toMatchObject({ code: 'P0001', message });
  });
});

describe('pgmq.list_notify_insert_throttles', () => {
  it('lists every enabled queue, ordered by queue name, with the columns of 1.13.0', async () => {
    // Only this file's queues (n_*): weft's own queues may have notifications enabled too.
    const rows = (await throttles()).filter((t) => t.queue_name.startsWith('n_'));
    expect(rows.map((r) => r.queue_name)).toEqual(['n_default', 'n_update', 'n_zero']);
    expect(Object.keys(rows[0]!)).toEqual(['queue_name', 'throttle_interval_ms', 'last_notified_at']);
  });
});

describe('upper-case queue names (pgmq 1.13.0 quirk)', () => {
  it('enables by the spelling used at create; the lower-cased spelling fails on the foreign key', async () => {
    await db.sql`select pgmq.enable_notify_insert('MixedQ', 0)`;
    expect(await throttleOf('MixedQ')).toMatchObject({ throttle_interval_ms: 0 });
    // The table lookup is case-insensitive (q_mixedq exists), the throttle row's FK is not.
    await expect(db.sql`select pgmq.enable_notify_insert('mixedq', 0)`).rejects.toMatchObject({
      code: '23503',
      constraint_name: 'notify_insert_throttle_meta_queue_name_fk',
    });
    await db.sql`select pgmq.disable_notify_insert('MixedQ')`;
  });
});

describe('drop_queue', () => {
  it('deletes the throttle row with the queue', async () => {
    await db.sql`select pgmq.enable_notify_insert('n_gone')`;
    await db.sql`select pgmq.drop_queue('n_gone')`;
    expect(await throttleOf('n_gone')).toBeUndefined();
  });
});

describe('pgmq.notify_insert_throttle catalog', () => {
  it('is UNLOGGED with the columns, constraints and indexes of pgmq 1.13.0', async () => {
    expect(await db.sql`select relpersistence from pg_catalog.pg_class where oid = 'pgmq.notify_insert_throttle'::regclass`).toEqual([
      { relpersistence: 'u' },
    ]);
    const columns = await db.sql`
      select a.attname as name, pg_catalog.format_type(a.atttypid, a.atttypmod) as type, a.attnotnull as not_null,
             pg_catalog.pg_get_expr(d.adbin, d.adrelid) as default
      from pg_catalog.pg_attribute a
      left join pg_catalog.pg_attrdef d on d.adrelid = a.attrelid and d.adnum = a.attnum
      where a.attrelid = 'pgmq.notify_insert_throttle'::regclass and a.attnum > 0 and not a.attisdropped
      order by a.attnum`;
    expect(columns).toEqual([
      { name: 'queue_name', type: 'character varying', not_null: true, default: null },
      { name: 'throttle_interval_ms', type: 'integer', not_null: true, default: '0' },
      { name: 'last_notified_at', type: 'timestamp with time zone', not_null: true, default: 'to_timestamp((0)::double precision)' },
    ]);
    const constraints = await db.sql`
      select conname as name, pg_catalog.pg_get_constraintdef(oid) as definition
      from pg_catalog.pg_constraint where conrelid = 'pgmq.notify_insert_throttle'::regclass order by conname`;
    expect(constraints).toEqual([
      { name: 'notify_insert_throttle_meta_queue_name_fk', definition: 'FOREIGN KEY (queue_name) REFERENCES pgmq.meta(queue_name) ON DELETE CASCADE' },
      { name: 'notify_insert_throttle_queue_name_key', definition: 'UNIQUE (queue_name)' },
    ]);
    const indexes = await db.sql`
      select c.relname as name, pg_catalog.pg_get_indexdef(i.indexrelid) as definition
      from pg_catalog.pg_index i join pg_catalog.pg_class c on c.oid = i.indexrelid
      where i.indrelid = 'pgmq.notify_insert_throttle'::regclass order by c.relname`;
    expect(indexes).toEqual([
      {
        name: 'idx_notify_throttle_active',
        definition:
          'CREATE INDEX idx_notify_throttle_active ON pgmq.notify_insert_throttle USING btree (queue_name, last_notified_at) WHERE (throttle_interval_ms > 0)',
      },
      {
        name: 'notify_insert_throttle_queue_name_key',
        definition: 'CREATE UNIQUE INDEX notify_insert_throttle_queue_name_key ON pgmq.notify_insert_throttle USING btree (queue_name)',
      },
    ]);
  });
});
