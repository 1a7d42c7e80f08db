/**
 * pgmq compat schema — metrics and metrics_all (pgmq-api.md §2.6).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDatabase, type TestDatabase } from '../../support/db.js';
import { queueName } from './core-support.js';

let db: TestDatabase;

beforeAll(async () => {
  db = await testDatabase('pgmq_core_metrics');
});
afterAll(async () => {
  await db.drop();
});

interface Metrics {
  queue_name: string;
  queue_length: string;
  newest_msg_age_sec: number | null;
  oldest_msg_age_sec: number | null;
  total_messages: string;
  scrape_time: Date;
  queue_visible_length: string;
  default_partition_length: string | null;
}

async function metrics(q: string): Promise<Metrics> {
  const [row] = await db.sql<Metrics[]>`select * from pgmq.metrics(${q})`;
  return row!;
}

describe('pgmq.metrics', () => {
  it('returns the metrics_result columns in order', async () => {
    const q = queueName('cols');
    await db.sql`select pgmq.create(${q})`;
    const rows = await db.sql`select * from pgmq.metrics(${q})`;
    expect(rows.columns.map((c) => c.name)).toEqual([
      'queue_name',
      'queue_length',
      'newest_msg_age_sec',
      'oldest_msg_age_sec',
      'total_messages',
      'scrape_time',
      'queue_visible_length',
      'default_partition_length',
    ]);
  });

  it('reports an empty queue: zero lengths, NULL ages, zero total', async () => {
    const q = queueName('empty');
    await db.sql`select pgmq.create(${q})`;
    expect(await metrics(q)).toMatchObject({
      queue_name: q,
      queue_length: '0',
      newest_msg_age_sec: null,
      oldest_msg_age_sec: null,
      total_messages: '0',
      queue_visible_length: '0',
      default_partition_length: null,
    });
  });

  it('counts all messages in queue_length and only visible ones in queue_visible_length', async () => {
    const q = queueName('len');
    await db.sql`select pgmq.create(${q})`;
    await db.sql`select pgmq.send_batch(${q}, array['{}','{}']::jsonb[])`;
    await db.sql`select pgmq.send(${q}, '{}', 600)`;
    expect(await metrics(q)).toMatchObject({ queue_length: '3', queue_visible_length: '2', total_messages: '3' });
  });

  it('measures ages in whole seconds from enqueued_at', async () => {
    const q = queueName('age');
    await db.sql`select pgmq.create(${q})`;
    await db.sql`select pgmq.send(${q}, '{}')`;
    await db.sql.unsafe(`update pgmq.q_${q} set enqueued_at = now() - interval '90 seconds'`);
    await db.sql`select pgmq.send(${q}, '{}')`;
    const m = await metrics(q);
    expect([m.oldest_msg_age_sec, m.newest_msg_age_sec]).toEqual([90, 0]);
  });

  it('keeps total_messages across deletes and purge', async () => {
    const q = queueName('total');
    await db.sql`select pgmq.create(${q})`;
    await db.sql`select pgmq.send_batch(${q}, array['{}','{}','{}']::jsonb[])`;
    await db.sql`select pgmq.delete(${q}, 1::bigint)`;
    await db.sql`select pgmq.purge_queue(${q})`;
    expect(await metrics(q)).toMatchObject({ queue_length: '0', total_messages: '3' });
  });

  it('counts rolled-back sends in total_messages (the sequence is not transactional)', async () => {
    const q = queueName('rolled');
    await db.sql`select pgmq.create(${q})`;
    await db.sql
      .begin(async (tx) => {
        await tx`select pgmq.send(${q}, '{}')`;
        throw new Error('roll back');
      })
      .catch(() => undefined);
    expect(await metrics(q)).toMatchObject({ queue_length: '0', total_messages: '1' });
  });

  it('reports queue_name as given and scrape_time = now() of the transaction', async () => {
    await db.sql`select pgmq.create('MetricsQ')`;
    const [row] = await db.sql<{ queue_name: string; same: boolean }[]>`
      select (m).queue_name, (m).scrape_time = now() as same from (select pgmq.metrics('METRICSQ') as m) s`;
    expect(row).toEqual({ queue_name: 'METRICSQ', same: true });
  });

  it('uses transaction time (now()) for visibility, not the clock', async () => {
    const q = queueName('txtime');
    await db.sql`select pgmq.create(${q})`;
    const visible = await db.sql.begin(async (tx) => {
      await tx`select now()`;
      // vt a little after the transaction start but before the clock: visible to read, not to metrics
      await tx.unsafe(`insert into pgmq.q_${q} (vt, message) values (now() + interval '1 millisecond', '{}')`);
      await tx`select pg_sleep(0.01)`;
      const [m] = (await tx`select queue_visible_length from pgmq.metrics(${q})`) as unknown as [{ queue_visible_length: string }];
      const readable = await tx`select * from pgmq.read(${q}, 30, 1)`;
      return { metrics: m.queue_visible_length, read: readable.length };
    });
    expect(visible).toEqual({ metrics: '0', read: 1 });
  });
});

describe('pgmq.metrics_all', () => {
  it('returns one row per queue in meta, spelled as in meta', async () => {
    const a = queueName('ma');
    await db.sql`select pgmq.create(${a})`;
    await db.sql`select pgmq.create('AllMetricsQ')`;
    await db.sql`select pgmq.send(${a}, '{}')`;
    const rows = await db.sql<Metrics[]>`select * from pgmq.metrics_all()`;
    const names = rows.map((r) => r.queue_name);
    const [meta] = await db.sql<{ n: number }[]>`select count(*)::int as n from pgmq.meta`;
    expect(rows).toHaveLength(meta!.n);
    expect(names).toContain('AllMetricsQ');
    expect(rows.find((r) => r.queue_name === a)).toMatchObject({ queue_length: '1', total_messages: '1' });
  });
});
