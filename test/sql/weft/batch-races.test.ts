/**
 * Races of the wake-up throttle and the batch finalization, with real concurrent sessions:
 * - the first wake-up of a channel/payload, inserted by two transactions at once: the second
 *   returns false at once instead of waiting for the first (advisory try-lock in weft._wake);
 * - weft.finalize_tasks while a claim of the batch is locked by another session and expires
 *   meanwhile: never WF011 for the whole batch. If the other session only looked (rolled back),
 *   the batch locks and renews the claim and finalizes the task; if it took the claim over
 *   (committed), that task comes back with state null and the rest of the batch still goes in.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sql } from '../../../src/db/connection.js';
import { testDatabase, type TestDatabase } from '../../support/db.js';
import { registerWorkflow, requestTask } from '../../support/sql-driver.js';
import { completeByName, single, untilBlocked } from './fixtures.js';

let db: TestDatabase;
beforeAll(async () => {
  db = await testDatabase('batch_races');
  await registerWorkflow(db.sql, single('demo', 'one'));
});
afterAll(async () => {
  await db.drop();
});

describe('weft._wake, first wake-up of a channel/payload', () => {
  it('returns false without waiting while another open transaction is inserting the same (new) wakeups row', async () => {
    const c = `wake_new_${Date.now()}`;
    const a = await db.connect(1).reserve();
    const b = db.connect(1);
    try {
      await a`begin`;
      expect((await a`select weft._wake(${c}, 'x') as sent`)[0]!.sent).toBe(true);
      const sent = await b.begin(async (tx) => {
        await tx`set local statement_timeout = '2s'`;
        return (await tx`select weft._wake(${c}, 'x') as sent`)[0]!.sent;
      });
      expect(sent).toBe(false);
    } finally {
      await a`rollback`;
      a.release();
    }
  });
});

describe('weft.finalize_tasks, a claim locked by another session that expires meanwhile', () => {
  /** Two finished tasks, both claimed by 'orch' (the second for 1 s only), sorted by id. */
  async function twoClaimed(): Promise<[string, string]> {
    const ids: string[] = [];
    for (let i = 0; i < 2; i++) {
      const id = await requestTask(db.sql, 'demo', 'one', {});
      await completeByName(db.sql, id, 'only', 1);
      ids.push(id);
    }
    ids.sort();
    await db.sql`select * from weft.claim_task_for_finalization(${ids[0]!}::uuid, 'orch', 30000)`;
    await db.sql`select * from weft.claim_task_for_finalization(${ids[1]!}::uuid, 'orch', 1000)`;
    return ids as [string, string];
  }

  /**
   * Runs finalize_tasks on both while `holder` holds the second claim's row; once the batch
   * waits for it, the clock passes the claim's expiry and `release` ends the holder's transaction.
   */
  async function raceWith(release: (holder: Sql, second: string) => Promise<void>) {
    const [first, second] = await twoClaimed();
    const holder = await db.connect(1).reserve();
    const finalizer = await db.connect(1).reserve();
    try {
      await holder`begin`;
      await holder`select 1 from weft.finalization_claims where task_id = ${second}::uuid for update`;
      const [{ pid }] = (await finalizer`select pg_backend_pid() as pid`) as unknown as [{ pid: number }];
      const batch = finalizer`select task_id, state::text from weft.finalize_tasks(${[first, second]}::uuid[], 'orch')`.execute();
      await untilBlocked(db.sql, pid);
      await db.sql`select weft.shift_clock(interval '1500 milliseconds')`;
      await release(holder as unknown as Sql, second);
      const rows = (await batch) as unknown as { task_id: string; state: string | null }[];
      return { first, second, rows };
    } finally {
      await holder`rollback`.catch(() => undefined);
      holder.release();
      finalizer.release();
    }
  }

  it('the other session only looked (rolled back): the batch renews the claim it locked and finalizes both', async () => {
    const { first, second, rows } = await raceWith(async (holder) => {
      await holder`rollback`;
    });
    expect(rows).toEqual([{ task_id: first, state: 'complete' }, { task_id: second, state: 'complete' }]);
  });

  it('the other session took the expired claim over (committed): that task comes back null, the rest is finalized', async () => {
    const { first, second, rows } = await raceWith(async (holder, id) => {
      await holder`update weft.finalization_claims set processor_id = 'other', expires_at = weft.now() + interval '30 seconds', takeovers = takeovers + 1 where task_id = ${id}::uuid`;
      await holder`commit`;
    });
    expect(rows).toEqual([{ task_id: first, state: 'complete' }, { task_id: second, state: null }]);
    const [t] = await db.sql`select state::text from weft.tasks where task_id = ${second}::uuid`;
    expect(t).toEqual({ state: 'finalizing' });
  });
});
