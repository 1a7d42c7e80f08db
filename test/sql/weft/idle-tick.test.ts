/**
 * An idle orchestrator must not spin: with no timer pending, weft.orchestrator_tick says so
 * (next_due_in_ms null), and a pending timer gives its distance on the engine clock.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDatabase, type TestDatabase } from '../../support/db.js';

let db: TestDatabase;
beforeAll(async () => {
  db = await testDatabase('idle_tick');
  await db.sql`select weft.register_workflow(${db.sql.json({ namespace: 'idle', name: 'one', version: '1', steps: [{ name: 'a', handler: 'h' }] })})`;
});
afterAll(async () => {
  await db.drop();
});

describe('weft.orchestrator_tick when idle', () => {
  it('reports no pending timer as null, not 0', async () => {
    const [t] = await db.sql`select next_due_at, next_due_in_ms from weft.orchestrator_tick('idle')`;
    expect(t).toEqual({ next_due_at: null, next_due_in_ms: null });
  });

  it('reports a delayed start as the milliseconds until it, on the engine clock', async () => {
    await db.sql`select weft.request_task('idle', 'one', run_after => weft.now() + interval '1 hour')`;
    const [t] = await db.sql<{ ms: string }[]>`select next_due_in_ms as ms from weft.orchestrator_tick('idle')`;
    expect(Number(t!.ms)).toBeGreaterThan(3_500_000);
    expect(Number(t!.ms)).toBeLessThanOrEqual(3_600_000);
  });
});
