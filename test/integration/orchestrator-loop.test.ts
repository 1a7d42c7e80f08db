/**
 * The orchestrator's loop (src/orchestrator/orchestrator.ts) with a poll interval far longer
 * than the test: a 'finalize' wake-up makes it claim and finalize without the periodic duties;
 * a 'timer' wake-up runs the duties, which then wake it again when the timer is due.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/observability/logger.js';
import { Orchestrator } from '../../src/orchestrator/orchestrator.js';
import { Worker } from '../../src/worker/worker.js';
import { testDatabase, type TestDatabase } from '../support/db.js';
import { registerWorkflow } from '../support/sql-driver.js';

let db: TestDatabase;
let orchestrator: Orchestrator;
let worker: Worker;
beforeAll(async () => {
  db = await testDatabase('orchestrator_loop');
  await registerWorkflow(db.sql, { namespace: 'ol', name: 'one', version: '1', steps: [{ name: 'only', handler: 'h' }] });
  const logger = silentLogger();
  orchestrator = new Orchestrator({ sql: db.sql, logger, processorId: 'ol-o', pollIntervalMs: 600_000 });
  worker = new Worker({ sql: db.sql, logger, processorId: 'ol-w', concurrency: 10, pollIntervalMs: 600_000, namespaces: ['ol'] });
  worker.register('h', () => 'done');
  await orchestrator.start();
  await worker.start();
});
afterAll(async () => {
  await worker.stop();
  await orchestrator.stop();
  await db.drop();
});

/** Waits (polling the database) until `count` tasks of namespace ol are complete. */
async function completeCount(count: number): Promise<number> {
  for (;;) {
    const [row] = await db.sql<{ n: number }[]>`select count(*)::int as n from weft.tasks where namespace = 'ol' and state = 'complete'`;
    if (row!.n >= count) return row!.n;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('Orchestrator loop, polling every 10 minutes', () => {
  it('finalizes tasks on finalize wake-ups: 150 single-step tasks all complete, each finalized once', async () => {
    await db.sql`select count(*) from weft.request_tasks('ol', 'one', array(select jsonb_build_object('i', i) from generate_series(1, 150) i))`;
    expect(await completeCount(150)).toBe(150);
    const [row] = await db.sql<{ n: number }[]>`
      select count(*)::int as n from weft.transitions where entity = 'task' and to_state = 'complete' and processor_id = 'ol-o'`;
    expect(row!.n).toBe(150);
    expect(orchestrator.stats.finalized).toBe(150);
  });

  it('starts a delayed task when its run_after comes: the timer wake-up schedules the next tick', async () => {
    const [req] = await db.sql<{ id: string }[]>`
      select weft.request_task('ol', 'one', '{}', run_after => now() + interval '400 milliseconds') as id`;
    expect(await completeCount(151)).toBe(151);
    const [task] = await db.sql<{ state: string; late: boolean }[]>`
      select state::text, started_at >= run_after as late from weft.tasks where task_id = ${req!.id}::uuid`;
    expect(task).toEqual({ state: 'complete', late: true });
  });
});
