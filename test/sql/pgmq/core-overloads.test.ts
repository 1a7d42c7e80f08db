/**
 * pgmq compat schema — overload resolution (pgmq-api.md §6). postgres.js sends string and
 * number parameters with type OID 0 ("unspecified"), so `sql.unsafe(text, [strings])` makes the
 * server resolve the call exactly as for an untyped client (pgmq-js): `$n` is of type unknown.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDatabase, type TestDatabase } from '../../support/db.js';
import { failure, ids, queueName } from './core-support.js';

let db: TestDatabase;
let q: string;

beforeAll(async () => {
  db = await testDatabase('pgmq_core_overloads');
  q = queueName('ovl');
  await db.sql`select pgmq.create(${q})`;
});
afterAll(async () => {
  await db.drop();
});

describe('untyped parameters', () => {
  it('are sent without a type: the server cannot infer one for a bare $1', async () => {
    expect(await failure(db.sql.unsafe('select pg_typeof($1)', ['x']))).toEqual({
      code: '42P18',
      message: 'could not determine data type of parameter $1',
    });
  });

  it('pgmq.send($1,$2,$3) is ambiguous: 42725 function pgmq.send(unknown, unknown, unknown) is not unique', async () => {
    expect(await failure(db.sql.unsafe('select * from pgmq.send($1, $2, $3)', [q, '{}', '0']))).toEqual({
      code: '42725',
      message: 'function pgmq.send(unknown, unknown, unknown) is not unique',
    });
  });

  it('pgmq.set_vt($1,$2,$3) is ambiguous: 42725 function pgmq.set_vt(unknown, unknown, unknown) is not unique', async () => {
    expect(await failure(db.sql.unsafe('select * from pgmq.set_vt($1, $2, $3)', [q, '1', '0']))).toEqual({
      code: '42725',
      message: 'function pgmq.set_vt(unknown, unknown, unknown) is not unique',
    });
  });

  it('pgmq.send($1,$2) resolves to send(text, jsonb)', async () => {
    const rows = await db.sql.unsafe<{ id: string }[]>('select * from pgmq.send($1, $2) as id', [q, { via: 'untyped' }]);
    expect(rows).toHaveLength(1);
    const [stored] = await db.sql<{ message: unknown }[]>`
      select message from ${db.sql('pgmq')}.${db.sql('q_' + q)} where msg_id = ${rows[0]!.id}`;
    expect(stored!.message).toEqual({ via: 'untyped' });
  });

  it('pgmq.read($1,$2,$3) resolves (single candidate)', async () => {
    await db.sql`select pgmq.send(${q}, '{}')`;
    const rows = await db.sql.unsafe<{ msg_id: string }[]>('select * from pgmq.read($1, $2, $3)', [q, '0', '10']);
    expect(rows.length).toBeGreaterThan(0);
  });

  it('pgmq.pop($1) resolves (single candidate)', async () => {
    const p = queueName('pop');
    await db.sql`select pgmq.create(${p})`;
    await db.sql`select pgmq.send(${p}, '{"p":1}')`;
    const rows = await db.sql.unsafe<{ message: unknown }[]>('select * from pgmq.pop($1)', [p]);
    expect(rows.map((r) => r.message)).toEqual([{ p: 1 }]);
  });

  it('typed calls as pgmq-js sends them resolve: send($1::text,$2::jsonb,$3::integer), send_batch(…,$3::integer)', async () => {
    const one = await db.sql.unsafe('select * from pgmq.send($1::text, $2::jsonb, $3::integer)', [q, { a: 1 }, 0]);
    const many = await db.sql.unsafe('select * from pgmq.send_batch($1::text, $2::jsonb[], $3::integer)', [q, [{ a: 1 }, { a: 2 }], 0]);
    expect([one.length, many.length]).toEqual([1, 2]);
  });

  it('archive/delete($1, $2::bigint) and ($1, $2::bigint[]) resolve', async () => {
    const sent = ids(await db.sql<{ id: string }[]>`select * from pgmq.send_batch(${q}, array['{}','{}','{}','{}']::jsonb[]) as id`, 'id');
    const [a] = await db.sql.unsafe<{ ok: boolean }[]>('select pgmq.archive($1, $2::bigint) as ok', [q, sent[0]!]);
    const [d] = await db.sql.unsafe<{ ok: boolean }[]>('select pgmq.delete($1, $2::bigint) as ok', [q, sent[1]!]);
    const as = await db.sql.unsafe('select * from pgmq.archive($1, $2::bigint[])', [q, `{${sent[2]}}`]);
    const ds = await db.sql.unsafe('select * from pgmq.delete($1, $2::bigint[])', [q, `{${sent[3]}}`]);
    expect([a!.ok, d!.ok, as.length, ds.length]).toEqual([true, true, 1, 1]);
  });
});

describe('literal calls', () => {
  /** The call as the planner resolved it (EXPLAIN VERBOSE deparses the chosen argument types). */
  async function resolved(call: string): Promise<string> {
    const plan = await db.sql.unsafe<{ 'QUERY PLAN': string }[]>(`explain (verbose, costs off) select * from ${call}`);
    const line = plan.map((r) => r['QUERY PLAN']).find((l) => l.includes('Function Call:'));
    return line!.replace(/^\s*Function Call:\s*/, '');
  }

  it("pgmq.send('q', '{}') resolves to send(text, jsonb)", async () => {
    expect(await resolved("pgmq.send('lit', '{}')")).toBe("pgmq.send('lit'::text, '{}'::jsonb)");
  });

  it("pgmq.send('q', '{}', 5) resolves to send(text, jsonb, integer)", async () => {
    expect(await resolved("pgmq.send('lit', '{}', 5)")).toBe("pgmq.send('lit'::text, '{}'::jsonb, 5)");
  });

  it("pgmq.set_vt('q', 1, 30) resolves to set_vt(text, bigint, integer)", async () => {
    expect(await resolved("pgmq.set_vt('lit', 1, 30)")).toBe("pgmq.set_vt('lit'::text, '1'::bigint, 30)");
  });

  it("pgmq.read('q', 30, 1) fills in conditional's default", async () => {
    expect(await resolved("pgmq.read('lit', 30, 1)")).toBe("pgmq.read('lit'::text, 30, 1, '{}'::jsonb)");
  });
});
