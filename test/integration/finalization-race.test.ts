/**
 * Finalization race: 8 orchestrator processes wake at once on 1,000 tasks that became ready to
 * finalize in one commit. Each task is finalized exactly once (one `finalized` transition),
 * and the claim counters add up.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDatabase, type TestDatabase } from '../support/db.js';
import { fastEngineEnv, startWeft, type WeftProcess } from '../support/processes.js';

const TASKS = 1000;
const ORCHESTRATORS = 8;
let db: TestDatabase;
const processes: WeftProcess[] = [];

beforeAll(async () => {
  db = await testDatabase('finalization_race');
  await db.sql`select weft.register_workflow(${db.sql.json({ namespace: 'race', name: 'one', version: '1', steps: [{ name: 'only', handler: 'noop' }] })})`;
  await db.sql`select weft.request_task('race', 'one', jsonb_build_object('i', i)) from generate_series(1, ${TASKS}) i`;
  const env = fastEngineEnv(db.url);
  for (let i = 0; i < ORCHESTRATORS; i++) {
    processes.push(startWeft(`orchestrator-${i}`, ['orchestrator', '--processor-id', `race-${i}`], { ...env, WEFT_ORCHESTRATOR_BATCH_SIZE: '25' }));
  }
  // Wait until all 8 are polling (each has ticked once: a row appears in pg_stat_activity).
  for (;;) {
    const [row] = await db.sql<{ n: number }[]>`
      select count(distinct pid)::int as n from pg_stat_activity where datname = current_database() and application_name = 'weft-orchestrator'`;
    if (row!.n >= ORCHESTRATORS) break;
    if (processes.some((p) => p.child.exitCode !== null)) throw new Error(processes.map((p) => p.output()).join('\n'));
    await new Promise((r) => setTimeout(r, 100));
  }
});
afterAll(async () => {
  await Promise.all(processes.map((p) => p.stop()));
  await db?.drop();
});

describe('finalization race', () => {
  it(`${ORCHESTRATORS} orchestrators, ${TASKS} tasks: each finalized exactly once`, async () => {
    // Complete every step in one transaction: all tasks become finalizing at the same commit.
    await db.sql.begin(async (tx) => {
      await tx`select weft.complete_step(s.step_id, 1, '1'::jsonb, 'test') from weft.steps s where s.state = 'enqueued'`;
    });
    for (;;) {
      const [row] = await db.sql<{ n: number }[]>`select count(*)::int as n from weft.tasks where state <> 'complete'`;
      if (row!.n === 0) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    const [fin] = await db.sql<{ tasks: number; transitions: number; max_per_task: number; processors: number }[]>`
      select count(distinct task_id)::int as tasks, count(*)::int as transitions,
             max(n)::int as max_per_task, count(distinct processor_id)::int as processors
      from (select task_id, processor_id, count(*) over (partition by task_id) as n
            from weft.transitions where entity = 'task' and reason = 'finalized') x`;
    expect(fin).toMatchObject({ tasks: TASKS, transitions: TASKS, max_per_task: 1 });
    const [stats] = await db.sql<{ won: number; finalized: number }[]>`
      select sum(claims_won)::int as won, sum(tasks_finalized)::int as finalized from weft.processor_stats`;
    expect(stats).toEqual({ won: TASKS, finalized: TASKS });
    const [claims] = await db.sql<{ n: number }[]>`select count(*)::int as n from weft.finalization_claims`;
    expect(claims!.n).toBe(0);
    // Report how the work spread (informational; contention is expected, not required).
    console.log(`finalization race: ${fin!.processors} of ${ORCHESTRATORS} orchestrators finalized tasks`);
  });
});
