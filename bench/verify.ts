/**
 * Correctness of a run: every requested task finished, exactly once per step, with exactly the
 * values the shape's arithmetic gives (so results passed parent → child intact), and nothing
 * extra. A run with any problem is reported as failed, never as a number.
 */
import { expectedValues, inputFor, type ShapeSpec } from './shapes.js';
import type { TaskRecord } from './system.js';

export interface Verdict {
  ok: boolean;
  /** Tasks checked. */
  tasks: number;
  /** Steps checked. */
  steps: number;
  /** The first problems found (at most 10), each one sentence. */
  problems: string[];
  /** Total number of problems. */
  problemCount: number;
}

/**
 * Checks the records of the tasks with these keys.
 *
 * @example verifyTasks(spec, keys, await adapter.collect('diamond', keys), extra).ok
 */
export function verifyTasks(spec: ShapeSpec, keys: number[], records: Map<number, TaskRecord>, systemProblems: string[] = []): Verdict {
  const problems: string[] = [...systemProblems];
  let steps = 0;
  const expectedCache = new Map<number, Map<string, number>>();
  for (const key of keys) {
    const record = records.get(key);
    if (!record) {
      problems.push(`task ${key}: missing (never finished or never created)`);
      continue;
    }
    if (record.state !== 'complete') problems.push(`task ${key}: state ${record.state}, expected complete`);
    const n = inputFor(key);
    let expected = expectedCache.get(n);
    if (!expected) {
      expected = expectedValues(spec, n);
      expectedCache.set(n, expected);
    }
    for (const step of spec.steps) {
      const got = record.steps.get(step.name);
      if (!got) {
        problems.push(`task ${key}: step ${step.name} has no result`);
        continue;
      }
      steps++;
      if (got.runs !== 1) problems.push(`task ${key}: step ${step.name} ran ${got.runs} times, expected once`);
      if (got.v !== expected.get(step.name)) {
        problems.push(`task ${key}: step ${step.name} = ${String(got.v)}, expected ${expected.get(step.name)}`);
      }
    }
    if (record.steps.size > spec.steps.length) {
      problems.push(`task ${key}: ${record.steps.size} steps recorded, expected ${spec.steps.length}`);
    }
  }
  const wanted = new Set(keys);
  const extra = [...records.keys()].filter((k) => !wanted.has(k));
  if (extra.length > 0) problems.push(`${extra.length} unexpected tasks recorded (e.g. key ${extra[0]})`);
  return { ok: problems.length === 0, tasks: keys.length, steps, problems: problems.slice(0, 10), problemCount: problems.length };
}

/** Merges verdicts (all must be ok). */
export function mergeVerdicts(verdicts: Verdict[]): Verdict {
  const problems = verdicts.flatMap((v) => v.problems);
  return {
    ok: verdicts.every((v) => v.ok),
    tasks: verdicts.reduce((a, v) => a + v.tasks, 0),
    steps: verdicts.reduce((a, v) => a + v.steps, 0),
    problems: problems.slice(0, 10),
    problemCount: verdicts.reduce((a, v) => a + v.problemCount, 0),
  };
}
