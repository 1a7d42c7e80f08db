/**
 * pgmq compat schema — acknowledging and visibility: delete and archive (single and batch) and
 * the four set_vt overloads.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { testDatabase, type TestDatabase } from '../../support/db.js';
import { ids, queueName } from './core-support.js';

let db: TestDatabase;
let q: string;

beforeAll(async () => {
  db = await testDatabase('pgmq_core_ack');
});
afterAll(async () => {
  await db.drop();
});
beforeEach(async () => {
  q = queueName('ack');
  await db.sql`select pgmq.create(${q})`;
  await db.sql`select pgmq.send_batch(${q}, ${[{ n: 1 }, { n: 2 }, { n: 3 }]}::jsonb[], ${[{ h: 1 }, { h: 2 }, { h: 3 }]}::jsonb[])`;
});

async function queued(): Promise<string[]> {
  return ids(await db.sql<{ msg_id: string }[]>`select msg_id from ${db.sql('pgmq')}.${db.sql('q_' + q)} order by msg_id`, 'msg_id');
}

async function archived(): Promise<string[]> {
  return ids(await db.sql<{ msg_id: string }[]>`select msg_id from ${db.sql('pgmq')}.${db.sql('a_' + q)} order by msg_id`, 'msg_id');
}

describe('pgmq.delete(queue_name, msg_id)', () => {
  it('removes the message and returns true', async () => {
    const [row] = await db.sql<{ ok: boolean }[]>`select pgmq.delete(${q}, 2::bigint) as ok`;
    expect(row!.ok).toBe(true);
    expect(await queued()).toEqual(['1', '3']);
    expect(await archived()).toEqual([]);
  });

  it('returns false for an unknown id', async () => {
    const [row] = await db.sql<{ ok: boolean }[]>`select pgmq.delete(${q}, 99::bigint) as ok`;
    expect(row!.ok).toBe(false);
  });

  it('deletes whatever its state: an invisible (claimed) message too', async () => {
    await db.sql`select * from pgmq.read(${q}, 300, 1)`;
    const [row] = await db.sql<{ ok: boolean }[]>`select pgmq.delete(${q}, 1::bigint) as ok`;
    expect(row!.ok).toBe(true);
  });
});

describe('pgmq.delete(queue_name, msg_ids)', () => {
  it('returns the ids it deleted and skips unknown ones', async () => {
    const rows = await db.sql<{ id: string }[]>`select * from pgmq.delete(${q}, array[1, 3, 99]::bigint[]) as id`;
    expect(ids(rows, 'id').sort()).toEqual(['1', '3']);
    expect(await queued()).toEqual(['2']);
  });
});

describe('pgmq.archive(queue_name, msg_id)', () => {
  it('moves the row to the archive with every column kept and archived_at set, and returns true', async () => {
    await db.sql`select * from pgmq.read(${q}, 0, 1)`;
    const [before] = await db.sql`select * from ${db.sql('pgmq')}.${db.sql('q_' + q)} where msg_id = 1`;
    const [row] = await db.sql<{ ok: boolean }[]>`select pgmq.archive(${q}, 1::bigint) as ok`;
    expect(row!.ok).toBe(true);
    const [after] = await db.sql`select * from ${db.sql('pgmq')}.${db.sql('a_' + q)} where msg_id = 1`;
    const { archived_at, ...rest } = after!;
    expect(rest).toEqual(before);
    expect(archived_at).toBeInstanceOf(Date);
    expect(await queued()).toEqual(['2', '3']);
  });

  it('returns false for an unknown id and archives nothing', async () => {
    const [row] = await db.sql<{ ok: boolean }[]>`select pgmq.archive(${q}, 99::bigint) as ok`;
    expect(row!.ok).toBe(false);
    expect(await archived()).toEqual([]);
  });
});

describe('pgmq.archive(queue_name, msg_ids)', () => {
  it('archives the known ids and returns them', async () => {
    const rows = await db.sql<{ id: string }[]>`select * from pgmq.archive(${q}, array[2, 3, 42]::bigint[]) as id`;
    expect(ids(rows, 'id').sort()).toEqual(['2', '3']);
    expect(await queued()).toEqual(['1']);
    expect(await archived()).toEqual(['2', '3']);
  });
});

interface MessageRecord {
  msg_id: string;
  read_ct: number;
  last_read_at: Date | null;
  vt: Date;
  message: unknown;
  headers: unknown;
}

const at = '2099-12-31T23:59:58.123Z';

describe('pgmq.set_vt', () => {
  it('(msg_id, vt integer) makes a claimed message visible again with vt 0, leaving read_ct and last_read_at alone', async () => {
    const [claimed] = await db.sql<MessageRecord[]>`select * from pgmq.read(${q}, 300, 1)`;
    const [row] = await db.sql<MessageRecord[]>`select * from pgmq.set_vt(${q}, 1::bigint, 0)`;
    expect(row!.read_ct).toBe(claimed!.read_ct);
    expect(row!.last_read_at).toEqual(claimed!.last_read_at);
    const again = await db.sql<MessageRecord[]>`select * from pgmq.read(${q}, 30, 1)`;
    expect(again.map((r) => [r.msg_id, r.read_ct])).toEqual([['1', 2]]);
  });

  it('(msg_id, vt integer) hides a message for vt seconds from now', async () => {
    await db.sql`select pgmq.set_vt(${q}, 1::bigint, 600)`;
    const [row] = await db.sql<{ hidden_s: number }[]>`
      select round(extract(epoch from vt - clock_timestamp()))::int as hidden_s
      from ${db.sql('pgmq')}.${db.sql('q_' + q)} where msg_id = 1`;
    expect(row!.hidden_s).toBe(600);
    expect(ids(await db.sql`select msg_id from pgmq.read(${q}, 30, 1)`, 'msg_id')).toEqual(['2']);
  });

  it('(msg_id, vt timestamptz) sets vt to that instant and returns the full record', async () => {
    const rows = await db.sql<MessageRecord[]>`select * from pgmq.set_vt(${q}, 2::bigint, ${at}::timestamptz)`;
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ msg_id: '2', read_ct: 0, last_read_at: null, vt: new Date(at), message: { n: 2 }, headers: { h: 2 } });
  });

  it('(msg_ids, vt integer) updates every listed message', async () => {
    const rows = await db.sql<MessageRecord[]>`select * from pgmq.set_vt(${q}, array[1, 3]::bigint[], 600)`;
    expect(ids(rows, 'msg_id').sort()).toEqual(['1', '3']);
    expect(ids(await db.sql`select msg_id from pgmq.read(${q}, 30, 10)`, 'msg_id')).toEqual(['2']);
  });

  it('(msg_ids, vt timestamptz) sets every listed vt to that instant and skips unknown ids', async () => {
    const rows = await db.sql<MessageRecord[]>`select * from pgmq.set_vt(${q}, array[2, 3, 77]::bigint[], ${at}::timestamptz)`;
    expect(rows.map((r) => [r.msg_id, r.vt.toISOString()]).sort()).toEqual([
      ['2', at],
      ['3', at],
    ]);
  });

  it('returns the empty set for an unknown id', async () => {
    expect(await db.sql`select * from pgmq.set_vt(${q}, 404::bigint, 10)`).toHaveLength(0);
    expect(await db.sql`select * from pgmq.set_vt(${q}, 404::bigint, now())`).toHaveLength(0);
  });

  it('can be called with named arguments (msg_id => / msg_ids =>)', async () => {
    const one = await db.sql`select * from pgmq.set_vt(queue_name => ${q}, msg_id => ${'1'}::bigint, vt => ${5}::integer)`;
    const many = await db.sql`select * from pgmq.set_vt(queue_name => ${q}, msg_ids => array[2, 3]::bigint[], vt => ${5}::integer)`;
    expect([one.length, many.length]).toEqual([1, 2]);
  });
});
