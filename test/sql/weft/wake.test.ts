/**
 * weft._wake: the throttled NOTIFY of every engine wake-up (table weft.wakeups). One NOTIFY per
 * channel/payload per weft._wake_window_ms(); none while another transaction is sending the same
 * one (SKIP LOCKED: it never waits). Each test uses channels of its own, so the engine's own
 * wake-ups (weft_steps, weft_orchestrator) never interfere. Sleeps only pass the window.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sql } from '../../../src/db/connection.js';
import { testDatabase, type TestDatabase } from '../../support/db.js';

let db: TestDatabase;
beforeAll(async () => {
  db = await testDatabase('weft_wake');
});
afterAll(async () => {
  await db.drop();
});

const channel = (): string => `wake_t_${randomBytes(4).toString('hex')}`;

async function wake(sql: Sql, c: string | null, p: string | null): Promise<boolean> {
  const [r] = await sql<{ sent: boolean }[]>`select weft._wake(${c}::text, ${p}::text) as sent`;
  return r!.sent;
}

async function notifiedAt(c: string, p: string): Promise<Date | undefined> {
  const [r] = await db.sql<{ at: Date }[]>`select notified_at as at from weft.wakeups where channel = ${c} and payload = ${p}`;
  return r?.at;
}

/**
 * Keeps the pair inside its window for the rest of the test (notified_at an hour ahead): "within
 * the window" must not depend on how fast the next call comes on a loaded machine.
 */
async function holdWindow(c: string, p: string): Promise<void> {
  await db.sql`update weft.wakeups set notified_at = clock_timestamp() + interval '1 hour' where channel = ${c} and payload = ${p}`;
}

/** Passes the throttle window (in SQL, on the server's clock). */
async function passWindow(): Promise<void> {
  await db.sql`select pg_sleep(0.05)`;
}

/**
 * A LISTEN on `c` on a connection of its own. `settle()` sends a sentinel NOTIFY (after every
 * commit so far) and resolves, once it arrives, with the payloads heard before it: NOTIFYs reach
 * a listener in commit order, so nothing sent earlier can still be on its way.
 */
async function listen(c: string): Promise<{ settle: () => Promise<string[]> }> {
  const heard: string[] = [];
  let onSentinel: (() => void) | null = null;
  const listener = db.connect(1);
  await listener.listen(c, (payload) => {
    if (payload === '__sentinel__') onSentinel?.();
    else heard.push(payload);
  });
  return {
    settle: async () => {
      const arrived = new Promise<void>((r) => (onSentinel = r));
      await db.sql`select pg_notify(${c}, '__sentinel__')`;
      await arrived;
      return [...heard];
    },
  };
}

describe('weft._wake', () => {
  it('sends the first wake-up of a channel/payload and not a second one within the window; another payload is independent', async () => {
    const c = channel();
    expect(await wake(db.sql, c, 'p1')).toBe(true);
    await holdWindow(c, 'p1');
    expect(await wake(db.sql, c, 'p1')).toBe(false);
    expect(await wake(db.sql, c, 'p2')).toBe(true);
    const [r] = await db.sql`select weft._wake_window_ms() as window_ms`;
    expect(r).toEqual({ window_ms: 20 });
    const rows = await db.sql`select payload from weft.wakeups where channel = ${c} order by payload`;
    expect(rows).toEqual([{ payload: 'p1' }, { payload: 'p2' }]);
  });

  it('sends again once the window has passed, and records when', async () => {
    const c = channel();
    expect(await wake(db.sql, c, 'p')).toBe(true);
    const first = await notifiedAt(c, 'p');
    await passWindow();
    expect(await wake(db.sql, c, 'p')).toBe(true);
    const second = await notifiedAt(c, 'p');
    expect(second!.getTime()).toBeGreaterThan(first!.getTime());
    await holdWindow(c, 'p');
    expect(await wake(db.sql, c, 'p')).toBe(false);
  });

  it('sends nothing and records nothing for a null channel or payload', async () => {
    const [before] = await db.sql<{ n: number }[]>`select count(*)::int as n from weft.wakeups`;
    expect(await wake(db.sql, null, 'p')).toBe(false);
    expect(await wake(db.sql, channel(), null)).toBe(false);
    const [after] = await db.sql<{ n: number }[]>`select count(*)::int as n from weft.wakeups`;
    expect(after!.n).toBe(before!.n);
  });

  it('a wake-up that returned true reaches a listener, after commit', async () => {
    const c = channel();
    const l = await listen(c);
    await db.sql.begin(async (tx) => {
      expect(await wake(tx as unknown as Sql, c, 'ns_a')).toBe(true);
      expect(await wake(tx as unknown as Sql, c, 'ns_b')).toBe(true);
    });
    expect(await l.settle()).toEqual(['ns_a', 'ns_b']);
  });

  it('returns false at once, sending nothing, while another open transaction holds the row (it is sending that wake-up)', async () => {
    const c = channel();
    const l = await listen(c);
    expect(await wake(db.sql, c, 'x')).toBe(true);
    await passWindow();
    const a = await db.connect(1).reserve();
    const b = db.connect(1);
    try {
      await a`begin`;
      expect(await wake(a as unknown as Sql, c, 'x')).toBe(true);
      // B must not wait for A: a wait would end in a statement timeout and fail the test.
      const sentByB = await b.begin(async (tx) => {
        await tx`set local statement_timeout = '5s'`;
        return wake(tx as unknown as Sql, c, 'x');
      });
      expect(sentByB).toBe(false);
      await a`commit`;
    } finally {
      await a`rollback`.catch(() => undefined);
      a.release();
    }
    // The first call's NOTIFY and A's; none from B.
    expect(await l.settle()).toEqual(['x', 'x']);
  });

  it('a rolled-back wake-up sends nothing and leaves the window as it was', async () => {
    const c = channel();
    const l = await listen(c);
    expect(await wake(db.sql, c, 'y')).toBe(true);
    const first = await notifiedAt(c, 'y');
    await passWindow();
    await db.sql
      .begin(async (tx) => {
        expect(await wake(tx as unknown as Sql, c, 'y')).toBe(true);
        throw new Error('roll back');
      })
      .catch((err: Error) => expect(err.message).toBe('roll back'));
    expect(await notifiedAt(c, 'y')).toEqual(first);
    expect(await wake(db.sql, c, 'y')).toBe(true);
    expect(await l.settle()).toEqual(['y', 'y']);
  });
});
