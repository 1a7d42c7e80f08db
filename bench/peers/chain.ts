/**
 * DAGs on a job queue the way its users build them ("hand-chained"): each step is a job whose
 * payload carries its parents' results; when a step's handler has run, it enqueues each child
 * whose only parent it is, and for a join it records its result in a join row of the
 * application's own table — the arrival that brings the row's count to zero enqueues the join
 * with every parent's result. Used for graphile-worker and pg-boss (v10, the newest that runs on
 * Node 20, has no flow/dependency feature).
 */
import { inputFor, runStep, type Shape, type ShapeSpec, type StepResult } from '../shapes.js';
import type { RecordStep } from './child.js';

/** The payload of one step job. */
export interface StepJob {
  sh: Shape;
  k: number;
  st: string;
  /** Results of the step's parents, by name. */
  p: Record<string, StepResult>;
}

/** The application table that joins arrive in (one row per task and join step). */
export const JOIN_TABLE_SQL = `
  create table if not exists bench_joins (
    sh text not null,
    k integer not null,
    st text not null,
    remaining integer not null,
    parents jsonb not null,
    primary key (sh, k, st)
  )`;

/** One arrival at a join: the upsert that counts down and gathers results atomically. */
const ARRIVE_SQL = `
  insert into bench_joins as j (sh, k, st, remaining, parents)
  values ($1, $2, $3, $4 - 1, jsonb_build_object($5::text, $6::jsonb))
  on conflict (sh, k, st) do update set remaining = j.remaining - 1, parents = j.parents || excluded.parents
  returning remaining, parents`;

export interface ChainDeps {
  shapes: Record<string, ShapeSpec>;
  record: RecordStep;
  /** Runs one SQL statement on the queue's database. */
  query(text: string, values: unknown[]): Promise<{ rows: Array<Record<string, unknown>> }>;
}

/** The first job(s) of a task: its root steps. */
export function rootJobs(spec: ShapeSpec, key: number): StepJob[] {
  return spec.steps.filter((s) => s.parents.length === 0).map((s) => ({ sh: spec.shape, k: key, st: s.name, p: {} }));
}

/**
 * Runs one step job and returns the jobs to enqueue next (children now ready).
 *
 * @example const next = await runChainedStep(job, deps); await enqueue(next);
 */
export async function runChainedStep(job: StepJob, deps: ChainDeps): Promise<StepJob[]> {
  const spec = deps.shapes[job.sh];
  const step = spec?.steps.find((s) => s.name === job.st);
  if (!spec || !step) throw new Error(`unknown step ${job.sh}/${job.st}`);
  const result = runStep(step, inputFor(job.k), job.p);
  deps.record(job.sh, job.k, job.st, result);
  const next: StepJob[] = [];
  for (const childName of spec.children.get(step.name) ?? []) {
    const child = spec.steps.find((s) => s.name === childName)!;
    if (child.parents.length === 1) {
      next.push({ sh: job.sh, k: job.k, st: childName, p: { [step.name]: result } });
      continue;
    }
    const { rows } = await deps.query(ARRIVE_SQL, [job.sh, job.k, childName, child.parents.length, step.name, JSON.stringify(result)]);
    const row = rows[0] as { remaining: number; parents: Record<string, StepResult> };
    if (row.remaining === 0) next.push({ sh: job.sh, k: job.k, st: childName, p: row.parents });
  }
  return next;
}
