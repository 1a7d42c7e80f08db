/**
 * The shared acceptance scenarios (../shared/scenarios), run purely in SQL by the sql-driver:
 * every run ends in the expected task state with the expected step results, attempts and
 * compensation order.
 */
import { readdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDatabase, type TestDatabase } from '../../support/db.js';
import { SqlDriver, loadScenario, registerWorkflow, requestTask, scenariosDir, taskOutcome } from '../../support/sql-driver.js';

let db: TestDatabase;
beforeAll(async () => {
  db = await testDatabase('weft_scenarios');
});
afterAll(async () => {
  await db.drop();
});

const names = readdirSync(scenariosDir)
  .filter((f) => f.endsWith('.yaml'))
  .map((f) => f.replace(/\.yaml$/, ''))
  .sort();

describe('shared scenarios, driven in SQL', () => {
  it('finds the scenario files', () => {
    expect(names).toEqual(expect.arrayContaining(['diamond', 'linear', 'tree', 'retries_exhausted', 'step_timeout']));
  });

  it.each(names)('%s', async (name) => {
    const scenario = loadScenario(name);
    // One namespace per scenario, so one driver only sees its own messages.
    const namespace = `scn_${name}`.slice(0, 40);
    await registerWorkflow(db.sql, { ...scenario.workflow, namespace });
    const driver = new SqlDriver(db.sql, { namespace, processorId: `driver-${name}` });
    for (const run of scenario.runs) {
      const id = await requestTask(db.sql, namespace, scenario.workflow.name, run.context);
      await driver.runUntilFinished([id]);
      const out = await taskOutcome(db.sql, id);
      expect(out.state).toBe(run.expect.task_state);
      for (const [step, result] of Object.entries(run.expect.results ?? {})) {
        expect({ step, state: out.steps[step]?.state, result: out.steps[step]?.result }).toEqual({ step, state: 'complete', result });
      }
      for (const [step, attempts] of Object.entries(run.expect.attempts ?? {})) {
        expect({ step, attempts: out.steps[step]?.attempt }).toEqual({ step, attempts });
      }
      if (run.expect.compensated) expect(out.compensated).toEqual(run.expect.compensated);
      // Steps with no expected result did not complete when the task failed.
      if (run.expect.task_state !== 'complete') {
        for (const [step, s] of Object.entries(out.steps)) {
          if (!(step in (run.expect.results ?? {}))) expect({ step, state: s.state }).not.toEqual({ step, state: 'complete' });
        }
      }
      const finalized = await db.sql`select 1 from weft.transitions where task_id = ${id}::uuid and reason = 'finalized'`;
      expect(finalized).toHaveLength(1);
    }
  });
});
