/**
 * pgmq compat schema — queue management: create, create_unlogged, create_partitioned,
 * list_queues, drop_queue (both overloads), purge_queue, detach_archive, FIFO indexes and the
 * pg_monitor privileges.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compatScript } from '../../../src/db/pgmq-backend.js';
import { testDatabase, type TestDatabase } from '../../support/db.js';
import { failure, noticeSession, queueName, type NoticeSession } from './core-support.js';

let db: TestDatabase;
let s: NoticeSession;

beforeAll(async () => {
  db = await testDatabase('pgmq_core_queues');
  s = noticeSession(db.url);
});
afterAll(async () => {
  await s.end();
  await db.drop();
});

async function relationExists(name: string): Promise<boolean> {
  const [row] = await db.sql<{ ok: boolean }[]>`select to_regclass(${'pgmq.' + name}) is not null as ok`;
  return row!.ok;
}

async function metaRow(name: string) {
  const [row] = await db.sql<{ queue_name: string; is_partitioned: boolean; is_unlogged: boolean }[]>`
    select queue_name, is_partitioned, is_unlogged from pgmq.meta where queue_name = ${name}`;
  return row;
}

describe('pgmq.create', () => {
  it('creates the message table, the archive table and a meta row', async () => {
    const q = queueName('cr');
    await s.sql`select pgmq.create(${q})`;
    expect(await relationExists(`q_${q}`)).toBe(true);
    expect(await relationExists(`a_${q}`)).toBe(true);
    expect(await metaRow(q)).toEqual({ queue_name: q, is_partitioned: false, is_unlogged: false });
  });

  it('is idempotent: creating it again succeeds with one "already exists, skipping" NOTICE per object', async () => {
    const q = queueName('idem');
    await s.sql`select pgmq.create(${q})`;
    s.take();
    await s.sql`select pgmq.create(${q})`;
    expect(s.take()).toEqual(
      [`q_${q}`, `a_${q}`, `q_${q}_vt_idx`, `archived_at_idx_${q}`].map((rel) => ({
        severity: 'NOTICE',
        code: '42P07',
        message: `relation "${rel}" already exists, skipping`,
      })),
    );
    const [row] = await db.sql<{ n: number }[]>`select count(*)::int as n from pgmq.meta where queue_name = ${q}`;
    expect(row!.n).toBe(1);
  });

  it('makes msg_id GENERATED ALWAYS: an insert that supplies msg_id fails', async () => {
    const q = queueName('ident');
    await s.sql`select pgmq.create(${q})`;
    const err = await failure(db.sql.unsafe(`insert into pgmq.q_${q} (msg_id, vt) values (1, now())`));
    expect(err.code).toBe('428C9');
  });

  it('create_non_partitioned does the same as create', async () => {
    const q = queueName('nonpart');
    await s.sql`select pgmq.create_non_partitioned(${q})`;
    expect(await relationExists(`q_${q}`)).toBe(true);
    expect(await metaRow(q)).toEqual({ queue_name: q, is_partitioned: false, is_unlogged: false });
  });
});

describe('pgmq.create_unlogged', () => {
  it('makes the message table unlogged, keeps the archive logged and records is_unlogged', async () => {
    const q = queueName('unl');
    await s.sql`select pgmq.create_unlogged(${q})`;
    const rows = await db.sql<{ relname: string; relpersistence: string }[]>`
      select relname, relpersistence from pg_class
      where relnamespace = 'pgmq'::regnamespace and relname in (${'q_' + q}, ${'a_' + q}) order by relname`;
    expect(rows.map((r) => [r.relname, r.relpersistence])).toEqual([
      [`a_${q}`, 'p'],
      [`q_${q}`, 'u'],
    ]);
    expect(await metaRow(q)).toEqual({ queue_name: q, is_partitioned: false, is_unlogged: true });
  });
});

describe('pgmq.create_partitioned', () => {
  it('raises the pg_partman error when pg_partman is not installed, and creates nothing', async () => {
    const q = queueName('part');
    const err = await failure(s.sql`select pgmq.create_partitioned(${q})`);
    expect(err).toEqual({ code: 'P0001', message: 'pg_partman is required for partitioned queues' });
    expect(await relationExists(`q_${q}`)).toBe(false);
    expect(await metaRow(q)).toBeUndefined();
  });

  it('checks the name length before pg_partman', async () => {
    const err = await failure(s.sql`select pgmq.create_partitioned(${'p'.repeat(48)}, '1 day', '7 days', 2)`);
    expect(err.message).toBe('queue name is too long, maximum length is 47 characters');
  });
});

describe('pgmq.list_queues', () => {
  it('lists every meta row with its flags, in the composite text form clients parse', async () => {
    const a = queueName('la');
    const b = queueName('lb');
    await s.sql`select pgmq.create(${a})`;
    await s.sql`select pgmq.create_unlogged(${b})`;
    const rows = await db.sql<{ queue_name: string; is_partitioned: boolean; is_unlogged: boolean; created_at: Date }[]>`
      select * from pgmq.list_queues()`;
    const mine = rows.filter((r) => r.queue_name === a || r.queue_name === b).sort((x, y) => x.queue_name.localeCompare(y.queue_name));
    expect(mine.map((r) => [r.queue_name, r.is_partitioned, r.is_unlogged])).toEqual([
      [a, false, false],
      [b, false, true],
    ]);
    expect(mine.every((r) => r.created_at instanceof Date)).toBe(true);
    const [text] = await db.sql<{ t: string }[]>`
      select q::text as t from pgmq.list_queues() q where (q).queue_name = ${a}`;
    expect(text!.t).toMatch(new RegExp(`^\\(${a},f,f,"[^"]+"\\)$`));
  });
});

describe('pgmq.drop_queue(queue_name)', () => {
  it('drops both tables and the meta row and returns true', async () => {
    const q = queueName('drop');
    await s.sql`select pgmq.create(${q})`;
    const [row] = await s.sql<{ dropped: boolean }[]>`select pgmq.drop_queue(${q}) as dropped`;
    expect(row!.dropped).toBe(true);
    expect(await relationExists(`q_${q}`)).toBe(false);
    expect(await relationExists(`a_${q}`)).toBe(false);
    expect(await metaRow(q)).toBeUndefined();
  });

  it('returns false with NOTICE "pgmq queue `<name>` does not exist" for a missing queue', async () => {
    s.take();
    const [row] = await s.sql<{ dropped: boolean }[]>`select pgmq.drop_queue('no_such_queue') as dropped`;
    expect(row!.dropped).toBe(false);
    expect(s.take()).toEqual([{ severity: 'NOTICE', code: '00000', message: 'pgmq queue `no_such_queue` does not exist' }]);
  });
});

describe('pgmq.drop_queue(queue_name, partitioned)', () => {
  it('warns that it is deprecated, drops the queue and returns true', async () => {
    const q = queueName('dropdep');
    await s.sql`select pgmq.create(${q})`;
    s.take();
    const [row] = await s.sql<{ dropped: boolean }[]>`select pgmq.drop_queue(${q}, false) as dropped`;
    expect(row!.dropped).toBe(true);
    expect(await relationExists(`q_${q}`)).toBe(false);
    expect(s.take()).toEqual([
      {
        severity: 'WARNING',
        code: '01000',
        message: 'drop_queue(queue_name, partitioned) is deprecated and will be removed in PGMQ v2.0. Use drop_queue(queue_name) instead',
      },
    ]);
  });

  it('returns true even when the queue does not exist (after the warning and the notice)', async () => {
    s.take();
    const [row] = await s.sql<{ dropped: boolean }[]>`select pgmq.drop_queue('no_such_queue', true) as dropped`;
    expect(row!.dropped).toBe(true);
    expect(s.take().map((n) => n.severity)).toEqual(['WARNING', 'NOTICE']);
  });
});

describe('pgmq.purge_queue', () => {
  it('empties the message table, returns the number of rows and leaves the archive alone', async () => {
    const q = queueName('purge');
    await s.sql`select pgmq.create(${q})`;
    await s.sql`select pgmq.send_batch(${q}, array['{"n":1}','{"n":2}','{"n":3}']::jsonb[])`;
    await s.sql`select pgmq.archive(${q}, 1::bigint)`;
    const [row] = await s.sql<{ purged: string }[]>`select pgmq.purge_queue(${q}) as purged`;
    expect(row!.purged).toBe('2');
    const [counts] = await db.sql<{ q: number; a: number }[]>`
      select (select count(*)::int from ${db.sql('pgmq')}.${db.sql('q_' + q)}) as q,
             (select count(*)::int from ${db.sql('pgmq')}.${db.sql('a_' + q)}) as a`;
    expect(counts).toEqual({ q: 0, a: 1 });
  });

  it('keeps msg_ids growing after a purge', async () => {
    const q = queueName('purgeid');
    await s.sql`select pgmq.create(${q})`;
    await s.sql`select pgmq.send_batch(${q}, array['{}','{}']::jsonb[])`;
    await s.sql`select pgmq.purge_queue(${q})`;
    const [row] = await s.sql<{ id: string }[]>`select * from pgmq.send(${q}, '{}') as id`;
    expect(row!.id).toBe('3');
  });
});

describe('pgmq.detach_archive', () => {
  it('is a no-op that warns it is deprecated, even for a missing queue', async () => {
    s.take();
    await s.sql`select pgmq.detach_archive('no_such_queue')`;
    expect(s.take()).toEqual([
      {
        severity: 'WARNING',
        code: '01000',
        message:
          'detach_archive(queue_name) is deprecated and is a no-op. It will be removed in PGMQ v2.0. Archive tables are no longer member objects.',
      },
    ]);
  });
});

describe('pgmq.create_fifo_index / create_fifo_indexes_all / _create_fifo_index_if_not_exists', () => {
  it('create_fifo_index adds a GIN index on headers named q_<t>_fifo_idx', async () => {
    const q = queueName('fifo');
    await s.sql`select pgmq.create(${q})`;
    await s.sql`select pgmq.create_fifo_index(${q})`;
    const [row] = await db.sql<{ def: string }[]>`
      select pg_get_indexdef(${`pgmq.q_${q}_fifo_idx`}::regclass) as def`;
    expect(row!.def).toBe(`CREATE INDEX q_${q}_fifo_idx ON pgmq.q_${q} USING gin (headers)`);
  });

  it('create_fifo_indexes_all indexes every queue; the internal helper is silent when the index exists', async () => {
    const a = queueName('fa');
    const b = queueName('fb');
    await s.sql`select pgmq.create(${a})`;
    await s.sql`select pgmq.create(${b})`;
    await s.sql`select pgmq.create_fifo_indexes_all()`;
    expect(await relationExists(`q_${a}_fifo_idx`)).toBe(true);
    expect(await relationExists(`q_${b}_fifo_idx`)).toBe(true);
    s.take();
    await s.sql`select pgmq._create_fifo_index_if_not_exists(${a})`;
    expect(s.take()).toEqual([]);
  });
});

describe('privileges', () => {
  it('lets pg_monitor read meta and the tables and sequence of a new queue', async () => {
    const q = queueName('mon');
    await s.sql`select pgmq.create(${q})`;
    const [row] = await db.sql<{ meta: boolean; qt: boolean; at: boolean; seq: boolean; usage: boolean }[]>`
      select has_table_privilege('pg_monitor', 'pgmq.meta', 'select') as meta,
             has_table_privilege('pg_monitor', ${'pgmq.q_' + q}, 'select') as qt,
             has_table_privilege('pg_monitor', ${'pgmq.a_' + q}, 'select') as at,
             has_sequence_privilege('pg_monitor', ${'pgmq.q_' + q + '_msg_id_seq'}, 'select') as seq,
             has_schema_privilege('pg_monitor', 'pgmq', 'usage') as usage`;
    expect(row).toEqual({ meta: true, qt: true, at: true, seq: true, usage: true });
  });
});

describe('re-applying sql/pgmq (upgrade path)', () => {
  it('keeps queues, messages, claims and the identity position, and the functions still work', async () => {
    const q = queueName('reapply');
    await s.sql`select pgmq.create_unlogged(${q})`;
    await s.sql`select pgmq.send_batch(${q}, array['{"n":1}','{"n":2}']::jsonb[])`;
    await s.sql`select * from pgmq.read(${q}, 600, 1)`;
    await db.sql.begin(async (tx) => {
      await tx.unsafe(compatScript().script);
    });
    expect(await metaRow(q)).toEqual({ queue_name: q, is_partitioned: false, is_unlogged: true });
    const visible = await s.sql<{ msg_id: string; read_ct: number }[]>`select msg_id, read_ct from pgmq.read(${q}, 30, 10)`;
    expect(visible.map((r) => [r.msg_id, r.read_ct])).toEqual([['2', 1]]);
    const [next] = await s.sql<{ id: string }[]>`select * from pgmq.send(${q}, '{}') as id`;
    expect(next!.id).toBe('3');
  });
});
