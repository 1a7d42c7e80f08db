/**
 * Every scenario with 3 orchestrator and 4 worker processes (separate OS processes), each run
 * requested three times so that processes race for the same kinds of work.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Weft } from '../../src/client/client.js';
import { testDatabase, type TestDatabase } from '../support/db.js';
import { fastEngineEnv, startWeft, type WeftProcess } from '../support/processes.js';
import { expectRun, loadScenarios } from '../support/scenarios.js';

const scenarios = loadScenarios();
let db: TestDatabase;
let weft: Weft;
const processes: WeftProcess[] = [];

beforeAll(async () => {
  db = await testDatabase('multiprocess');
  weft = new Weft({ sql: db.sql });
  for (const s of scenarios) await weft.registerWorkflow(s.definition);
  const env = fastEngineEnv(db.url);
  for (let i = 0; i < 3; i++) processes.push(startWeft(`orchestrator-${i}`, ['orchestrator', '--processor-id', `orch-${i}`], env));
  for (let i = 0; i < 4; i++) {
    processes.push(startWeft(`worker-${i}`, ['worker', '--builtin', 'scenarios', '--processor-id', `worker-${i}`, '--concurrency', '4'], env));
  }
});
afterAll(async () => {
  const codes = await Promise.all(processes.map((p) => p.stop()));
  await db?.drop();
  // every process shut down cleanly on SIGTERM
  expect(codes.every((c) => c === 0), processes.map((p, i) => `${p.name}: ${codes[i]}\n${p.output()}`).join('\n')).toBe(true);
});

describe('acceptance scenarios, 3 orchestrator + 4 worker processes', () => {
  it('every run of every scenario ends with exactly the expected results and attempts', async () => {
    const requested: { taskId: string; label: string; run: (typeof scenarios)[number]['runs'][number] }[] = [];
    for (const s of scenarios) {
      const d = s.definition;
      for (const [i, run] of s.runs.entries()) {
        for (let copy = 0; copy < 3; copy++) {
          const taskId = await weft.requestTask({ namespace: d.namespace, workflow: d.name, context: run.context });
          requested.push({ taskId, label: `${d.name} run ${i} copy ${copy}`, run });
        }
      }
    }
    for (const r of requested) {
      await weft.waitForTask(r.taskId, { timeoutMs: 120_000 });
      await expectRun(db.sql, r.taskId, r.run, r.label);
    }
    // Finalization was spread over claims, each task finalized by exactly one orchestrator.
    const [stats] = await db.sql<{ won: number; finalized: number }[]>`
      select coalesce(sum(claims_won), 0)::int as won, coalesce(sum(tasks_finalized), 0)::int as finalized from weft.processor_stats`;
    expect(stats!.finalized).toBe(requested.length);
  });
});
