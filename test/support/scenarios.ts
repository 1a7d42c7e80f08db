/**
 * Loading the acceptance scenarios (../shared/scenarios beside the checkout) and checking a
 * finished task against a run's expectations.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import type { Sql } from '../../src/db/connection.js';
import { packageRoot } from '../../src/db/paths.js';
import { loadWorkflowFiles, type ScenarioRun, type WorkflowFile } from '../../src/workflows/definition.js';

export const scenariosDir = join(packageRoot, '..', 'shared', 'scenarios');

export function loadScenarios(): WorkflowFile[] {
  if (!existsSync(scenariosDir)) throw new Error(`The scenarios folder ${scenariosDir} is missing (../shared beside the checkout).`);
  return loadWorkflowFiles(scenariosDir);
}

/** Asserts task state, step results, attempts and the order of compensations. */
export async function expectRun(sql: Sql, taskId: string, run: ScenarioRun, label: string): Promise<void> {
  const [task] = await sql<{ state: string }[]>`select state from weft.tasks where task_id = ${taskId}`;
  expect(task?.state, `${label}: task state`).toBe(run.expect.task_state);
  const steps = await sql<{ name: string; state: string; result: unknown; attempt: number }[]>`
    select name, state::text, result, attempt from weft.steps where task_id = ${taskId} and kind = 'step'`;
  const byName = new Map(steps.map((s) => [s.name, s]));
  for (const [name, value] of Object.entries(run.expect.results ?? {})) {
    expect(byName.get(name)?.state, `${label}: state of ${name}`).toBe('complete');
    expect(byName.get(name)?.result, `${label}: result of ${name}`).toEqual(value);
  }
  // Steps not named in results did not complete, unless the task completed (then all did).
  if (run.expect.task_state !== 'complete') {
    for (const s of steps) {
      if (!(s.name in (run.expect.results ?? {}))) expect(s.state, `${label}: ${s.name} must not complete`).not.toBe('complete');
    }
  }
  for (const [name, attempts] of Object.entries(run.expect.attempts ?? {})) {
    expect(byName.get(name)?.attempt, `${label}: attempts of ${name}`).toBe(attempts);
  }
  if (run.expect.compensated) {
    const done = await sql<{ name: string }[]>`
      select o.name from weft.steps s join weft.steps o on o.step_id = s.compensates
      where s.task_id = ${taskId} and s.kind = 'compensation' and s.state = 'complete'
      order by s.finished_at, s.step_id`;
    expect(done.map((d) => d.name), `${label}: compensated, in order`).toEqual(run.expect.compensated);
  }
  // Finalized exactly once, and every step change audited.
  const [fin] = await sql<{ n: number }[]>`
    select count(*)::int as n from weft.transitions where task_id = ${taskId} and entity = 'task' and reason = 'finalized'`;
  expect(fin?.n, `${label}: finalized once`).toBe(1);
}
