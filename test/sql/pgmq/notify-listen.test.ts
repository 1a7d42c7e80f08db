/**
 * Insert notifications, listener side (pgmq 1.13.0 §2.7): a LISTEN on `pgmq.q_<t>.INSERT` in its
 * own session receives a NULL-payload notification for each committed insert the throttle lets
 * through, nothing for a rolled-back one, and nothing before commit.
 *
 * No sleeping: after the sends under test, the test sends a marker notification on the same
 * channel and waits for it. PostgreSQL delivers notifications in commit order, so once the
 * marker has arrived, everything the earlier transactions sent has arrived too.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sql } from '../../../src/db/connection.js';
import { testDatabase, type TestDatabase } from '../../support/db.js';

let db: TestDatabase;
let listener: Sql;
beforeAll(async () => {
  db = await testDatabase('notify_listen');
  listener = db.connect(1);
});
afterAll(async () => {
  await db.drop();
});

let markerCount = 0;

/** Listens on a channel from the listener session; `drain()` returns what arrived before a fresh marker. */
async function inbox(channel: string) {
  let received: string[] = [];
  let waiting: { marker: string; resolve: () => void } | undefined;
  await listener.listen(channel, (payload) => {
    if (waiting && payload === waiting.marker) waiting.resolve();
    else received.push(payload);
  });
  return {
    async drain(): Promise<string[]> {
      const marker = `marker-${++markerCount}`;
      const arrived = new Promise<void>((resolve) => (waiting = { marker, resolve }));
      await db.sql`select pg_notify(${channel}, ${marker})`;
      await arrived;
      const out = received;
      received = [];
      return out;
    },
  };
}

const send = (queue: string) => db.sql`select pgmq.send(${queue}, '{}'::jsonb)`;

describe('LISTEN pgmq.q_<t>.INSERT', () => {
  it('receives one notification, with an empty payload, for a committed send', async () => {
    await db.sql`select pgmq.create('ev')`;
    await db.sql`select pgmq.enable_notify_insert('ev', 0)`;
    const box = await inbox('pgmq.q_ev.INSERT');
    await send('ev');
    expect(await box.drain()).toEqual(['']);
  });

  it('receives nothing for a rolled-back send', async () => {
    const box = await inbox('pgmq.q_ev.INSERT');
    await db.sql
      .begin(async (tx) => {
        await tx`select pgmq.send('ev', '{}'::jsonb)`;
        throw new Error('roll back');
      })
      .catch(() => undefined);
    expect(await box.drain()).toEqual([]);
    expect(await db.sql`select count(*)::int as n from pgmq.q_ev`).toEqual([{ n: 1 }]);
  });

  it('is delivered at commit, not at the insert', async () => {
    const box = await inbox('pgmq.q_ev.INSERT');
    const writer = await db.sql.reserve();
    try {
      await writer`begin`;
      await writer`select pgmq.send('ev', '{}'::jsonb)`;
      expect(await box.drain()).toEqual([]);
      await writer`commit`;
    } finally {
      writer.release();
    }
    expect(await box.drain()).toEqual(['']);
  });

  it('with interval 0, notifies for every committed send', async () => {
    const box = await inbox('pgmq.q_ev.INSERT');
    await send('ev');
    await send('ev');
    await send('ev');
    expect(await box.drain()).toEqual(['', '', '']);
  });

  it('folds the notifications of one transaction into one (server behaviour: same channel and payload)', async () => {
    const box = await inbox('pgmq.q_ev.INSERT');
    await db.sql`select pgmq.send_batch('ev', array['1', '2', '3']::jsonb[])`;
    expect(await box.drain()).toEqual(['']);
  });

  it('with an interval, suppresses notifications within it; update_notify_insert resets the clock', async () => {
    await db.sql`select pgmq.create('slow')`;
    // One hour: the second send is certainly within the interval.
    await db.sql`select pgmq.enable_notify_insert('slow', 3600000)`;
    const box = await inbox('pgmq.q_slow.INSERT');
    await send('slow');
    const [first] = await db.sql<{ last_notified_at: Date }[]>`
      select last_notified_at from pgmq.list_notify_insert_throttles() where queue_name = 'slow'`;
    await send('slow');
    await send('slow');
    expect(await box.drain()).toEqual(['']);
    const [after] = await db.sql<{ last_notified_at: Date }[]>`
      select last_notified_at from pgmq.list_notify_insert_throttles() where queue_name = 'slow'`;
    expect(first!.last_notified_at.getTime()).toBeGreaterThan(0);
    expect(after!.last_notified_at).toEqual(first!.last_notified_at);

    await db.sql`select pgmq.update_notify_insert('slow', 3600000)`;
    await send('slow');
    await send('slow');
    expect(await box.drain()).toEqual(['']);
  });

  it('stops after disable_notify_insert', async () => {
    await db.sql`select pgmq.create('off')`;
    await db.sql`select pgmq.enable_notify_insert('off', 0)`;
    const box = await inbox('pgmq.q_off.INSERT');
    await send('off');
    await db.sql`select pgmq.disable_notify_insert('off')`;
    await send('off');
    expect(await box.drain()).toEqual(['']);
  });

  it('notifies for messages delivered by send_topic too', async () => {
    await db.sql`select pgmq.create('lower_q')`;
    await db.sql`select pgmq.enable_notify_insert('lower_q', 0)`;
    await db.sql`select pgmq.bind_topic('t.#', 'lower_q')`;
    const box = await inbox('pgmq.q_lower_q.INSERT');
    await db.sql`select pgmq.send_topic('t.x', '{}'::jsonb)`;
    expect(await box.drain()).toEqual(['']);
  });
});

describe('upper-case queue names (pgmq 1.13.0 quirk, fixed in 1.13.1)', () => {
  it('never notify: the trigger looks the throttle row up by the lower-cased table name', async () => {
    await db.sql`select pgmq.create('CaseQ')`;
    await db.sql`select pgmq.enable_notify_insert('CaseQ', 0)`;
    const lower = await inbox('pgmq.q_caseq.INSERT');
    const asCreated = await inbox('pgmq.q_CaseQ.INSERT');
    await send('CaseQ');
    expect(await lower.drain()).toEqual([]);
    expect(await asCreated.drain()).toEqual([]);
    // The insert happened, the throttle row was never touched.
    expect(await db.sql`select count(*)::int as n from pgmq.q_caseq`).toEqual([{ n: 1 }]);
    expect(await db.sql`select last_notified_at from pgmq.list_notify_insert_throttles() where queue_name = 'CaseQ'`).toEqual([
      { last_notified_at: new Date(0) },
    ]);
  });
});
