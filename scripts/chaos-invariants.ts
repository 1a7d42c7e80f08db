/**
 * The invariants the chaos test (scripts/chaos.ts) checks once every process is stopped, read
 * from what the database holds: tasks, steps, weft.transitions, weft.rejected_results, claims
 * and the namespace queues. Each check that fails adds a sentence naming the task; the counts
 * go into the run's summary line.
 */
import { isDeepStrictEqual } from 'node:util';
import type { Sql } from '../src/db/connection.js';
import type { ScenarioRun } from '../src/workflows/definition.js';

/** A task the run requested, and what its scenario run expects. */
export interface RequestedTask {
  key: string;
  taskId: string;
  workflow: string;
  namespace: string;
  runIndex: number;
  run: ScenarioRun;
}

export interface ChaosCounts {
  tasks: number;
  /** Requested tasks not in a terminal state at the end. */
  lost: number;
  /** Tasks with more than one `finalized` transition. */
  doubleFinalized: number;
  /** Terminal tasks with no `finalized` transition. */
  unfinalized: number;
  /** Step results/failures applied for an attempt that was no longer the step's current one. */
  lateApplied: number;
  /** Late worker reports (complete/fail) rejected and recorded in weft.rejected_results. */
  lateRejected: number;
  /** Transition sequences that do not explain the final state (other than late results). */
  transitionErrors: number;
  /** Tasks whose outcome differs from the scenario's expectation. */
  wrongResults: number;
  /** Tasks that ended in error because a step used up its attempts on expired leases. */
  exhaustedByLeases: number;
  /** Tasks our cancel_task reached while they still ran (they end cancelled). */
  cancelled: number;
  /** Attempts failed as lease_expired (a worker died or stalled). */
  leasesExpired: number;
  /** Expired finalization claims taken over by another orchestrator. */
  takeovers: number;
  /** Queue messages of steps that are no longer enqueued, and claims left on terminal tasks. */
  leftovers: number;
  /** Longest time from an attempt's enqueue to its end (ms): how long recovery took at worst. */
  slowestAttemptMs: number;
  /** The step of that attempt, for a closer look. */
  slowestAttempt: string;
}

interface TaskRow { task_id: string; state: string; error: { step?: string } | null }
interface StepRow {
  task_id: string; step_id: string; name: string; kind: string; state: string; attempt: number; max_attempts: number;
  timeout_ms: number | null; result: unknown; error: { code?: string } | null; compensates: string | null;
}
interface TransitionRow {
  entity: string; task_id: string; step_id: string | null; from_state: string | null; to_state: string; reason: string;
  attempt: number | null; error_code: string | null; created_at: Date; processor_id: string | null;
}

const terminal = new Set(['complete', 'error', 'cancelled', 'compensation_failed']);
const attemptEnds = new Set(['complete', 'waiting_retry', 'error']);

function groupBy<T>(rows: T[], key: (r: T) => string | null): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const r of rows) {
    const k = key(r);
    if (k === null) continue;
    const list = out.get(k);
    if (list) list.push(r);
    else out.set(k, [r]);
  }
  return out;
}

/**
 * Replays one step's transitions: each must start where the previous ended and name the
 * processor that made it, each attempt must be enqueued once in order (1, 2, …), and an attempt
 * may only end (complete, retry, error) while it is the current one. Returns the problems found.
 */
function replayStep(step: StepRow, transitions: TransitionRow[]): { late: string[]; other: string[] } {
  const late: string[] = [];
  const other: string[] = [];
  let state = 'pending';
  let attempt = 0;
  for (const t of transitions) {
    if (t.processor_id === null) other.push(`${step.name}: transition ${t.from_state}→${t.to_state} (${t.reason}) names no processor`);
    if (t.from_state !== state) other.push(`${step.name}: transition ${t.from_state}→${t.to_state} (${t.reason}) while the step was ${state}`);
    if (t.to_state === 'enqueued') {
      if (t.attempt !== attempt + 1) other.push(`${step.name}: attempt ${t.attempt} enqueued after attempt ${attempt}`);
      attempt = t.attempt ?? attempt + 1;
    } else if (attemptEnds.has(t.to_state) && t.attempt !== attempt) {
      late.push(`${step.name}: ${t.to_state} (${t.reason}) applied for attempt ${t.attempt} while attempt ${attempt} was current`);
    }
    state = t.to_state;
  }
  if (state !== step.state) other.push(`${step.name}: transitions end in ${state} but the step is ${step.state}`);
  if (attempt !== step.attempt) other.push(`${step.name}: transitions enqueued ${attempt} attempts but the step says ${step.attempt}`);
  return { late, other };
}

/** Replays a task's own transitions; returns problems and the number of `finalized` rows. */
function replayTask(task: TaskRow, transitions: TransitionRow[]): { other: string[]; finalized: number; cancelled: boolean } {
  const other: string[] = [];
  let state: string | null = null;
  let finalized = 0;
  let cancelled = false;
  for (const t of transitions) {
    if (t.processor_id === null) other.push(`task transition ${t.from_state}→${t.to_state} (${t.reason}) names no processor`);
    if (t.from_state !== state) other.push(`task transition ${t.from_state}→${t.to_state} (${t.reason}) while the task was ${state}`);
    if (t.reason === 'finalized') finalized++;
    if (t.reason === 'cancel_requested') cancelled = true;
    state = t.to_state;
  }
  if (state !== task.state) other.push(`task transitions end in ${state} but the task is ${task.state}`);
  return { other, finalized, cancelled };
}

/** Attempts of a step failed by the chaos rather than by the scenario: expired leases, and timeouts of steps without a timeout. */
function chaosCharges(step: StepRow, transitions: TransitionRow[]): number {
  return transitions.filter(
    (t) => t.from_state === 'enqueued' && (t.error_code === 'lease_expired' || (t.error_code === 'timeout' && step.timeout_ms === null)),
  ).length;
}

function isChaosCode(step: StepRow): boolean {
  const code = step.error?.code;
  return code === 'lease_expired' || (code === 'timeout' && step.timeout_ms === null);
}

/**
 * Compares a finished task with its scenario run. Attempts are compared only for steps the
 * chaos did not charge; a task whose step used up its attempts on expired leases, or that our
 * cancel reached, must have ended accordingly, with every result it did produce correct.
 */
function checkExpectation(r: RequestedTask, task: TaskRow, steps: StepRow[], stepTransitions: Map<string, TransitionRow[]>, cancelled: boolean): { problems: string[]; exhausted: boolean } {
  const problems: string[] = [];
  const expect = r.run.expect;
  const ordinary = steps.filter((s) => s.kind === 'step');
  const byName = new Map(ordinary.map((s) => [s.name, s]));
  const expectedResults = expect.results ?? {};
  // Whatever happened, a step that completed produced the expected value.
  for (const s of ordinary) {
    if (s.state === 'complete' && s.name in expectedResults && !isDeepStrictEqual(s.result, expectedResults[s.name])) {
      problems.push(`result of ${s.name} is ${JSON.stringify(s.result)}, expected ${JSON.stringify(expectedResults[s.name])}`);
    }
  }
  const exhausted = steps.filter((s) => s.state === 'error' && isChaosCode(s));
  if (cancelled) {
    if (task.state !== 'cancelled') problems.push(`cancelled while running but ended ${task.state}`);
    return { problems, exhausted: false };
  }
  if (exhausted.length > 0) {
    if (task.state !== 'error' && task.state !== 'compensation_failed') {
      problems.push(`step ${exhausted[0]!.name} used up its attempts on expired leases but the task ended ${task.state}`);
    }
    return { problems, exhausted: true };
  }
  if (task.state !== expect.task_state) problems.push(`task ended ${task.state}, expected ${expect.task_state}`);
  for (const name of Object.keys(expectedResults)) {
    if (byName.get(name)?.state !== 'complete') problems.push(`step ${name} is ${byName.get(name)?.state ?? 'missing'}, expected complete`);
  }
  if (expect.task_state !== 'complete') {
    for (const s of ordinary) if (!(s.name in expectedResults) && s.state === 'complete') problems.push(`step ${s.name} completed; the scenario says it must not`);
  }
  for (const [name, attempts] of Object.entries(expect.attempts ?? {})) {
    const s = byName.get(name);
    if (!s) continue;
    const charged = chaosCharges(s, stepTransitions.get(s.step_id) ?? []);
    if (charged === 0 && s.attempt !== attempts) problems.push(`step ${name} took ${s.attempt} attempts, expected ${attempts}`);
    if (charged > 0 && s.attempt > s.max_attempts) problems.push(`step ${name} took ${s.attempt} attempts, more than its ${s.max_attempts}`);
  }
  if (expect.compensated) {
    const done = steps
      .filter((s) => s.kind === 'compensation' && s.state === 'complete')
      .map((s) => s.compensates ?? '?');
    if (!isDeepStrictEqual(done, expect.compensated)) problems.push(`compensated ${JSON.stringify(done)}, expected ${JSON.stringify(expect.compensated)}`);
  }
  return { problems, exhausted: false };
}

/** Reads everything about the requested tasks and checks every invariant. */
export async function checkInvariants(sql: Sql, requested: RequestedTask[]): Promise<{ counts: ChaosCounts; failures: string[]; stuck: string[] }> {
  const ids = requested.map((r) => r.taskId);
  const tasks = await sql<TaskRow[]>`select task_id, state::text as state, error from weft.tasks where task_id = any (${ids}::uuid[])`;
  // compensation steps in the order their compensations completed (as weft.finalize_task reports them)
  const steps = await sql<StepRow[]>`
    select s.task_id, s.step_id, s.name, s.kind, s.state::text as state, s.attempt, s.max_attempts, s.timeout_ms, s.result, s.error,
           o.name as compensates
    from weft.steps s left join weft.steps o on o.step_id = s.compensates
    where s.task_id = any (${ids}::uuid[])
    order by s.task_id, s.finished_at nulls last, s.step_id`;
  const transitions = await sql<TransitionRow[]>`
    select entity, task_id, step_id, from_state, to_state, reason, attempt, details #>> '{error,code}' as error_code, created_at,
           processor_id
    from weft.transitions where task_id = any (${ids}::uuid[]) order by transition_id`;
  const [extra] = await sql<{ late_rejected: number; takeovers: number; claims: number }[]>`
    select (select count(*)::int from weft.rejected_results where kind in ('complete', 'fail')) as late_rejected,
           (select coalesce(sum(claims_taken_over), 0)::int from weft.processor_stats) as takeovers,
           (select count(*)::int from weft.finalization_claims c join weft.tasks t using (task_id)
            where t.state in ('complete', 'error', 'cancelled', 'compensation_failed')) as claims`;
  let orphans = 0;
  for (const ns of new Set(requested.map((r) => r.namespace))) {
    const [o] = await sql<{ n: number }[]>`
      select count(*)::int as n from pgmq.${sql('q_' + ns)} q
      where not exists (select 1 from weft.steps s where s.step_id = (q.message ->> 'step_id')::uuid and s.state = 'enqueued' and s.msg_id = q.msg_id)`;
    orphans += o!.n;
  }

  const counts: ChaosCounts = {
    tasks: requested.length, lost: 0, doubleFinalized: 0, unfinalized: 0, lateApplied: 0, lateRejected: extra!.late_rejected,
    transitionErrors: 0, wrongResults: 0, exhaustedByLeases: 0, cancelled: 0,
    leasesExpired: transitions.filter((t) => t.error_code === 'lease_expired' && t.from_state === 'enqueued').length,
    takeovers: extra!.takeovers, leftovers: orphans + extra!.claims, slowestAttemptMs: 0, slowestAttempt: '',
  };
  const failures: string[] = [];
  const stuck: string[] = [];
  if (orphans > 0) failures.push(`${orphans} queue message(s) left for steps that are no longer enqueued`);
  if (extra!.claims > 0) failures.push(`${extra!.claims} finalization claim(s) left on terminal tasks`);

  const taskById = new Map(tasks.map((t) => [t.task_id, t]));
  const stepsByTask = groupBy(steps, (s) => s.task_id);
  const taskTransitions = groupBy(transitions.filter((t) => t.entity === 'task'), (t) => t.task_id);
  const stepTransitions = groupBy(transitions.filter((t) => t.entity === 'step'), (t) => t.step_id);

  for (const r of requested) {
    const label = `${r.workflow} run ${r.runIndex} (task ${r.taskId})`;
    const task = taskById.get(r.taskId);
    if (!task) {
      counts.lost++;
      failures.push(`${label}: the task does not exist`);
      continue;
    }
    const mySteps = stepsByTask.get(r.taskId) ?? [];
    if (!terminal.has(task.state)) {
      counts.lost++;
      const where = mySteps.map((s) => `${s.name}:${s.state}#${s.attempt}`).join(' ');
      stuck.push(`${label}: ${task.state}; steps ${where}`);
      continue;
    }
    const t = replayTask(task, taskTransitions.get(r.taskId) ?? []);
    if (t.finalized > 1) {
      counts.doubleFinalized++;
      failures.push(`${label}: finalized ${t.finalized} times`);
    } else if (t.finalized === 0) {
      counts.unfinalized++;
      failures.push(`${label}: terminal (${task.state}) without a finalized transition`);
    }
    let otherProblems = t.other;
    let lateProblems: string[] = [];
    for (const s of mySteps) {
      const trs = stepTransitions.get(s.step_id) ?? [];
      for (const [i, tr] of trs.entries()) {
        const next = trs[i + 1];
        if (tr.to_state !== 'enqueued' || !next) continue;
        const ms = next.created_at.getTime() - tr.created_at.getTime();
        if (ms > counts.slowestAttemptMs) {
          counts.slowestAttemptMs = ms;
          counts.slowestAttempt = `${r.workflow}.${s.name} attempt ${tr.attempt} of task ${r.taskId} (${tr.created_at.toISOString()} → ${next.to_state})`;
        }
      }
      const replay = replayStep(s, trs);
      lateProblems = lateProblems.concat(replay.late);
      otherProblems = otherProblems.concat(replay.other);
    }
    if (lateProblems.length > 0) {
      counts.lateApplied++;
      failures.push(`${label}: late result applied: ${lateProblems.join('; ')}`);
    }
    if (otherProblems.length > 0) {
      counts.transitionErrors++;
      failures.push(`${label}: transitions: ${otherProblems.join('; ')}`);
    }
    if (t.cancelled) counts.cancelled++;
    const e = checkExpectation(r, task, mySteps, stepTransitions, t.cancelled);
    if (e.exhausted) counts.exhaustedByLeases++;
    if (e.problems.length > 0) {
      counts.wrongResults++;
      failures.push(`${label}: ${e.problems.join('; ')}`);
    }
  }
  return { counts, failures, stuck };
}
