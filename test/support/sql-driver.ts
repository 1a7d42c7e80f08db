/**
 * A worker and an orchestrator played purely in SQL, for tests of the weft schema: reads step
 * messages of a namespace queue (`pgmq.read`), computes the result of a scenario handler
 * (../shared/scenarios/README.md), reports it (`weft.complete_step` / `weft.fail_step`), fires
 * timers (`weft.fire_timers`, shifting `weft.now()` instead of sleeping) and claims + finalizes
 * (`weft.claim_tasks_for_finalization` + `weft.finalize_task`). No TypeScript engine code is used,
 * so a test of the SQL API can drive whole tasks to their end.
 *
 * @example
 *   const driver = new SqlDriver(db.sql, { namespace: 'math' });
 *   const taskId = await requestTask(db.sql, 'math', 'diamond', { n: 2 });
 *   await driver.runUntilFinished([taskId]);
 *   expect(await taskOutcome(db.sql, taskId)).toMatchObject({ state: 'complete' });
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import type { Sql } from '../../src/db/connection.js';
import { packageRoot } from '../../src/db/paths.js';

/** The step message a worker reads from its namespace queue (schemas/step-message.schema.json). */
export interface StepMessage {
  task_id: string;
  step_id: string;
  namespace: string;
  workflow: { name: string; version: string };
  step: string;
  handler: string;
  args: Record<string, unknown>;
  attempt: number;
  max_attempts: number;
  priority: string;
  context: Record<string, unknown>;
  /** 'step', or 'compensation' for a saga's undo step. */
  kind: 'step' | 'compensation';
  parents: Record<string, unknown>;
  /** For a compensation step: the step it undoes. */
  compensates: { step: string; step_id: string; result: unknown; args: Record<string, unknown> } | null;
  checkpoint: unknown;
  timeout_ms: number | null;
  deadline: string | null;
}

/** One message as `pgmq.read` returns it (msg_id is a bigint, kept as a string). */
export interface QueuedStep {
  msgId: string;
  readCt: number;
  vt: Date;
  message: StepMessage;
}

/** What a scenario handler does with a message. `hang` = it outlives its timeout, never reports. */
export type HandlerOutcome =
  | { kind: 'complete'; result: unknown }
  | { kind: 'fail'; error: { message: string; code: string }; retryable: boolean }
  | { kind: 'hang' };

/**
 * Reads up to `qty` visible step messages of a namespace queue, hiding them for `vt` seconds.
 *
 * SQL: `select msg_id, read_ct, vt, message from pgmq.read($namespace, $vt, $qty)`
 */
export async function readSteps(sql: Sql, namespace: string, options: { vt?: number; qty?: number } = {}): Promise<QueuedStep[]> {
  const rows = await sql<{ msg_id: string; read_ct: number; vt: Date; message: StepMessage }[]>`
    select msg_id, read_ct, vt, message from pgmq.read(${namespace}, ${options.vt ?? 30}, ${options.qty ?? 100})`;
  return rows.map((r) => ({ msgId: String(r.msg_id), readCt: r.read_ct, vt: r.vt, message: r.message }));
}

function num(value: unknown, what: string): number {
  if (typeof value !== 'number') throw new Error(`scenario handler input ${what} is not a number: ${JSON.stringify(value)}`);
  return value;
}

/** `x` of the scenario handlers: the single parent's result, or context.n without parents. */
function inputOf(m: StepMessage): number {
  const parents = Object.values(m.parents ?? {});
  if (parents.length === 0) return num(m.context.n, 'context.n');
  if (parents.length === 1) return num(parents[0], `result of the parent of ${m.step}`);
  throw new Error(`handler ${m.handler} of step ${m.step} expects one parent, got ${parents.length}`);
}

/**
 * The outcome of a scenario handler (square, increment, double, sum_parents, multiply_parents,
 * fail_then_succeed, fail_permanently, sleep, undo) for one message. `sleep` hangs when its
 * `args.ms` is longer than the step's timeout (the test then moves the clock past the deadline).
 * `undo` (compensation) returns null; the compensated steps are read back from weft.steps.
 */
export function runScenarioHandler(m: StepMessage): HandlerOutcome {
  if (m.handler === 'undo') return { kind: 'complete', result: null };
  const parentValues = Object.values(m.parents ?? {}).map((v, i) => num(v, `parent #${i}`));
  switch (m.handler) {
    case 'square': {
      const x = inputOf(m);
      return { kind: 'complete', result: x * x };
    }
    case 'increment':
      return { kind: 'complete', result: inputOf(m) + 1 };
    case 'double':
      return { kind: 'complete', result: inputOf(m) * 2 };
    case 'sum_parents':
      return { kind: 'complete', result: parentValues.reduce((a, b) => a + b, 0) };
    case 'multiply_parents':
      return { kind: 'complete', result: parentValues.reduce((a, b) => a * b, 1) };
    case 'fail_then_succeed': {
      const failures = num(m.args.failures ?? 0, 'args.failures');
      if (m.attempt <= failures) {
        return { kind: 'fail', error: { message: `planned failure ${m.attempt} of ${failures}`, code: 'PLANNED' }, retryable: true };
      }
      return { kind: 'complete', result: inputOf(m) };
    }
    case 'fail_permanently':
      return { kind: 'fail', error: { message: String(m.args.reason ?? 'failed'), code: 'PERMANENT' }, retryable: false };
    case 'sleep': {
      const ms = num(m.args.ms ?? 0, 'args.ms');
      if (m.timeout_ms !== null && ms > m.timeout_ms) return { kind: 'hang' };
      return { kind: 'complete', result: inputOf(m) };
    }
    default:
      throw new Error(`no scenario handler named ${JSON.stringify(m.handler)} (step ${m.step})`);
  }
}

/** Reports a handler outcome for a message; resolves to the step_report's outcome (or 'hang'). */
export async function report(sql: Sql, m: StepMessage, outcome: HandlerOutcome, processorId: string): Promise<string> {
  if (outcome.kind === 'hang') return 'hang';
  if (outcome.kind === 'complete') {
    const [r] = await sql<{ outcome: string }[]>`
      select outcome from weft.complete_step(step_id => ${m.step_id}::uuid, attempt => ${m.attempt},
        result => ${sql.json(outcome.result as never)}, processor_id => ${processorId})`;
    return r!.outcome;
  }
  const [r] = await sql<{ outcome: string }[]>`
    select outcome from weft.fail_step(step_id => ${m.step_id}::uuid, attempt => ${m.attempt},
      error => ${sql.json(outcome.error)}, retryable => ${outcome.retryable}, processor_id => ${processorId})`;
  return r!.outcome;
}

export interface DriverOptions {
  /** The namespace whose queue the worker reads. */
  namespace: string;
  /** processor_id given to every weft function (default `sql-driver`). */
  processorId?: string;
}

/** Plays worker + orchestrator for one namespace over one pool. */
export class SqlDriver {
  readonly namespace: string;
  readonly processorId: string;
  /** Every message the worker handled, in order (for assertions on what a worker saw). */
  readonly seen: StepMessage[] = [];

  constructor(
    private readonly sql: Sql,
    options: DriverOptions,
  ) {
    this.namespace = options.namespace;
    this.processorId = options.processorId ?? 'sql-driver';
  }

  /** One worker round: read visible messages, run their handlers, report. Returns reports made. */
  async work(): Promise<number> {
    const batch = await readSteps(this.sql, this.namespace, { vt: 30, qty: 100 });
    let reported = 0;
    for (const { message } of batch) {
      this.seen.push(message);
      const outcome = runScenarioHandler(message);
      if ((await report(this.sql, message, outcome, this.processorId)) !== 'hang') reported++;
    }
    return reported;
  }

  /** `weft.fire_timers`: returns what fired and when the next timer is due. */
  async fireTimers(): Promise<{ started: number; retried: number; timedOut: number; nextDueAt: Date | null }> {
    const [r] = await this.sql<{ started_tasks: number; retried_steps: number; timed_out_steps: number; next_due_at: Date | null }[]>`
      select * from weft.fire_timers(processor_id => ${this.processorId})`;
    return { started: r!.started_tasks, retried: r!.retried_steps, timedOut: r!.timed_out_steps, nextDueAt: r!.next_due_at };
  }

  /**
   * Moves weft.now() just past the next due timer (of `taskIds` when given; if it is due later)
   * and fires timers.
   * Returns how many timers fired.
   */
  async advanceToNextTimer(taskIds?: string[]): Promise<number> {
    const [due] = await this.sql<{ wait_ms: number | null }[]>`
      select (extract(epoch from (min(due_at) - weft.now())) * 1000)::float8 as wait_ms from weft.pending_timers
      where ${taskIds ?? null}::uuid[] is null or task_id = any (${taskIds ?? null}::uuid[])`;
    if (due?.wait_ms !== null && due?.wait_ms !== undefined && due.wait_ms > 0) {
      await this.sql`select weft.shift_clock(${Math.ceil(due.wait_ms) + 1} * interval '1 millisecond')`;
    }
    const fired = await this.fireTimers();
    return fired.started + fired.retried + fired.timedOut;
  }

  /** Claims every finalizing task it can (sweep mode) and finalizes what it won. Returns tasks finalized. */
  async finalize(): Promise<number> {
    let finalized = 0;
    for (;;) {
      const won = await this.sql<{ task_id: string }[]>`
        select task_id from weft.claim_tasks_for_finalization(processor_id => ${this.processorId})
        where outcome in ('won', 'taken_over')`;
      if (won.length === 0) return finalized;
      for (const { task_id } of won) {
        await this.sql`select weft.finalize_task(${task_id}::uuid, ${this.processorId})`;
        finalized++;
      }
    }
  }

  /**
   * Runs rounds of work → timers → finalization until every task in `taskIds` is terminal,
   * moving the clock to the next timer when nothing else can happen.
   */
  async runUntilFinished(taskIds: string[], maxRounds = 500): Promise<void> {
    for (let round = 0; round < maxRounds; round++) {
      const open = await this.sql<{ n: number }[]>`
        select count(*)::int as n from weft.tasks where task_id = any (${taskIds}::uuid[])
          and state not in ('complete', 'error', 'cancelled')`;
      if (open[0]!.n === 0) return;
      const timers = await this.fireTimers();
      const progress = (await this.work()) + (await this.finalize()) + timers.started + timers.retried + timers.timedOut;
      if (progress === 0) {
        const fired = await this.advanceToNextTimer(taskIds);
        const more = fired + (await this.finalize());
        if (more === 0) throw new Error(`no progress possible for tasks ${taskIds.join(', ')} (round ${round})`);
      }
    }
    throw new Error(`tasks did not finish within ${maxRounds} rounds`);
  }
}

/**
 * `weft.request_task` with named arguments; resolves to the task id.
 *
 * SQL: `select weft.request_task(namespace => …, workflow_name => …, context => …)`
 */
export async function requestTask(
  sql: Sql,
  namespace: string,
  workflowName: string,
  context: Record<string, unknown> = {},
  options: { version?: string; idempotencyKey?: string; priority?: string; runAfter?: Date; parentTaskId?: string } = {},
): Promise<string> {
  const [r] = await sql<{ id: string }[]>`
    select weft.request_task(namespace => ${namespace}, workflow_name => ${workflowName}, context => ${sql.json(context as never)},
      version => ${options.version ?? null}, idempotency_key => ${options.idempotencyKey ?? null},
      priority => ${options.priority ?? 'normal'}, run_after => ${options.runAfter ?? null}::timestamptz,
      parent_task_id => ${options.parentTaskId ?? null}::uuid) as id`;
  return r!.id;
}

/** `weft.register_workflow`; resolves to the workflow id. */
export async function registerWorkflow(sql: Sql, definition: object): Promise<string> {
  const [r] = await sql<{ id: string }[]>`select weft.register_workflow(${sql.json(definition as never)}) as id`;
  return r!.id;
}

/** What a user sees of a task: its state, result/error and, per step, state, result and attempts. */
export interface TaskOutcome {
  state: string;
  result: unknown;
  error: unknown;
  /** Steps of the workflow (kind 'step'), by name. */
  steps: Record<string, { state: string; result: unknown; attempt: number }>;
  /** Steps that a saga compensation undid, in the order their compensations completed. */
  compensated: string[];
}

/** Reads a task and its steps. */
export async function taskOutcome(sql: Sql, taskId: string): Promise<TaskOutcome> {
  const [task] = await sql<{ state: string; result: unknown; error: unknown }[]>`
    select state::text, result, error from weft.tasks where task_id = ${taskId}::uuid`;
  if (!task) throw new Error(`task ${taskId} not found`);
  const steps = await sql<{ name: string; state: string; result: unknown; attempt: number }[]>`
    select name, state::text, result, attempt from weft.steps where task_id = ${taskId}::uuid and kind = 'step' order by position`;
  const compensated = await sql<{ name: string }[]>`
    select o.name from weft.steps c join weft.steps o on o.step_id = c.compensates
    where c.task_id = ${taskId}::uuid and c.kind = 'compensation' and c.state = 'complete'
    order by c.finished_at, c.step_id`;
  return {
    ...task,
    steps: Object.fromEntries(steps.map((s) => [s.name, { state: s.state, result: s.result, attempt: s.attempt }])),
    compensated: compensated.map((c) => c.name),
  };
}

/** A scenario of ../shared/scenarios: the workflow definition and its runs. */
export interface Scenario {
  workflow: { namespace: string; name: string; version: string; steps: Record<string, unknown>[] };
  runs: {
    context: Record<string, unknown>;
    expect: { task_state: string; results?: Record<string, unknown>; attempts?: Record<string, number>; compensated?: string[] };
  }[];
}

/** Where the shared scenarios live: beside the checkout (CI), or WEFT_SCENARIOS_DIR. */
export const scenariosDir = process.env.WEFT_SCENARIOS_DIR ?? join(packageRoot, '..', 'shared', 'scenarios');

/** Loads one scenario file by name (without .yaml). */
export function loadScenario(name: string): Scenario {
  return parse(readFileSync(join(scenariosDir, `${name}.yaml`), 'utf8')) as Scenario;
}
