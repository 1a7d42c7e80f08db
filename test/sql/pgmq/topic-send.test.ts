/**
 * pgmq.send_topic (3 forms) and pgmq.send_batch_topic (6 forms), pgmq 1.13.0 §2.8: one copy per
 * distinct matching queue, the returned count / rows, delays, headers, validation order and
 * atomicity.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDatabase, type TestDatabase } from '../../support/db.js';

let db: TestDatabase;
beforeAll(async () => {
  db = await testDatabase('topic_send');
  // Queues and their patterns. `east` is bound twice by patterns that both match `order.created`.
  const bindings: [string, string][] = [
    ['order.*', 'east'],
    ['#.created', 'east'],
    ['order.#', 'west'],
    ['audit.#', 'audit'],
    ['lone.key', 'lone'],
  ];
  for (const q of new Set(bindings.map(([, queue]) => queue))) await db.sql`select pgmq.create(${q})`;
  for (const [pattern, queue] of bindings) await db.sql`select pgmq.bind_topic(${pattern}, ${queue})`;
});
afterAll(async () => {
  await db.drop();
});

interface Stored {
  msg_id: string;
  message: unknown;
  headers: unknown;
  delayed: boolean;
  read_ct: number;
}

/** Empties the queues used below, so that each test sees only its own messages. */
async function purgeAll(): Promise<void> {
  for (const q of ['east', 'west', 'audit', 'lone']) await db.sql`select pgmq.purge_queue(${q})`;
}

/** The rows of a q-table, oldest first; `delayed` = not yet visible. */
function stored(queue: 'east' | 'west' | 'audit' | 'lone') {
  return db.sql<Stored[]>`
    select msg_id, message, headers, vt > clock_timestamp() as delayed, read_ct
    from ${db.sql('pgmq')}.${db.sql('q_' + queue)} order by msg_id`;
}

describe('pgmq.send_topic', () => {
  it('sends one copy to each distinct matching queue and returns how many queues', async () => {
    await purgeAll();
    const [row] = await db.sql<{ n: number }[]>`select pgmq.send_topic('order.created', ${{ id: 7 }}::jsonb) as n`;
    expect(row!.n).toBe(2);
    expect(await stored('east')).toMatchObject([{ message: { id: 7 }, headers: null, delayed: false, read_ct: 0 }]);
    expect(await stored('west')).toMatchObject([{ message: { id: 7 }, headers: null, delayed: false }]);
    expect(await stored('audit')).toEqual([]);
  });

  it('returns 0 and sends nothing when no binding matches', async () => {
    await purgeAll();
    expect(await db.sql`select pgmq.send_topic('nobody.listens', '{}'::jsonb) as n`).toEqual([{ n: 0 }]);
    for (const q of ['east', 'west', 'audit', 'lone'] as const) expect(await stored(q)).toEqual([]);
  });

  it('(routing_key, msg, delay) delays the copies by delay seconds', async () => {
    await purgeAll();
    expect(await db.sql`select pgmq.send_topic('audit.login', '{"a":1}'::jsonb, 3600) as n`).toEqual([{ n: 1 }]);
    expect(await stored('audit')).toMatchObject([{ message: { a: 1 }, delayed: true }]);
    expect(await db.sql`select * from pgmq.read('audit', 30, 10)`).toEqual([]);
  });

  it('(routing_key, msg, headers, delay) stores the headers', async () => {
    await purgeAll();
    const n = await db.sql`select pgmq.send_topic('lone.key', '"text"'::jsonb, ${{ 'x-pgmq-group': 'g1' }}::jsonb, 0) as n`;
    expect(n).toEqual([{ n: 1 }]);
    expect(await stored('lone')).toMatchObject([{ message: 'text', headers: { 'x-pgmq-group': 'g1' }, delayed: false }]);
  });

  it.each([
    // The routing key is checked first, then msg, then delay.
    [`select pgmq.send_topic('', null::jsonb, null::jsonb, -1)`, 'routing_key cannot be NULL or empty'],
    [`select pgmq.send_topic('order.*', '{}'::jsonb)`, 'routing_key contains invalid characters. Only alphanumeric, dots, hyphens, and underscores are allowed. Got: order.*'],
    [`select pgmq.send_topic('order.created', null::jsonb, null::jsonb, -1)`, 'msg cannot be NULL'],
    [`select pgmq.send_topic('order.created', null::jsonb)`, 'msg cannot be NULL'],
    [`select pgmq.send_topic('nobody.listens', 'null'::jsonb, -5)`, 'delay cannot be negative, got: -5'],
    [`select pgmq.send_topic('order.created', '{}'::jsonb, '{}'::jsonb, -1)`, 'delay cannot be negative, got: -1'],
  ])('%s fails', async (query, message) => {
    await expect(db.sql.unsafe(query)).rejects.toMatchObject({ code: 'P0001', message });
  });

  it('accepts a JSON null message (only SQL NULL is refused)', async () => {
    await purgeAll();
    expect(await db.sql`select pgmq.send_topic('lone.key', 'null'::jsonb) as n`).toEqual([{ n: 1 }]);
    expect(await stored('lone')).toMatchObject([{ message: null }]);
  });

  it('is atomic: when a later queue fails, the copies already sent are undone', async () => {
    // Queues are sent to in name order: east, west, then zzz, whose table is gone while its
    // meta row and binding remain.
    await db.sql`select pgmq.create('zzz')`;
    await db.sql`select pgmq.bind_topic('order.#', 'zzz')`;
    await db.sql`drop table pgmq.q_zzz`;
    await purgeAll();
    await expect(db.sql`select pgmq.send_topic('order.created', '{}'::jsonb)`).rejects.toMatchObject({
      code: '42P01',
      message: 'relation "pgmq.q_zzz" does not exist',
    });
    expect(await stored('east')).toEqual([]);
    expect(await stored('west')).toEqual([]);
    await db.sql`delete from pgmq.meta where queue_name = 'zzz'`;
    expect(await db.sql`select * from pgmq.list_topic_bindings('zzz')`).toEqual([]);
  });
});

interface Sent {
  queue_name: string;
  msg_id: string;
}

describe('pgmq.send_batch_topic', () => {
  const msgs = [{ n: 1 }, { n: 2 }, { n: 3 }];

  it('sends the batch to each distinct matching queue: rows grouped by queue name, ids in msgs order', async () => {
    await purgeAll();
    const rows = await db.sql<Sent[]>`select * from pgmq.send_batch_topic('order.created', ${msgs}::jsonb[])`;
    expect(rows.map((r) => r.queue_name)).toEqual(['east', 'east', 'east', 'west', 'west', 'west']);
    for (const q of ['east', 'west'] as const) {
      const kept = await stored(q);
      expect(kept.map((m) => m.message)).toEqual(msgs);
      expect(rows.filter((r) => r.queue_name === q).map((r) => r.msg_id)).toEqual(kept.map((m) => m.msg_id));
      expect(kept.every((m) => m.headers === null && !m.delayed)).toBe(true);
    }
  });

  it('returns no rows when nothing matches', async () => {
    await purgeAll();
    expect(await db.sql`select * from pgmq.send_batch_topic('nobody.listens', ${msgs}::jsonb[])`).toEqual([]);
  });

  it('(…, headers) stores one header object per message', async () => {
    await purgeAll();
    const headers = [{ h: 'a' }, null, { h: 'c' }];
    const rows = await db.sql<Sent[]>`select * from pgmq.send_batch_topic('lone.key', ${msgs}::jsonb[], ${headers}::jsonb[])`;
    expect(rows).toHaveLength(3);
    expect((await stored('lone')).map((m) => m.headers)).toEqual(headers);
  });

  it('(…, delay integer) delays every copy; a negative delay is accepted (visible at once)', async () => {
    await purgeAll();
    await db.sql`select * from pgmq.send_batch_topic('audit.a', ${msgs}::jsonb[], 3600)`;
    expect((await stored('audit')).map((m) => m.delayed)).toEqual([true, true, true]);
    await purgeAll();
    await db.sql`select * from pgmq.send_batch_topic('audit.a', ${msgs}::jsonb[], -10)`;
    expect((await stored('audit')).map((m) => m.delayed)).toEqual([false, false, false]);
  });

  it('(…, delay timestamptz) makes the copies visible at that time', async () => {
    await purgeAll();
    const at = new Date(Date.UTC(2100, 0, 1));
    await db.sql`select * from pgmq.send_batch_topic('audit.a', ${msgs}::jsonb[], ${at}::timestamptz)`;
    const vts = await db.sql<{ vt: Date }[]>`select vt from pgmq.q_audit`;
    expect(vts.map((r) => r.vt.toISOString())).toEqual(Array(3).fill(at.toISOString()));
  });

  it('(…, headers, delay integer) and (…, headers, delay timestamptz)', async () => {
    await purgeAll();
    const headers = [{ k: 1 }, { k: 2 }, { k: 3 }];
    await db.sql`select * from pgmq.send_batch_topic('lone.key', ${msgs}::jsonb[], ${headers}::jsonb[], 3600)`;
    await db.sql`select * from pgmq.send_batch_topic('lone.key', ${msgs}::jsonb[], ${headers}::jsonb[], now() - interval '1 minute')`;
    const kept = await stored('lone');
    expect(kept.map((m) => [m.headers, m.delayed])).toEqual([
      [{ k: 1 }, true],
      [{ k: 2 }, true],
      [{ k: 3 }, true],
      [{ k: 1 }, false],
      [{ k: 2 }, false],
      [{ k: 3 }, false],
    ]);
  });

  it.each([
    // The routing key is checked before the batch.
    [`select * from pgmq.send_batch_topic('bad key', null::jsonb[])`, 'routing_key contains invalid characters. Only alphanumeric, dots, hyphens, and underscores are allowed. Got: bad key'],
    [`select * from pgmq.send_batch_topic('lone.key', null::jsonb[])`, 'msgs cannot be NULL or empty'],
    [`select * from pgmq.send_batch_topic('lone.key', '{}'::jsonb[])`, 'msgs cannot be NULL or empty'],
    // Validated even when no queue matches.
    [`select * from pgmq.send_batch_topic('nobody.listens', '{}'::jsonb[], 5)`, 'msgs cannot be NULL or empty'],
    [`select * from pgmq.send_batch_topic('lone.key', array['{}']::jsonb[], '{}'::jsonb[])`, 'headers array length (0) must match msgs array length (1)'],
    [`select * from pgmq.send_batch_topic('lone.key', array['1','2']::jsonb[], array['{}']::jsonb[], 0)`, 'headers array length (1) must match msgs array length (2)'],
  ])('%s fails', async (query, message) => {
    await expect(db.sql.unsafe(query)).rejects.toMatchObject({ code: 'P0001', message });
  });
});
