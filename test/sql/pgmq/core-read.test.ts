/**
 * pgmq compat schema — reading: read (ordering, visibility timeout, read_ct, last_read_at,
 * conditional, qty), read_with_poll (wake-up and timeout) and pop.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { testDatabase, type TestDatabase } from '../../support/db.js';
import { ids, queueName, waitForActiveQuery } from './core-support.js';

let db: TestDatabase;
let q: string;

beforeAll(async () => {
  db = await testDatabase('pgmq_core_read');
});
afterAll(async () => {
  await db.drop();
});
beforeEach(async () => {
  q = queueName('read');
  await db.sql`select pgmq.create(${q})`;
});

interface Message {
  msg_id: string;
  read_ct: number;
  enqueued_at: Date;
  last_read_at: Date | null;
  vt: Date;
  message: unknown;
  headers: unknown;
}

async function send(n: number): Promise<void> {
  const msgs = Array.from({ length: n }, (_, i) => ({ n: i + 1 }));
  await db.sql`select pgmq.send_batch(${q}, ${msgs}::jsonb[])`;
}

async function read(vt: number, qty: number | null): Promise<Message[]> {
  const rows = await db.sql<Message[]>`select * from pgmq.read(${q}, ${vt}::int, ${qty}::int)`;
  return [...rows].sort((a, b) => Number(a.msg_id) - Number(b.msg_id));
}

describe('pgmq.read', () => {
  it('returns the message_record columns in order', async () => {
    await send(1);
    const rows = await db.sql`select * from pgmq.read(${q}, 30, 1)`;
    expect(rows.columns.map((c) => c.name)).toEqual(['msg_id', 'read_ct', 'enqueued_at', 'last_read_at', 'vt', 'message', 'headers']);
  });

  it('claims the lowest msg_ids first', async () => {
    await send(5);
    expect(ids(await read(30, 2), 'msg_id')).toEqual(['1', '2']);
    expect(ids(await read(30, 2), 'msg_id')).toEqual(['3', '4']);
  });

  it('hides claimed messages for vt seconds', async () => {
    await send(1);
    await read(30, 1);
    expect(await read(30, 1)).toEqual([]);
    const [row] = await db.sql<{ hidden_s: number }[]>`
      select round(extract(epoch from vt - last_read_at))::int as hidden_s from ${db.sql('pgmq')}.${db.sql('q_' + q)}`;
    expect(row!.hidden_s).toBe(30);
  });

  it('increments read_ct on every read', async () => {
    await send(1);
    const counts: number[] = [];
    for (let i = 0; i < 3; i++) counts.push((await read(0, 1))[0]!.read_ct);
    expect(counts).toEqual([1, 2, 3]);
  });

  it('sets last_read_at at each read (NULL before the first)', async () => {
    await send(1);
    const [before] = await db.sql<{ last_read_at: Date | null }[]>`select last_read_at from ${db.sql('pgmq')}.${db.sql('q_' + q)}`;
    expect(before!.last_read_at).toBeNull();
    const first = (await read(0, 1))[0]!;
    const second = (await read(0, 1))[0]!;
    expect(first.last_read_at).toBeInstanceOf(Date);
    expect(second.last_read_at!.getTime()).toBeGreaterThanOrEqual(first.last_read_at!.getTime());
  });

  it('leaves a message visible with a negative vt, still counting the read', async () => {
    await send(1);
    await read(-10, 1);
    const again = await read(30, 1);
    expect(again.map((m) => [m.msg_id, m.read_ct])).toEqual([['1', 2]]);
  });

  it('claims nothing with qty 0 and everything with qty NULL', async () => {
    await send(3);
    expect(await read(30, 0)).toEqual([]);
    expect(ids(await read(30, null), 'msg_id')).toEqual(['1', '2', '3']);
  });

  it('does not return messages whose vt is in the future', async () => {
    await db.sql`select pgmq.send(${q}, '{"later":true}', 600)`;
    await db.sql`select pgmq.send(${q}, '{"now":true}')`;
    expect((await read(30, 10)).map((m) => m.message)).toEqual([{ now: true }]);
  });

  it('filters with conditional (message @> conditional)', async () => {
    await db.sql`select pgmq.send_batch(${q}, ${[{ kind: 'a', n: 1 }, { kind: 'b', n: 2 }, { kind: 'a', n: 3 }]}::jsonb[])`;
    const rows = await db.sql<Message[]>`select * from pgmq.read(${q}, 30, 10, ${{ kind: 'a' }}::jsonb) order by msg_id`;
    expect(rows.map((r) => r.message)).toEqual([
      { kind: 'a', n: 1 },
      { kind: 'a', n: 3 },
    ]);
  });

  it("treats conditional '{}' as no condition", async () => {
    await send(2);
    const rows = await db.sql<Message[]>`select * from pgmq.read(${q}, 30, 10, '{}'::jsonb)`;
    expect(rows).toHaveLength(2);
  });

  it('can be called with named arguments (pgmq-py style)', async () => {
    await send(1);
    const rows = await db.sql<Message[]>`
      select * from pgmq.read(queue_name => ${q}::text, vt => ${30}::integer, qty => ${1}::integer, conditional => ${{}}::jsonb)`;
    expect(ids(rows, 'msg_id')).toEqual(['1']);
  });

  it('skips a message claimed by another, uncommitted transaction, and returns it after that one rolls back', async () => {
    await send(2);
    const other = db.connect(1);
    const tx = await other.reserve();
    try {
      await tx`begin`;
      const held = await tx`select msg_id from pgmq.read(${q}, 30, 1)`;
      expect(ids(held, 'msg_id')).toEqual(['1']);
      expect(ids(await read(30, 10), 'msg_id')).toEqual(['2']);
      await tx`rollback`;
      expect(ids(await read(30, 10), 'msg_id')).toEqual(['1']);
    } finally {
      tx.release();
    }
  });
});

describe('pgmq.read_with_poll', () => {
  it('returns at once when messages are visible', async () => {
    await send(2);
    const rows = await db.sql<Message[]>`select * from pgmq.read_with_poll(${q}, 30, 5, 10, 50)`;
    expect(rows).toHaveLength(2);
  });

  it('returns a message sent by another session while it polls', async () => {
    const poller = db.connect(1);
    const waiting = poller<Message[]>`
      select * from pgmq.read_with_poll(queue_name => ${q}, vt => 30, qty => 1, max_poll_seconds => 60, poll_interval_ms => 50)`.execute();
    await waitForActiveQuery(db.sql, 'read_with_poll');
    await db.sql`select pgmq.send(${q}, '{"woke":true}')`;
    const rows = await waiting;
    expect(rows.map((r) => [r.message, r.read_ct])).toEqual([[{ woke: true }, 1]]);
  });

  it('returns the empty set when nothing arrives before max_poll_seconds', async () => {
    const rows = await db.sql<Message[]>`select * from pgmq.read_with_poll(${q}, 30, 1, 1, 50)`;
    expect(rows).toEqual([]);
  });

  it('applies the conditional while polling', async () => {
    await db.sql`select pgmq.send_batch(${q}, ${[{ k: 'x' }, { k: 'y' }]}::jsonb[])`;
    const rows = await db.sql<Message[]>`
      select * from pgmq.read_with_poll(${q}, 30, 10, 1, 50, ${{ k: 'y' }}::jsonb)`;
    expect(rows.map((r) => r.message)).toEqual([{ k: 'y' }]);
  });
});

describe('pgmq.pop', () => {
  it('returns and deletes the oldest visible message (qty defaults to 1)', async () => {
    await send(3);
    const rows = await db.sql<Message[]>`select * from pgmq.pop(${q})`;
    expect(ids(rows, 'msg_id')).toEqual(['1']);
    const left = await db.sql<{ msg_id: string }[]>`select msg_id from ${db.sql('pgmq')}.${db.sql('q_' + q)} order by msg_id`;
    expect(ids(left, 'msg_id')).toEqual(['2', '3']);
  });

  it('takes up to qty messages', async () => {
    await send(3);
    const rows = await db.sql<Message[]>`select * from pgmq.pop(${q}, 2) order by msg_id`;
    expect(ids(rows, 'msg_id')).toEqual(['1', '2']);
  });

  it('returns rows as stored: read_ct, vt and last_read_at are not updated', async () => {
    await send(1);
    await read(-1, 1);
    const [stored] = await db.sql<Message[]>`select * from ${db.sql('pgmq')}.${db.sql('q_' + q)}`;
    const [popped] = await db.sql<Message[]>`select * from pgmq.pop(${q})`;
    expect(popped).toEqual(stored);
    expect(popped!.read_ct).toBe(1);
  });

  it('does not pop invisible messages', async () => {
    await db.sql`select pgmq.send(${q}, '{}', 600)`;
    expect(await db.sql`select * from pgmq.pop(${q})`).toHaveLength(0);
  });

  it('does not archive what it pops', async () => {
    await send(1);
    await db.sql`select * from pgmq.pop(${q})`;
    const [row] = await db.sql<{ n: number }[]>`select count(*)::int as n from ${db.sql('pgmq')}.${db.sql('a_' + q)}`;
    expect(row!.n).toBe(0);
  });
});
