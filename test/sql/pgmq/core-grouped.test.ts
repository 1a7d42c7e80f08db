/**
 * pgmq compat schema — FIFO group reads (pgmq-api.md §2.4): read_grouped, read_grouped_rr,
 * read_grouped_head and their _with_poll wrappers. Group = headers->>'x-pgmq-group', default
 * '_default_fifo_group'.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { testDatabase, type TestDatabase } from '../../support/db.js';
import { ids, queueName, waitForActiveQuery } from './core-support.js';

let db: TestDatabase;
let q: string;

beforeAll(async () => {
  db = await testDatabase('pgmq_core_grouped');
});
afterAll(async () => {
  await db.drop();
});
beforeEach(async () => {
  q = queueName('fifo');
  await db.sql`select pgmq.create(${q})`;
});

/** Sends one message per entry, in order; the entry is its group (null: no group header). */
async function sendGroups(groups: (string | null)[]): Promise<void> {
  const msgs = groups.map((g, i) => ({ i: i + 1, g }));
  const headers = groups.map((g) => (g === null ? {} : { 'x-pgmq-group': g }));
  await db.sql`select pgmq.send_batch(${q}, ${msgs}::jsonb[], ${headers}::jsonb[])`;
}

const sorted = (xs: string[]) => [...xs].sort((a, b) => Number(a) - Number(b));

async function call(fn: string, qty: number, sql = db.sql): Promise<string[]> {
  const rows = await sql.unsafe<{ msg_id: string }[]>(`select msg_id from pgmq.${fn}($1, 30, $2)`, [q, qty]);
  return ids(rows, 'msg_id');
}

describe('pgmq.read_grouped', () => {
  it('fills the batch from the first group completely before the next group', async () => {
    await sendGroups(['A', 'B', 'A', 'B', 'A']);
    expect(sorted(await call('read_grouped', 2))).toEqual(['1', '3']);
  });

  it('continues with the next group when the first runs out, up to qty', async () => {
    await sendGroups(['A', 'B', 'A', 'B', 'A']);
    expect(sorted(await call('read_grouped', 4))).toEqual(['1', '2', '3', '5']);
  });

  it('skips a group whose earlier message is in flight', async () => {
    await sendGroups(['A', 'A', 'B']);
    expect(await call('read_grouped', 1)).toEqual(['1']);
    expect(await call('read_grouped', 10)).toEqual(['3']);
  });

  it('makes the group eligible again once the in-flight message is deleted', async () => {
    await sendGroups(['A', 'A']);
    await call('read_grouped', 1);
    await db.sql`select pgmq.delete(${q}, 1::bigint)`;
    expect(await call('read_grouped', 10)).toEqual(['2']);
  });

  it('puts messages without the group header into one default group', async () => {
    await db.sql`select pgmq.send(${q}, '{"n":1}')`;
    await db.sql`select pgmq.send(${q}, '{"n":2}', ${{ other: 'header' }}::jsonb)`;
    expect(sorted(await call('read_grouped', 10))).toEqual(['1', '2']);
    expect(await call('read_grouped', 10)).toEqual([]);
  });

  it('updates vt, read_ct and last_read_at like read', async () => {
    await sendGroups(['A']);
    const [row] = await db.sql<{ read_ct: number; hidden: boolean; read: boolean }[]>`
      select read_ct, vt > clock_timestamp() as hidden, last_read_at is not null as read
      from pgmq.read_grouped(${q}, 30, 1)`;
    expect(row).toEqual({ read_ct: 1, hidden: true, read: true });
  });
});

describe('pgmq.read_grouped_rr', () => {
  it('takes the first message of every group, then the second, in head order, and returns them in that order', async () => {
    await sendGroups(['A', 'A', 'A', 'B', 'B', 'C']);
    expect(await call('read_grouped_rr', 5)).toEqual(['1', '4', '6', '2', '5']);
  });

  it('skips a group whose head is in flight even when later messages are visible', async () => {
    await sendGroups(['A', 'A', 'B']);
    expect(await call('read_grouped_rr', 2)).toEqual(['1', '3']);
    await db.sql`select pgmq.set_vt(${q}, 2::bigint, 0)`;
    expect(await call('read_grouped_rr', 10)).toEqual([]);
  });

  it('skips groups another transaction holds (advisory lock) until it commits', async () => {
    await sendGroups(['A', 'B']);
    const other = db.connect(1);
    const tx = await other.reserve();
    try {
      await tx`begin`;
      expect(ids(await tx`select msg_id from pgmq.read_grouped_rr(${q}, 30, 1)`, 'msg_id')).toEqual(['1']);
      expect(await call('read_grouped_rr', 10)).toEqual([]);
      await tx`commit`;
      expect(await call('read_grouped_rr', 10)).toEqual(['2']);
    } finally {
      tx.release();
    }
  });

  it('uses the default group for messages without the header', async () => {
    await sendGroups([null, null, 'A']);
    expect(await call('read_grouped_rr', 10)).toEqual(['1', '3', '2']);
  });
});

describe('pgmq.read_grouped_head', () => {
  it('returns at most one message per group: each group head', async () => {
    await sendGroups(['A', 'A', 'B', null, null]);
    expect(sorted(await call('read_grouped_head', 10))).toEqual(['1', '3', '4']);
  });

  it('limits to qty heads in msg_id order', async () => {
    await sendGroups(['A', 'B', 'C']);
    expect(sorted(await call('read_grouped_head', 2))).toEqual(['1', '2']);
  });

  it('returns nothing from a group whose head is in flight, and the next message once it is deleted', async () => {
    await sendGroups(['A', 'A']);
    expect(await call('read_grouped_head', 10)).toEqual(['1']);
    expect(await call('read_grouped_head', 10)).toEqual([]);
    await db.sql`select pgmq.delete(${q}, 1::bigint)`;
    expect(await call('read_grouped_head', 10)).toEqual(['2']);
  });
});

describe.each([['read_grouped_with_poll'], ['read_grouped_rr_with_poll'], ['read_grouped_head_with_poll']])('pgmq.%s', (fn) => {
  it('returns at once when a group has visible messages', async () => {
    await sendGroups(['A']);
    const rows = await db.sql.unsafe<{ msg_id: string }[]>(`select msg_id from pgmq.${fn}($1, 30, 5, 10, 50)`, [q]);
    expect(ids(rows, 'msg_id')).toEqual(['1']);
  });

  it('returns the empty set when nothing arrives before max_poll_seconds', async () => {
    const rows = await db.sql.unsafe(`select * from pgmq.${fn}($1, 30, 5, 1, 50)`, [q]);
    expect(rows).toHaveLength(0);
  });

  it('returns a message sent by another session while it polls', async () => {
    const poller = db.connect(1);
    const waiting = poller
      .unsafe<{ msg_id: string }[]>(
        `select msg_id from pgmq.${fn}(queue_name => $1, vt => 30, qty => 5, max_poll_seconds => 60, poll_interval_ms => 50)`,
        [q],
      )
      .execute();
    await waitForActiveQuery(db.sql, fn);
    await sendGroups(['late']);
    expect(ids(await waiting, 'msg_id')).toEqual(['1']);
  });
});
