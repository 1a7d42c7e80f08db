/**
 * The compat schema under real concurrency (pgmq 1.13.0 §2.3): several independent sessions
 * (one pool each), never one connection pretending to be two. SKIP LOCKED only shows between
 * sessions, and a send is only visible to others once committed.
 *
 * Waits are on observable states (pg_stat_activity, pg_locks), never on sleeps.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type postgres from 'postgres';
import type { Sql } from '../../../src/db/connection.js';
import { testDatabase, type TestDatabase } from '../../support/db.js';

let db: TestDatabase;
beforeAll(async () => {
  db = await testDatabase('pgmq_concurrency');
});
afterAll(async () => {
  await db.drop();
});

interface Message {
  msg_id: string;
  read_ct: number;
  message: { n: number };
}

/** A session of its own: a one-connection pool, reserved, with a lock_timeout as a safety net
 *  (a reader that wrongly waited on a row lock fails with 55P03 instead of hanging). */
async function session(): Promise<{ sql: postgres.ReservedSql; pid: number }> {
  const pool: Sql = db.connect(1);
  const sql = await pool.reserve();
  await sql`set lock_timeout = '20s'`;
  const [row] = await sql<{ pid: number }[]>`select pg_backend_pid() as pid`;
  return { sql, pid: row!.pid };
}

/** Polls pg_stat_activity / pg_locks (observer session) until the condition holds. */
async function waitUntil(condition: () => Promise<boolean>): Promise<void> {
  while (!(await condition())) await new Promise((r) => setTimeout(r, 20));
}

const ids = (rows: { msg_id: string }[]) => rows.map((r) => Number(r.msg_id)).sort((a, b) => a - b);

async function sendN(queue: string, n: number): Promise<number[]> {
  const msgs = Array.from({ length: n }, (_, i) => ({ n: i + 1 }));
  const rows = await db.sql<{ id: string }[]>`select pgmq.send_batch(${queue}, ${msgs}::jsonb[]) as id`;
  return rows.map((r) => Number(r.id));
}

describe('read: FOR UPDATE SKIP LOCKED between sessions', () => {
  it('skips rows claimed by an open transaction, and gets them back after its rollback', async () => {
    await db.sql`select pgmq.create('skip')`;
    const all = await sendN('skip', 4);
    const a = await session();
    const b = await session();
    try {
      await a.sql`begin`;
      const claimedByA = await a.sql<Message[]>`select * from pgmq.read('skip', 30, 2)`;
      expect(ids(claimedByA)).toEqual(all.slice(0, 2));

      // B does not wait for A and never sees A's rows.
      const readByB = await b.sql<Message[]>`select * from pgmq.read('skip', 30, 10)`;
      expect(ids(readByB)).toEqual(all.slice(2));

      await a.sql`rollback`;
      // A's claim is undone: the rows are visible again, read_ct back to 0 before this read.
      const again = await b.sql<Message[]>`select * from pgmq.read('skip', 30, 10)`;
      expect(ids(again)).toEqual(all.slice(0, 2));
      expect(again.map((m) => m.read_ct)).toEqual([1, 1]);
    } finally {
      a.sql.release();
      b.sql.release();
    }
  });

  it('skips rows a pending pop is deleting', async () => {
    await db.sql`select pgmq.create('skip_pop')`;
    const all = await sendN('skip_pop', 2);
    const a = await session();
    const b = await session();
    try {
      await a.sql`begin`;
      expect(ids(await a.sql<Message[]>`select * from pgmq.pop('skip_pop')`)).toEqual([all[0]]);
      expect(ids(await b.sql<Message[]>`select * from pgmq.read('skip_pop', 30, 10)`)).toEqual([all[1]]);
      await a.sql`commit`;
      expect(await db.sql`select count(*)::int as n from pgmq.q_skip_pop`).toEqual([{ n: 1 }]);
    } finally {
      a.sql.release();
      b.sql.release();
    }
  });
});

describe('many concurrent readers', () => {
  it('read every message exactly once', async () => {
    const total = 300;
    await db.sql`select pgmq.create('many')`;
    const all = await sendN('many', total);
    const readers = await Promise.all(Array.from({ length: 6 }, () => session()));
    try {
      // Each reader: claim a few, archive them, commit — until the queue is empty.
      const work = readers.map(async ({ sql }) => {
        const got: number[] = [];
        for (;;) {
          await sql`begin`;
          const batch = await sql<Message[]>`select * from pgmq.read('many', 300, 7)`;
          if (batch.length > 0) {
            await sql`select pgmq.archive('many', ${batch.map((m) => m.msg_id)}::bigint[])`;
          }
          await sql`commit`;
          if (batch.length === 0) return got;
          got.push(...batch.map((m) => Number(m.msg_id)));
          expect(batch.every((m) => m.read_ct === 1)).toBe(true);
        }
      });
      const perReader = await Promise.all(work);
      const everything = perReader.flat().sort((x, y) => x - y);
      expect(everything).toEqual(all);
      expect(await db.sql`select count(*)::int as n from pgmq.q_many`).toEqual([{ n: 0 }]);
      expect(await db.sql`select count(*)::int as n, count(distinct msg_id)::int as d from pgmq.a_many`).toEqual([{ n: total, d: total }]);
    } finally {
      readers.forEach((r) => r.sql.release());
    }
  });
});

describe('send visibility', () => {
  it('an uncommitted send is invisible to another session until commit', async () => {
    await db.sql`select pgmq.create('vis')`;
    const a = await session();
    const b = await session();
    try {
      await a.sql`begin`;
      const [sent] = await a.sql<{ id: string }[]>`select pgmq.send('vis', '{"n":1}'::jsonb) as id`;
      expect(await b.sql`select * from pgmq.read('vis', 30, 10)`).toEqual([]);
      expect(await b.sql`select count(*)::int as n from pgmq.q_vis`).toEqual([{ n: 0 }]);
      await a.sql`commit`;
      const read = await b.sql<Message[]>`select * from pgmq.read('vis', 30, 10)`;
      expect(read.map((m) => [m.msg_id, m.message])).toEqual([[sent!.id, { n: 1 }]]);
    } finally {
      a.sql.release();
      b.sql.release();
    }
  });
});

describe('pgmq.create from several sessions at once', () => {
  it('all succeed and leave exactly one meta row and one pair of tables', async () => {
    const sessions = await Promise.all(Array.from({ length: 5 }, () => session()));
    const [first, ...others] = sessions;
    try {
      // The first creates inside an open transaction; the others then call create and wait.
      await first!.sql`begin`;
      await first!.sql`select pgmq.create('race')`;
      const pending = others.map(({ sql }) => sql`select pgmq.create('race')`.then(() => 'ok'));
      const otherPids = others.map((s) => s.pid);
      await waitUntil(async () => {
        const [row] = await db.sql<{ n: number }[]>`
          select count(*)::int as n from pg_catalog.pg_stat_activity
          where pid = any(${otherPids}::int[]) and wait_event_type = 'Lock'`;
        return row!.n === others.length;
      });
      await first!.sql`commit`;
      expect(await Promise.all(pending)).toEqual(others.map(() => 'ok'));
    } finally {
      sessions.forEach((s) => s.sql.release());
    }
    expect(await db.sql`select queue_name from pgmq.meta where queue_name = 'race'`).toEqual([{ queue_name: 'race' }]);
    expect(await db.sql`select to_regclass('pgmq.q_race') is not null as q, to_regclass('pgmq.a_race') is not null as a`).toEqual([
      { q: true, a: true },
    ]);
    expect(await db.sql`select pgmq.send('race', '{}'::jsonb) as id`).toHaveLength(1);
  });

  it('all succeed when they simply run together', async () => {
    const sessions = await Promise.all(Array.from({ length: 5 }, () => session()));
    try {
      await Promise.all(sessions.map(({ sql }) => sql`select pgmq.create('stampede')`));
    } finally {
      sessions.forEach((s) => s.sql.release());
    }
    expect(await db.sql`select count(*)::int as n from pgmq.meta where queue_name = 'stampede'`).toEqual([{ n: 1 }]);
  });
});

describe('pgmq.read_with_poll', () => {
  it('wakes in session B when session A commits a send', async () => {
    await db.sql`select pgmq.create('poll')`;
    const a = await session();
    const b = await session();
    try {
      let settled = false;
      // 60 s of polling every 20 ms: the message can only come from A's commit below.
      const polling = b.sql<Message[]>`select * from pgmq.read_with_poll('poll', 30, 5, 60, 20)`.then((rows) => {
        settled = true;
        return rows;
      });
      await waitUntil(async () => {
        const [row] = await db.sql<{ n: number }[]>`
          select count(*)::int as n from pg_catalog.pg_stat_activity
          where pid = ${b.pid} and state = 'active' and query like '%read_with_poll%'`;
        return row!.n === 1;
      });
      await a.sql`begin`;
      await a.sql`select pgmq.send('poll', '{"n":42}'::jsonb)`;
      // Still polling: the send is not committed.
      const [active] = await db.sql<{ n: number }[]>`
        select count(*)::int as n from pg_catalog.pg_stat_activity where pid = ${b.pid} and state = 'active'`;
      expect(active!.n).toBe(1);
      expect(settled).toBe(false);
      await a.sql`commit`;
      const rows = await polling;
      expect(rows.map((m) => [m.message, m.read_ct])).toEqual([[{ n: 42 }, 1]]);
    } finally {
      a.sql.release();
      b.sql.release();
    }
  });
});
