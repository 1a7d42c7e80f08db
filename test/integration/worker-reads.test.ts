/**
 * Where a worker's messages come from (src/worker/worker.ts): from its own reads while the
 * queue has a backlog (reading does not wait for reports to commit), and along with its
 * reports (weft.complete_steps_and_read) once the queue is drained — a chain's next step comes
 * back in the answer to its parent's report.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/observability/logger.js';
import { Orchestrator } from '../../src/orchestrator/orchestrator.js';
import { Worker } from '../../src/worker/worker.js';
import { testDatabase, type TestDatabase } from '../support/db.js';
import { registerWorkflow } from '../support/sql-driver.js';

let db: TestDatabase;
beforeAll(async () => {
  db = await testDatabase('worker_reads');
  await registerWorkflow(db.sql, { namespace: 'wr', name: 'one', version: '1', steps: [{ name: 'only', handler: 'h' }] });
  await registerWorkflow(db.sql, {
    namespace: 'wr', name: 'chain', version: '1',
    steps: ['s1', 's2', 's3', 's4', 's5', 's6'].map((name, i, all) => ({ name, handler: 'h', depends_on: i === 0 ? [] : [all[i - 1]!] })),
  });
});
afterAll(async () => {
  await db.drop();
});

/** Runs an orchestrator and a worker until `count` tasks of the namespace are complete. */
async function runUntilComplete(count: number, worker: Worker): Promise<void> {
  const orchestrator = new Orchestrator({ sql: db.sql, logger: silentLogger(), processorId: 'wr-o' });
  await orchestrator.start();
  await worker.start();
  try {
    for (;;) {
      const [row] = await db.sql<{ n: number }[]>`select count(*)::int as n from weft.tasks where namespace = 'wr' and state = 'complete'`;
      if (row!.n >= count) return;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  } finally {
    await worker.stop();
    await orchestrator.stop();
  }
}

/** Messages the worker took along with its reports (the batcher's counter). */
function readAlong(worker: Worker): number {
  return (worker as unknown as { completions: { readAlongMessages: number } }).completions.readAlongMessages;
}

describe('Worker reads', () => {
  it('reads a backlog itself: 200 waiting single-step tasks, none taken along with a report', async () => {
    await db.sql`select count(*) from weft.request_tasks('wr', 'one', array(select jsonb_build_object('i', i) from generate_series(1, 200) i))`;
    const worker = new Worker({ sql: db.sql, logger: silentLogger(), processorId: 'wr-backlog', concurrency: 10, batchSize: 10, namespaces: ['wr'] });
    worker.register('h', () => 1);
    await runUntilComplete(200, worker);
    expect(worker.stats.completed).toBe(200);
    expect(readAlong(worker)).toBe(0);
  });

  it('takes a chain\'s next step along with its parent\'s report once the queue is drained', async () => {
    await db.sql`select weft.request_task('wr', 'chain', '{}')`;
    const worker = new Worker({ sql: db.sql, logger: silentLogger(), processorId: 'wr-chain', concurrency: 2, namespaces: ['wr'] });
    worker.register('h', ({ parents }) => Object.keys(parents).length);
    await runUntilComplete(201, worker);
    expect(worker.stats.completed).toBe(6);
    // s2 … s6: each made ready by its parent's report and read in that same call.
    expect(readAlong(worker)).toBe(5);
  });
});
