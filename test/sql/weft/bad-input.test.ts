/**
 * Bad input to weft's SQL API: each row is [what, SQL call, expected SQLSTATE, message fragment].
 * Every call must fail with that SQLSTATE and a message naming the bad value, and change
 * nothing: the counts of every weft table, every queue and archive, a digest of all task and
 * step rows and the clock are the same before and after.
 *
 * Placeholders: :enqueued (a step on attempt 1), :pending (a step never started), :running (a
 * running task), :unknown (a uuid no row has).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDatabase, type TestDatabase } from '../../support/db.js';
import { registerWorkflow, requestTask } from '../../support/sql-driver.js';
import { badInputSqlRows } from './bad-input-rows.js';
import { diamond, snapshot, sqlError, stepRow } from './fixtures.js';

let db: TestDatabase;
const ids: Record<string, string> = {};
beforeAll(async () => {
  db = await testDatabase('weft_bad_input');
  await registerWorkflow(db.sql, diamond('bad', 'w'));
  const task = await requestTask(db.sql, 'bad', 'w', { n: 2 }, { idempotencyKey: 'used-key' });
  ids.running = task;
  ids.enqueued = (await stepRow(db.sql, task, 'start')).step_id;
  ids.pending = (await stepRow(db.sql, task, 'end')).step_id;
  ids.unknown = '00000000-0000-7000-8000-000000000bad';
});
afterAll(async () => {
  await db.drop();
});

const rows = badInputSqlRows;

describe('bad input to the weft SQL API changes nothing', () => {
  it('has a row for at least 25 distinct mistakes', () => {
    expect(rows.length).toBeGreaterThanOrEqual(25);
    expect(new Set(rows.map((r) => r[0])).size).toBe(rows.length);
  });

  it.each(rows)('%s → %s', async (_what, call, code, fragment) => {
    const fill = (text: string): string => text.replace(/:(enqueued|pending|running|unknown)\b/g, (_m, k: string) => ids[k]!);
    const before = await snapshot(db.sql);
    const e = await sqlError(db.sql.unsafe(fill(call)));
    expect({ code: e.code, message: e.message }).toEqual({ code, message: expect.stringContaining(fill(fragment)) });
    expect(await snapshot(db.sql)).toEqual(before);
  });

  it('left the fixture task untouched after all of them', async () => {
    const [t] = await db.sql`select state::text, steps_remaining from weft.tasks where task_id = ${ids.running!}::uuid`;
    expect(t).toEqual({ state: 'running', steps_remaining: 4 });
    expect(await db.sql`select count(*)::int as n from weft.workflows`).toEqual([{ n: 1 }]);
  });
});
