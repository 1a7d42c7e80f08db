/**
 * Every scenario of ../shared/scenarios with one in-process orchestrator and one worker:
 * exact results, attempts, compensation order, finalized once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Weft } from '../../src/client/client.js';
import { testDatabase, type TestDatabase } from '../support/db.js';
import { startEngine, type TestEngine } from '../support/engine.js';
import { expectRun, loadScenarios } from '../support/scenarios.js';

const scenarios = loadScenarios();
let db: TestDatabase;
let engine: TestEngine;
let weft: Weft;

beforeAll(async () => {
  db = await testDatabase('scenarios');
  weft = new Weft({ sql: db.sql });
  for (const s of scenarios) await weft.registerWorkflow(s.definition);
  engine = await startEngine(db.connect);
});
afterAll(async () => {
  await engine?.stop();
  await db?.drop();
});

describe('acceptance scenarios, 1 orchestrator + 1 worker', () => {
  for (const scenario of scenarios) {
    const d = scenario.definition;
    it(`${d.namespace}/${d.name}`, async () => {
      for (const [i, run] of scenario.runs.entries()) {
        const taskId = await weft.requestTask({ namespace: d.namespace, workflow: d.name, context: run.context });
        const task = await weft.waitForTask(taskId, { timeoutMs: 60_000 });
        expect(task.state).toBe(run.expect.task_state);
        await expectRun(db.sql, taskId, run, `${d.name} run ${i}`);
      }
    });
  }

  it('requestTasks: the runs of math/linear in one call, ids in order, each with its own outcome', async () => {
    const { definition: d, runs } = scenarios.find((s) => s.definition.name === 'linear')!;
    const ids = await weft.requestTasks({ namespace: d.namespace, workflow: d.name, contexts: runs.map((r) => r.context) });
    expect(ids).toHaveLength(runs.length);
    for (const [i, run] of runs.entries()) {
      await weft.waitForTask(ids[i]!, { timeoutMs: 60_000 });
      await expectRun(db.sql, ids[i]!, run, `${d.name} bulk run ${i}`);
    }
  });

  it('waits the retry backoff before each new attempt (retry_then_succeed: >= 200 ms, then >= 400 ms)', async () => {
    const taskId = await weft.requestTask({ namespace: 'math', workflow: 'retry_then_succeed', context: { n: 4 } });
    await weft.waitForTask(taskId);
    const rows = await db.sql<{ to_state: string; attempt: number; created_at: Date; delay_ms: number | null; ready_at: string | null }[]>`
      select tr.to_state, tr.attempt, tr.created_at, (tr.details ->> 'delay_ms')::int as delay_ms, tr.details ->> 'ready_at' as ready_at
      from weft.transitions tr join weft.steps s on s.step_id = tr.step_id
      where s.task_id = ${taskId} and s.name = 'flaky' order by tr.transition_id`;
    const failed = (a: number) => rows.find((r) => r.to_state === 'waiting_retry' && r.attempt === a)!;
    const enqueuedAt = (a: number) => rows.find((r) => r.to_state === 'enqueued' && r.attempt === a)!.created_at.getTime();
    // exponential, base 200 ms, no jitter: 200 ms after the first failure, 400 ms after the second
    expect(failed(1).delay_ms).toBe(200);
    expect(failed(2).delay_ms).toBe(400);
    // and no attempt was enqueued before its backoff had elapsed
    expect(enqueuedAt(2)).toBeGreaterThanOrEqual(new Date(failed(1).ready_at!).getTime());
    expect(enqueuedAt(3)).toBeGreaterThanOrEqual(new Date(failed(2).ready_at!).getTime());
  });
});
