/**
 * pgmq compat schema — queue names (pgmq-api.md §5): forbidden characters, the 47-character
 * rule, case folding, the empty name, and a missing queue (42P01).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDatabase, type TestDatabase } from '../../support/db.js';
import { failure, queueName } from './core-support.js';

let db: TestDatabase;

beforeAll(async () => {
  db = await testDatabase('pgmq_core_names');
});
afterAll(async () => {
  await db.drop();
});

const INVALID = "queue name contains invalid characters: $, ;, --, or \\'";

describe('pgmq.format_table_name', () => {
  it('lower-cases prefix_name', async () => {
    const [row] = await db.sql<{ t: string }[]>`select pgmq.format_table_name('My.Queue', 'q') as t`;
    expect(row!.t).toBe('q_my.queue');
  });

  it.each([['a$b'], ['a;b'], ['a--b'], ["a'b"]])('rejects %s with the invalid-characters error (P0001)', async (name) => {
    expect(await failure(db.sql`select pgmq.format_table_name(${name}, 'q')`)).toEqual({ code: 'P0001', message: INVALID });
  });
});

describe('forbidden characters in queue functions', () => {
  it.each([
    ['create', (sql: TestDatabase['sql']) => sql`select pgmq.create('bad;name')`],
    ['send', (sql: TestDatabase['sql']) => sql`select pgmq.send('bad$name', '{}')`],
    ['read', (sql: TestDatabase['sql']) => sql`select pgmq.read('bad--name', 30, 1)`],
    ['drop_queue', (sql: TestDatabase['sql']) => sql`select pgmq.drop_queue(${"bad'name"})`],
    ['metrics', (sql: TestDatabase['sql']) => sql`select pgmq.metrics('bad;name')`],
  ])('%s checks the characters before touching any table', async (_fn, run) => {
    expect(await failure(run(db.sql))).toEqual({ code: 'P0001', message: INVALID });
  });

  it('reports the characters before the length when both are wrong', async () => {
    const err = await failure(db.sql`select pgmq.create(${'x;'.repeat(30)})`);
    expect(err.message).toBe(INVALID);
  });
});

describe('name length', () => {
  it('accepts 47 characters', async () => {
    const name = 'n'.repeat(47);
    await db.sql`select pgmq.create(${name})`;
    const [row] = await db.sql<{ id: string }[]>`select * from pgmq.send(${name}, '{}') as id`;
    expect(row!.id).toBe('1');
  });

  it('rejects 48 characters at create with P0001', async () => {
    expect(await failure(db.sql`select pgmq.create(${'m'.repeat(48)})`)).toEqual({
      code: 'P0001',
      message: 'queue name is too long, maximum length is 47 characters',
    });
  });

  it('counts characters, not bytes', async () => {
    await db.sql`select pgmq.validate_queue_name(${'é'.repeat(47)})`;
    const err = await failure(db.sql`select pgmq.validate_queue_name(${'é'.repeat(48)})`);
    expect(err.code).toBe('P0001');
  });

  it('is not checked by send: a 48-character name just is a missing queue (42P01)', async () => {
    const err = await failure(db.sql`select pgmq.send(${'m'.repeat(48)}, '{}')`);
    expect(err.code).toBe('42P01');
  });
});

describe('case folding', () => {
  it('addresses the same tables whatever the case, and keeps the create spelling in meta', async () => {
    await db.sql`select pgmq.create('CaseQ')`;
    await db.sql`select pgmq.send('caseq', '{"n":1}')`;
    const rows = await db.sql<{ message: unknown }[]>`select message from pgmq.read('CASEQ', 30, 5)`;
    expect(rows.map((r) => r.message)).toEqual([{ n: 1 }]);
    const [meta] = await db.sql<{ queue_name: string }[]>`select queue_name from pgmq.list_queues() where lower(queue_name) = 'caseq'`;
    expect(meta!.queue_name).toBe('CaseQ');
  });

  it('names the archive index from the raw name ("archived_at_idx_MixedQ")', async () => {
    await db.sql`select pgmq.create('MixedQ')`;
    const [row] = await db.sql<{ ok: boolean }[]>`select to_regclass('pgmq."archived_at_idx_MixedQ"') is not null as ok`;
    expect(row!.ok).toBe(true);
  });

  it('re-creating with another spelling reuses the tables and records that spelling too (as pgmq 1.13.0)', async () => {
    await db.sql`select pgmq.create('FoldQ')`;
    await db.sql`select pgmq.send('FoldQ', '{}')`;
    await db.sql`select pgmq.create('foldq')`;
    const [row] = await db.sql<{ names: string[]; msgs: number }[]>`
      select (select array_agg(queue_name::text order by queue_name) from pgmq.meta where lower(queue_name) = 'foldq') as names,
             (select count(*)::int from pgmq.q_foldq) as msgs`;
    expect(row).toEqual({ names: ['FoldQ', 'foldq'], msgs: 1 });
  });

  it('drop_queue with another spelling drops the tables but deletes only the meta row of that exact spelling', async () => {
    await db.sql`select pgmq.create('DropCaseQ')`;
    const [dropped] = await db.sql<{ ok: boolean }[]>`select pgmq.drop_queue('dropcaseq') as ok`;
    expect(dropped!.ok).toBe(true);
    const [row] = await db.sql<{ table_exists: boolean; meta: number }[]>`
      select to_regclass('pgmq.q_dropcaseq') is not null as table_exists,
             (select count(*)::int from pgmq.meta where queue_name = 'DropCaseQ') as meta`;
    expect(row).toEqual({ table_exists: false, meta: 1 });
  });
});

describe('other names', () => {
  it('allows the empty name (tables pgmq.q_ and pgmq.a_)', async () => {
    await db.sql`select pgmq.create('')`;
    const [row] = await db.sql<{ q: boolean; a: boolean }[]>`
      select to_regclass('pgmq.q_') is not null as q, to_regclass('pgmq.a_') is not null as a`;
    expect(row).toEqual({ q: true, a: true });
    await db.sql`select pgmq.send('', '{"empty":true}')`;
    const msgs = await db.sql<{ message: unknown }[]>`select message from pgmq.pop('')`;
    expect(msgs.map((m) => m.message)).toEqual([{ empty: true }]);
  });

  it('allows spaces, dots, single hyphens and unicode', async () => {
    const name = 'Ünï cödé.q-1';
    await db.sql`select pgmq.create(${name})`;
    await db.sql`select pgmq.send(${name}, '{"ok":1}')`;
    const rows = await db.sql<{ message: unknown }[]>`select message from pgmq.read(${name}, 30, 1)`;
    expect(rows.map((r) => r.message)).toEqual([{ ok: 1 }]);
  });
});

describe('missing queue', () => {
  const missing = () => queueName('missing');
  it.each([
    ['send', (q: string) => db.sql`select pgmq.send(${q}, '{}')`],
    ['send_batch', (q: string) => db.sql`select pgmq.send_batch(${q}, array['{}']::jsonb[])`],
    ['read', (q: string) => db.sql`select pgmq.read(${q}, 30, 1)`],
    ['pop', (q: string) => db.sql`select pgmq.pop(${q})`],
    ['delete', (q: string) => db.sql`select pgmq.delete(${q}, 1::bigint)`],
    ['archive', (q: string) => db.sql`select pgmq.archive(${q}, 1::bigint)`],
    ['set_vt', (q: string) => db.sql`select pgmq.set_vt(${q}, 1::bigint, 10)`],
    ['metrics', (q: string) => db.sql`select pgmq.metrics(${q})`],
    ['purge_queue', (q: string) => db.sql`select pgmq.purge_queue(${q})`],
    ['read_grouped', (q: string) => db.sql`select pgmq.read_grouped(${q}, 30, 1)`],
  ])('%s fails with 42P01 relation "pgmq.q_<t>" does not exist', async (_fn, run) => {
    const q = missing();
    expect(await failure(run(q))).toEqual({ code: '42P01', message: `relation "pgmq.q_${q}" does not exist` });
  });
});
