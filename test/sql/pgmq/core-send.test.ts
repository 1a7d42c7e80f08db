/**
 * pgmq compat schema — sending: the six send overloads, the six send_batch overloads, delays,
 * headers, batch validation and the row a send leaves behind.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { testDatabase, type TestDatabase } from '../../support/db.js';
import { failure, ids, queueName } from './core-support.js';

let db: TestDatabase;
let q: string;

beforeAll(async () => {
  db = await testDatabase('pgmq_core_send');
});
afterAll(async () => {
  await db.drop();
});
beforeEach(async () => {
  q = queueName('send');
  await db.sql`select pgmq.create(${q})`;
});

interface Row {
  msg_id: string;
  read_ct: number;
  last_read_at: Date | null;
  message: unknown;
  headers: unknown;
  /** seconds from the send's clock to vt, rounded to whole seconds */
  delay_s: number;
  visible: boolean;
}

/** The stored rows, with vt expressed against the time of the query. */
async function rows(): Promise<Row[]> {
  return db.sql<Row[]>`
    select msg_id, read_ct, last_read_at, message, headers,
           round(extract(epoch from vt - clock_timestamp()))::int as delay_s,
           vt <= clock_timestamp() as visible
    from ${db.sql('pgmq')}.${db.sql('q_' + q)}
    order by msg_id`;
}

const at = '2100-01-02T03:04:05.678Z';

describe('pgmq.send', () => {
  it('(queue_name, msg) stores a visible message with read_ct 0, no last_read_at and no headers', async () => {
    const [r] = await db.sql<{ id: string }[]>`select * from pgmq.send(${q}, ${{ a: 1 }}::jsonb) as id`;
    expect(r!.id).toBe('1');
    expect(await rows()).toMatchObject([{ msg_id: '1', read_ct: 0, last_read_at: null, message: { a: 1 }, headers: null, visible: true }]);
  });

  it('(queue_name, msg, headers jsonb) stores the headers', async () => {
    await db.sql`select pgmq.send(${q}, ${{ a: 1 }}::jsonb, ${{ 'x-pgmq-group': 'g1' }}::jsonb)`;
    expect(await rows()).toMatchObject([{ headers: { 'x-pgmq-group': 'g1' }, visible: true }]);
  });

  it('(queue_name, msg, delay integer) hides the message for delay seconds', async () => {
    await db.sql`select pgmq.send(${q}, '{}', 3600)`;
    expect(await rows()).toMatchObject([{ delay_s: 3600, visible: false, headers: null }]);
    expect(await db.sql`select * from pgmq.read(${q}, 30, 1)`).toHaveLength(0);
  });

  it('(queue_name, msg, delay timestamptz) sets vt to that instant', async () => {
    await db.sql`select pgmq.send(${q}, '{}', ${at}::timestamptz)`;
    const [r] = await db.sql<{ vt: Date }[]>`select vt from ${db.sql('pgmq')}.${db.sql('q_' + q)}`;
    expect(r!.vt.toISOString()).toBe(at);
  });

  it('(queue_name, msg, headers, delay integer) stores headers and delays', async () => {
    await db.sql`select pgmq.send(${q}, '{}', ${{ h: 1 }}::jsonb, 60)`;
    expect(await rows()).toMatchObject([{ headers: { h: 1 }, delay_s: 60, visible: false }]);
  });

  it('(queue_name, msg, headers, delay timestamptz) stores headers and sets vt', async () => {
    await db.sql`select pgmq.send(${q}, '{}', ${{ h: 2 }}::jsonb, ${at}::timestamptz)`;
    const [r] = await db.sql<{ vt: Date; headers: unknown }[]>`select vt, headers from ${db.sql('pgmq')}.${db.sql('q_' + q)}`;
    expect(r).toEqual({ vt: new Date(at), headers: { h: 2 } });
  });

  it('accepts a negative delay: the message is visible at once', async () => {
    await db.sql`select pgmq.send(${q}, '{}', -30)`;
    expect(await rows()).toMatchObject([{ visible: true, delay_s: -30 }]);
  });

  it('accepts a SQL NULL message', async () => {
    await db.sql`select pgmq.send(${q}, null::jsonb)`;
    const read = await db.sql<{ message: unknown }[]>`select message from pgmq.read(${q}, 30, 1)`;
    expect(read).toEqual([{ message: null }]);
  });

  it('returns increasing msg_ids', async () => {
    const a = await db.sql<{ id: string }[]>`select * from pgmq.send(${q}, '{}') as id`;
    const b = await db.sql<{ id: string }[]>`select * from pgmq.send(${q}, '{}') as id`;
    expect([...ids(a, 'id'), ...ids(b, 'id')]).toEqual(['1', '2']);
  });

  it('sets enqueued_at to the transaction start (now()), so vt may be later inside a long transaction', async () => {
    const result = await db.sql.begin(async (tx) => {
      const [{ started }] = (await tx`select now() as started`) as unknown as [{ started: Date }];
      await tx`select pgmq.send(${q}, '{}')`;
      const [row] = (await tx`select enqueued_at, vt > enqueued_at as later from ${tx('pgmq')}.${tx('q_' + q)}`) as unknown as [
        { enqueued_at: Date; later: boolean },
      ];
      return { started, ...row };
    });
    expect(result.enqueued_at).toEqual(result.started);
    expect(result.later).toBe(true);
  });

  it('can be called with named arguments', async () => {
    await db.sql`select pgmq.send(queue_name => ${q}, msg => ${{ n: 1 }}::jsonb, headers => ${{ h: 1 }}::jsonb, delay => 0)`;
    expect(await rows()).toMatchObject([{ message: { n: 1 }, headers: { h: 1 } }]);
  });

  it('keeps a message sent in an uncommitted transaction invisible to other sessions', async () => {
    const other = db.connect(1);
    const tx = await db.sql.reserve();
    try {
      await tx`begin`;
      await tx`select pgmq.send(${q}, '{"pending":true}')`;
      expect(await other`select * from pgmq.read(${q}, 30, 1)`).toHaveLength(0);
      await tx`commit`;
      const got = await other<{ message: unknown }[]>`select message from pgmq.read(${q}, 30, 1)`;
      expect(got).toEqual([{ message: { pending: true } }]);
    } finally {
      tx.release();
    }
  });
});

describe('pgmq.send_batch', () => {
  const msgs = [{ n: 1 }, { n: 2 }, { n: 3 }];

  it('(queue_name, msgs) returns the ids in array order and stores the messages in that order', async () => {
    const out = await db.sql<{ id: string }[]>`select * from pgmq.send_batch(${q}, ${msgs}::jsonb[]) as id`;
    expect(ids(out, 'id')).toEqual(['1', '2', '3']);
    expect((await rows()).map((r) => [r.msg_id, r.message, r.headers, r.visible])).toEqual([
      ['1', { n: 1 }, null, true],
      ['2', { n: 2 }, null, true],
      ['3', { n: 3 }, null, true],
    ]);
  });

  it('(queue_name, msgs, headers jsonb[]) pairs headers with messages by position', async () => {
    await db.sql`select pgmq.send_batch(${q}, ${msgs}::jsonb[], ${[{ h: 'a' }, { h: 'b' }, { h: 'c' }]}::jsonb[])`;
    expect((await rows()).map((r) => [r.message, r.headers])).toEqual([
      [{ n: 1 }, { h: 'a' }],
      [{ n: 2 }, { h: 'b' }],
      [{ n: 3 }, { h: 'c' }],
    ]);
  });

  it('(queue_name, msgs, delay integer) delays every message', async () => {
    await db.sql`select pgmq.send_batch(${q}, ${msgs}::jsonb[], 120)`;
    expect((await rows()).map((r) => [r.delay_s, r.visible])).toEqual([
      [120, false],
      [120, false],
      [120, false],
    ]);
  });

  it('(queue_name, msgs, delay timestamptz) sets every vt to that instant', async () => {
    await db.sql`select pgmq.send_batch(${q}, ${msgs}::jsonb[], ${at}::timestamptz)`;
    const vts = await db.sql<{ vt: Date }[]>`select vt from ${db.sql('pgmq')}.${db.sql('q_' + q)} order by msg_id`;
    expect(vts.map((r) => r.vt.toISOString())).toEqual([at, at, at]);
  });

  it('(queue_name, msgs, headers, delay integer) stores headers and delays', async () => {
    await db.sql`select pgmq.send_batch(${q}, ${[{ n: 1 }]}::jsonb[], ${[{ h: 1 }]}::jsonb[], 90)`;
    expect(await rows()).toMatchObject([{ headers: { h: 1 }, delay_s: 90, visible: false }]);
  });

  it('(queue_name, msgs, headers, delay timestamptz) stores headers and sets vt', async () => {
    await db.sql`select pgmq.send_batch(${q}, ${[{ n: 1 }]}::jsonb[], ${[{ h: 1 }]}::jsonb[], ${at}::timestamptz)`;
    const [r] = await db.sql<{ vt: Date; headers: unknown }[]>`select vt, headers from ${db.sql('pgmq')}.${db.sql('q_' + q)}`;
    expect(r).toEqual({ vt: new Date(at), headers: { h: 1 } });
  });

  it('stores NULL headers when headers is NULL', async () => {
    await db.sql`select pgmq.send_batch(${q}, ${msgs}::jsonb[], null::jsonb[], 0)`;
    expect((await rows()).map((r) => r.headers)).toEqual([null, null, null]);
  });

  it('rejects an empty batch: msgs cannot be NULL or empty', async () => {
    expect(await failure(db.sql`select pgmq.send_batch(${q}, array[]::jsonb[])`)).toEqual({
      code: 'P0001',
      message: 'msgs cannot be NULL or empty',
    });
  });

  it('rejects a NULL batch: msgs cannot be NULL or empty', async () => {
    expect(await failure(db.sql`select pgmq.send_batch(${q}, null::jsonb[])`)).toEqual({
      code: 'P0001',
      message: 'msgs cannot be NULL or empty',
    });
  });

  it('rejects headers of another length, naming both lengths', async () => {
    expect(await failure(db.sql`select pgmq.send_batch(${q}, ${msgs}::jsonb[], ${[{ h: 1 }]}::jsonb[])`)).toEqual({
      code: 'P0001',
      message: 'headers array length (1) must match msgs array length (3)',
    });
  });

  it('counts an empty headers array as length 0', async () => {
    expect(await failure(db.sql`select pgmq.send_batch(${q}, ${[{ n: 1 }]}::jsonb[], array[]::jsonb[])`)).toEqual({
      code: 'P0001',
      message: 'headers array length (0) must match msgs array length (1)',
    });
  });

  it('sends nothing when the batch is rejected', async () => {
    await failure(db.sql`select pgmq.send_batch(${q}, ${msgs}::jsonb[], ${[{ h: 1 }]}::jsonb[])`);
    expect(await rows()).toEqual([]);
  });

  it('returns ids in input order for a large batch', async () => {
    const many = Array.from({ length: 500 }, (_, i) => ({ i }));
    const out = await db.sql<{ id: string }[]>`select * from pgmq.send_batch(${q}, ${many}::jsonb[], 0) as id`;
    expect(ids(out, 'id')).toEqual(many.map((_, i) => String(i + 1)));
    const stored = await db.sql<{ message: { i: number } }[]>`select message from ${db.sql('pgmq')}.${db.sql('q_' + q)} order by msg_id`;
    expect(stored.map((r) => r.message.i)).toEqual(many.map((m) => m.i));
  });
});

describe('pgmq._send_batch', () => {
  it('inserts without validation, with vt as given', async () => {
    const out = await db.sql<{ id: string }[]>`
      select * from pgmq._send_batch(${q}, ${[{ n: 1 }, { n: 2 }]}::jsonb[], null, ${at}::timestamptz) as id`;
    expect(ids(out, 'id')).toEqual(['1', '2']);
  });
});
