/**
 * The npm client pgmq-js 1.3.1, unchanged, runs its whole API against weft's compat schema
 * (pgmq 1.13.0 surface, §9 of pgmq-api.md). It is built with `skipExtensionCreation: true`
 * (otherwise it runs CREATE EXTENSION pgmq, which a server without the extension refuses).
 *
 * Known client-side behaviour kept as is (the same against real pgmq 1.13.0):
 *  - msg.setVt() calls `pgmq.set_vt($1, $2, $3)` with untyped parameters; 1.13.0 has four set_vt
 *    overloads of three arguments, so PostgreSQL cannot choose one: ERROR 42725
 *    `function pgmq.set_vt(unknown, unknown, unknown) is not unique`. Asserted below.
 *  - msg.sendBatch(q, []) is rejected by 1.13.0 (`msgs cannot be NULL or empty`), although
 *    pgmq-js's own tests expect [].
 *  - queue.list() runs `SELECT pgmq.list_queues()` and parses the composite's text form
 *    `(name,f,f,"timestamp")` by position, so pgmq.queue_record's attribute order matters.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Pgmq } from 'pgmq-js';
import { parseDatabaseUrl } from '../../src/db/connection.js';
import { testDatabase, type TestDatabase } from '../support/db.js';

let db: TestDatabase;
let pgmq: Pgmq;

beforeAll(async () => {
  db = await testDatabase('pgmq_js');
  const target = parseDatabaseUrl(db.url);
  const password = decodeURIComponent(new URL(db.url).password);
  pgmq = await Pgmq.new(
    {
      host: target.host,
      port: target.port,
      database: target.database,
      user: target.user,
      password,
      // pgmq-js defaults ssl to true; the test server has no TLS.
      ssl: false,
      max: 4,
      // Set explicitly: when idleTimeoutMillis is omitted, pgmq-js 1.3.1 overwrites max with 1000.
      idleTimeoutMillis: 10_000,
      connectionTimeoutMillis: 10_000,
    },
    { skipExtensionCreation: true },
  );
});

afterAll(async () => {
  await pgmq?.close();
  await db.drop();
});

interface Payload {
  n: number;
}

describe('pgmq-js 1.3.1: queue manager', () => {
  it('create / createUnlogged / list', async () => {
    await pgmq.queue.create('js_q');
    await pgmq.queue.createUnlogged('js_unlogged');
    const queues = await pgmq.queue.list();
    const byName = Object.fromEntries(queues.map((q) => [q.name, q]));
    expect(byName.js_q).toMatchObject({ name: 'js_q', isPartitioned: false, isUnlogged: false });
    expect(byName.js_unlogged).toMatchObject({ name: 'js_unlogged', isPartitioned: false, isUnlogged: true });
    const [created] = await db.sql<{ created_at: Date }[]>`select created_at from pgmq.meta where queue_name = 'js_q'`;
    expect(byName.js_q!.createdAt.getTime()).toBe(created!.created_at.getTime());
    expect(await db.sql`select relpersistence from pg_class where oid = 'pgmq.q_js_unlogged'::regclass`).toEqual([
      { relpersistence: 'u' },
    ]);
  });

  it('create is idempotent', async () => {
    await pgmq.queue.create('js_q');
    expect((await pgmq.queue.list()).filter((q) => q.name === 'js_q')).toHaveLength(1);
  });

  it('getMetrics / getAllMetrics', async () => {
    await pgmq.msg.send('js_q', { n: 1 });
    await pgmq.msg.send('js_q', { n: 2 });
    const m = await pgmq.queue.getMetrics('js_q');
    expect(m).toMatchObject({ queueName: 'js_q', queueLength: 2, totalMessages: 2 });
    expect(m.scrapeTime).toBeInstanceOf(Date);
    expect(m.oldestMsgAgeSec).toBeGreaterThanOrEqual(0);
    // The template database may hold weft's own queues too: look at this test's queues only.
    const all = (await pgmq.queue.getAllMetrics()).filter((x) => x.queueName.startsWith('js_'));
    expect(all.map((x) => x.queueName).sort()).toEqual(['js_q', 'js_unlogged']);
    expect(all.find((x) => x.queueName === 'js_unlogged')).toMatchObject({ queueLength: 0, totalMessages: 0 });
  });

  it('purge empties the queue', async () => {
    await pgmq.queue.purge('js_q');
    expect(await pgmq.queue.getMetrics('js_q')).toMatchObject({ queueLength: 0, totalMessages: 2 });
  });

  it('detachArchive is an accepted no-op', async () => {
    await pgmq.queue.detachArchive('js_q');
    expect(await db.sql`select to_regclass('pgmq.a_js_q') is not null as kept`).toEqual([{ kept: true }]);
  });
});

describe('pgmq-js 1.3.1: messages', () => {
  it('send / read / readBatch', async () => {
    await pgmq.queue.create('js_msgs');
    const id = await pgmq.msg.send<Payload>('js_msgs', { n: 1 });
    expect(typeof id).toBe('number');
    const read = await pgmq.msg.read<Payload>('js_msgs', 30);
    expect(read).toMatchObject({ msgId: id, readCount: 1, message: { n: 1 } });
    expect(read.vt.getTime()).toBeGreaterThan(Date.now());
    // Invisible for 30 s now.
    expect(await pgmq.msg.read('js_msgs', 30)).toBeUndefined();

    const ids = await pgmq.msg.sendBatch<Payload>('js_msgs', [{ n: 2 }, { n: 3 }, { n: 4 }]);
    expect(ids).toEqual([id + 1, id + 2, id + 3]);
    const batch = await pgmq.msg.readBatch<Payload>('js_msgs', 30, 2);
    expect(batch.map((m) => m.message.n).sort()).toEqual([2, 3]);
  });

  it('send with a delay keeps the message invisible', async () => {
    await pgmq.queue.create('js_delay');
    await pgmq.msg.send('js_delay', { n: 1 }, 3600);
    await pgmq.msg.sendBatch('js_delay', [{ n: 2 }], 3600);
    expect(await pgmq.msg.readBatch('js_delay', 30, 10)).toEqual([]);
    expect(await pgmq.queue.getMetrics('js_delay')).toMatchObject({ queueLength: 2 });
  });

  it('sendBatch of an empty list is rejected, as by pgmq 1.13.0', async () => {
    await expect(pgmq.msg.sendBatch('js_msgs', [])).rejects.toMatchObject({ code: 'P0001', message: 'msgs cannot be NULL or empty' });
  });

  it('pop returns and removes the first visible message; undefined when none', async () => {
    await pgmq.queue.create('js_pop');
    const id = await pgmq.msg.send<Payload>('js_pop', { n: 9 });
    expect(await pgmq.msg.pop<Payload>('js_pop')).toMatchObject({ msgId: id, readCount: 0, message: { n: 9 } });
    expect(await pgmq.msg.pop('js_pop')).toBeUndefined();
  });

  it('archive / archiveBatch move messages to the archive table', async () => {
    await pgmq.queue.create('js_arch');
    const [a, b, c] = await pgmq.msg.sendBatch('js_arch', [{ n: 1 }, { n: 2 }, { n: 3 }]);
    expect(await pgmq.msg.archive('js_arch', a!)).toBe(true);
    expect(await pgmq.msg.archive('js_arch', a!)).toBe(false);
    expect((await pgmq.msg.archiveBatch('js_arch', [b!, c!, 999_999])).sort()).toEqual([b, c]);
    const archived = await db.sql<{ msg_id: string }[]>`select msg_id from pgmq.a_js_arch order by msg_id`;
    expect(archived.map((r) => Number(r.msg_id))).toEqual([a, b, c]);
    expect(await pgmq.queue.getMetrics('js_arch')).toMatchObject({ queueLength: 0 });
  });

  it('delete / deleteBatch remove messages', async () => {
    await pgmq.queue.create('js_del');
    const [a, b, c] = await pgmq.msg.sendBatch('js_del', [{ n: 1 }, { n: 2 }, { n: 3 }]);
    expect(await pgmq.msg.delete('js_del', a!)).toBe(true);
    expect(await pgmq.msg.delete('js_del', a!)).toBe(false);
    expect((await pgmq.msg.deleteBatch('js_del', [b!, c!, 999_999])).sort()).toEqual([b, c]);
    expect(await pgmq.queue.getMetrics('js_del')).toMatchObject({ queueLength: 0, totalMessages: 3 });
  });

  it('setVt fails with 42725 (ambiguous untyped set_vt call), exactly as against real pgmq 1.13.0', async () => {
    const id = await pgmq.msg.send('js_msgs', { n: 5 });
    await expect(pgmq.msg.setVt('js_msgs', id, 60)).rejects.toMatchObject({
      code: '42725',
      message: 'function pgmq.set_vt(unknown, unknown, unknown) is not unique',
    });
    // The typed call that pgmq-js would need works.
    const rows = await db.sql`select msg_id from pgmq.set_vt('js_msgs', ${id}::bigint, 60)`;
    expect(rows).toEqual([{ msg_id: String(id) }]);
  });
});

describe('pgmq-js 1.3.1: drop', () => {
  it('drop removes the queue; dropping it again is accepted (pgmq returns false)', async () => {
    await pgmq.queue.drop('js_unlogged');
    expect((await pgmq.queue.list()).map((q) => q.name)).not.toContain('js_unlogged');
    await pgmq.queue.drop('js_unlogged');
    expect(await db.sql`select to_regclass('pgmq.q_js_unlogged') as t`).toEqual([{ t: null }]);
  });
});
