/**
 * The polyglot promise: examples/bash-worker/weft-worker.sh (bash + psql, no TypeScript) runs
 * the linear, diamond and retry_then_succeed scenarios (and the saga) against one in-process
 * orchestrator, with no TS worker at all. Also: permanent and unknown-handler failures, cancellation reaching
 * a running bash step through weft.heartbeat_step, malformed messages dead-lettered (and kept
 * in the a-table), a worker killed mid-step (lease expiry → next attempt on another worker),
 * the exit statuses, and SIGTERM. And docs/protocol.md
 * lists exactly the SQLSTATEs of weft.error_codes.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Weft } from '../../src/client/client.js';
import { packageRoot } from '../../src/db/paths.js';
import { silentLogger } from '../../src/observability/logger.js';
import { Orchestrator } from '../../src/orchestrator/orchestrator.js';
import { testDatabase, type TestDatabase } from '../support/db.js';
import { expectRun, loadScenarios } from '../support/scenarios.js';

const script = join(packageRoot, 'examples', 'bash-worker', 'weft-worker.sh');
const workerId = 'bash-worker-test';
const wanted = ['linear', 'diamond', 'retry_then_succeed'];
const all = loadScenarios();
const scenarios = all.filter((s) => s.definition.namespace === 'math' && wanted.includes(s.definition.name));
const saga = all.find((s) => s.definition.name === 'saga_compensation')!;

let db: TestDatabase;
let weft: Weft;
let orchestrator: Orchestrator;
let worker: ChildProcess;
let workerLog = '';
let workerExit: Promise<number | null>;

/** Starts the bash worker; `done` resolves with its exit status and stderr. */
function startWorker(args: string[], databaseUrl = db.url): { child: ChildProcess; done: Promise<{ code: number | null; stderr: string }> } {
  const child = spawn('bash', [script, ...args], { env: { ...process.env, DATABASE_URL: databaseUrl }, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const done = new Promise<{ code: number | null; stderr: string }>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stderr }));
  });
  return { child, done };
}

/** Runs the bash worker to its end. */
function runWorker(args: string[], databaseUrl = db.url): Promise<{ code: number | null; stderr: string }> {
  return startWorker(args, databaseUrl).done;
}

/** Polls `probe` until it returns a value other than undefined (fails after timeoutMs). */
async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}; bash worker log:\n${workerLog}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function register(definition: Record<string, unknown>): Promise<void> {
  await db.sql`select weft.register_workflow(definition => ${db.sql.json(definition as Parameters<typeof db.sql.json>[0])})`;
}

beforeAll(async () => {
  db = await testDatabase('bash_worker');
  weft = new Weft({ sql: db.sql });
  for (const s of [...scenarios, saga]) await weft.registerWorkflow(s.definition);
  const step = (handler: string, extra: Record<string, unknown> = {}) => ({ name: 'only', handler, ...extra });
  await register({ namespace: 'math', name: 'bash_permanent', version: '1', steps: [step('fail_permanently', { args: { reason: 'carrier_rejected' } })] });
  await register({
    namespace: 'math', name: 'bash_unknown', version: '1',
    steps: [step('no_such_handler', { retry: { max_attempts: 2, backoff: 'fixed', base_ms: 10 } })],
  });
  await register({ namespace: 'math', name: 'bash_nap', version: '1', steps: [step('sleep', { args: { ms: 600_000 } })] });
  await register({
    namespace: 'crash', name: 'bash_crash', version: '1',
    steps: [step('sleep', { args: { ms: 4000 }, retry: { max_attempts: 2, backoff: 'fixed', base_ms: 10 } })],
  });

  orchestrator = new Orchestrator({ sql: db.connect(4), logger: silentLogger(), processorId: 'bash-test-orch', pollIntervalMs: 100, claimTtlMs: 10_000 });
  await orchestrator.start();
  // The worker under test: a child process, bash + psql only. --max-idle-polls is a safety net
  // so that it never outlives a crashed test run; the last test stops it with SIGTERM.
  worker = spawn('bash', [script, 'math', '--vt', '10', '--poll-interval-ms', '100', '--max-idle-polls', '3000', '--processor-id', workerId], {
    env: { ...process.env, DATABASE_URL: db.url },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  worker.stderr!.on('data', (chunk: Buffer) => (workerLog += chunk.toString()));
  workerExit = new Promise((resolve) => worker.on('close', (code) => resolve(code)));
});

afterAll(async () => {
  if (worker && worker.exitCode === null && worker.signalCode === null) worker.kill('SIGKILL');
  await orchestrator?.stop();
  await db?.drop();
});

describe('bash + psql worker (examples/bash-worker)', () => {
  it('runs linear, diamond and retry_then_succeed with exactly the expected results and attempts', async () => {
    expect(scenarios.map((s) => s.definition.name).sort()).toEqual([...wanted].sort());
    const requested: { taskId: string; label: string; run: (typeof scenarios)[number]['runs'][number] }[] = [];
    for (const s of scenarios) {
      for (const [i, run] of s.runs.entries()) {
        const taskId = await weft.requestTask({ namespace: 'math', workflow: s.definition.name, context: run.context });
        requested.push({ taskId, label: `${s.definition.name} run ${i}`, run });
      }
    }
    for (const r of requested) {
      await weft.waitForTask(r.taskId, { timeoutMs: 120_000 });
      await expectRun(db.sql, r.taskId, r.run, `${r.label}\n${workerLog}`);
    }
    // Every step result was reported by the bash worker.
    const reporters = await db.sql<{ processor_id: string | null }[]>`
      select distinct tr.processor_id from weft.transitions tr
      where tr.task_id in ${db.sql(requested.map((r) => r.taskId))} and tr.entity = 'step' and tr.to_state in ('complete', 'waiting_retry')`;
    expect(reporters.map((r) => r.processor_id)).toEqual([workerId]);
  });

  it('runs saga_compensation: ship fails for good, then undo runs in bash for charge and reserve, in that order', async () => {
    const orders = startWorker([saga.definition.namespace, '--poll-interval-ms', '100', '--processor-id', 'bash-orders']);
    for (const [i, run] of saga.runs.entries()) {
      const taskId = await weft.requestTask({ namespace: saga.definition.namespace, workflow: saga.definition.name, context: run.context });
      await weft.waitForTask(taskId, { timeoutMs: 120_000 });
      await expectRun(db.sql, taskId, run, `saga run ${i}`);
    }
    orders.child.kill('SIGTERM');
    const { code, stderr } = await orders.done;
    expect(code, stderr).toBe(0);
  });

  it('reports a permanent failure (retryable false) and an unknown handler (retryable) with an error object', async () => {
    const permanent = await weft.requestTask({ namespace: 'math', workflow: 'bash_permanent' });
    const unknown = await weft.requestTask({ namespace: 'math', workflow: 'bash_unknown' });
    expect((await weft.waitForTask(permanent, { timeoutMs: 60_000 })).state).toBe('error');
    expect((await weft.waitForTask(unknown, { timeoutMs: 60_000 })).state).toBe('error');

    const [p] = await db.sql<{ attempt: number; error: Record<string, unknown> }[]>`select attempt, error from weft.steps where task_id = ${permanent}`;
    expect(p).toEqual({ attempt: 1, error: { code: 'carrier_rejected', name: 'PermanentError', message: 'permanent failure: carrier_rejected' } });
    const [t] = await db.sql<{ details: { retryable: boolean } }[]>`
      select details from weft.transitions where task_id = ${permanent} and entity = 'step' and to_state = 'error'`;
    expect(t!.details.retryable).toBe(false);

    const [u] = await db.sql<{ attempt: number; error: Record<string, unknown> }[]>`select attempt, error from weft.steps where task_id = ${unknown}`;
    expect(u!.attempt).toBe(2);
    expect(u!.error).toMatchObject({ code: 'handler_not_registered', name: 'StepError' });
    expect(String(u!.error.message)).toContain('no_such_handler');
  });

  it('stops a running step when its task is cancelled (heartbeat carry_on = false) and reports nothing for it', async () => {
    const taskId = await weft.requestTask({ namespace: 'math', workflow: 'bash_nap', context: { n: 3 } });
    // The step is running once the worker's heartbeat has stored its progress.
    await waitFor('the first heartbeat of the sleeping step', async () => {
      const [s] = await db.sql<{ progress: unknown }[]>`select progress from weft.steps where task_id = ${taskId}`;
      return s?.progress ?? undefined;
    });
    await weft.cancelTask(taskId, 'test');
    expect((await weft.waitForTask(taskId, { timeoutMs: 60_000 })).state).toBe('cancelled');
    const [stepId] = await db.sql<{ step_id: string }[]>`select step_id from weft.steps where task_id = ${taskId}`;
    await waitFor('the worker to abandon the step', async () => (workerLog.includes(`msg="step abandoned; no report" step_id=${stepId!.step_id}`) ? true : undefined));
    const rejected = await db.sql`select 1 from weft.rejected_results where task_id = ${taskId}`;
    expect(rejected).toHaveLength(0);
    // …and the worker is free for the next task at once.
    const next = await weft.requestTask({ namespace: 'math', workflow: 'linear', context: { n: 2 } });
    await expectRun(db.sql, (await weft.waitForTask(next, { timeoutMs: 60_000 })).task_id, scenarios.find((s) => s.definition.name === 'linear')!.runs[0]!, 'linear after cancel');
  });

  it('dead-letters malformed messages and messages naming an unknown step: kept in weft.dead_letters and pgmq.a_math, never dropped', async () => {
    const unknownStep = {
      task_id: '01900000-0000-7000-8000-000000000001', step_id: '01900000-0000-7000-8000-000000000002', namespace: 'math',
      workflow: { name: 'linear', version: '1.0.0' }, step: 'a', handler: 'square', args: {}, attempt: 1, max_attempts: 1,
      priority: 'normal', context: { n: 2 }, parents: {}, checkpoint: null, timeout_ms: null, deadline: null,
    };
    const bodies: unknown[] = ['just a string', { step_id: 'not-a-uuid' }, [1, 2, 3], unknownStep];
    const ids: string[] = [];
    for (const body of bodies) {
      const [row] = await db.sql<{ id: string }[]>`select pgmq.send(queue_name => 'math', msg => ${db.sql.json(body as Parameters<typeof db.sql.json>[0])}) as id`;
      ids.push(row!.id);
    }
    const dead = await waitFor('four dead letters', async () => {
      const rows = await db.sql<{ msg_id: string; reason: string; processor_id: string; message: unknown }[]>`
        select msg_id, reason, processor_id, message from weft.dead_letters where queue_name = 'math' and msg_id in ${db.sql(ids)} order by msg_id`;
      return rows.length === ids.length ? rows : undefined;
    });
    expect(dead.map((d) => d.reason)).toEqual([
      'not a weft step message: the body is a JSON string, not an object',
      'not a weft step message: step_id is missing or not a UUID',
      'not a weft step message: the body is a JSON array, not an object',
      `weft refused the report of step ${unknownStep.step_id} attempt 1: WF006 step ${unknownStep.step_id} not found`,
    ]);
    expect(dead.map((d) => d.message)).toEqual(bodies);
    expect(dead.every((d) => d.processor_id === workerId)).toBe(true);
    const archived = await db.sql<{ msg_id: string }[]>`select msg_id from pgmq.a_math where msg_id in ${db.sql(ids)} order by msg_id`;
    expect(archived.map((a) => a.msg_id)).toEqual(ids);
    const queued = await db.sql`select 1 from pgmq.q_math where msg_id in ${db.sql(ids)}`;
    expect(queued).toHaveLength(0);
  });

  it('recovers from a worker killed mid-step: its lease expires, the attempt fails as lease_expired, another worker runs the next one', async () => {
    const taskId = await weft.requestTask({ namespace: 'crash', workflow: 'bash_crash', context: { n: 5 } });
    const doomed = spawn('bash', [script, 'crash', '--vt', '3', '--processor-id', 'bash-doomed'], {
      env: { ...process.env, DATABASE_URL: db.url },
      stdio: ['ignore', 'ignore', 'ignore'],
    });
    const doomedExit = new Promise((resolve) => doomed.on('close', resolve));
    await waitFor('the doomed worker to be running the step', async () => {
      const [s] = await db.sql<{ progress: unknown }[]>`select progress from weft.steps where task_id = ${taskId}`;
      return s?.progress ?? undefined;
    });
    doomed.kill('SIGKILL');
    await doomedExit;
    // No heartbeat any more: once the lease is over, the orchestrator's sweep fails attempt 1 and,
    // after the 10 ms backoff, enqueues attempt 2 (the attempt number moves when it is enqueued).
    await waitFor('attempt 1 to fail as lease_expired', async () => {
      const [s] = await db.sql<{ attempt: number }[]>`select attempt from weft.steps where task_id = ${taskId}`;
      return s && s.attempt >= 2 ? true : undefined;
    });
    const rescuer = await runWorker(['crash', '--vt', '3', '--max-idle-polls', '3', '--poll-interval-ms', '100', '--processor-id', 'bash-rescuer']);
    expect(rescuer.code, rescuer.stderr).toBe(0);
    expect((await weft.waitForTask(taskId, { timeoutMs: 60_000 })).state, rescuer.stderr).toBe('complete');
    const [step] = await db.sql<{ attempt: number; result: unknown }[]>`select attempt, result from weft.steps where task_id = ${taskId}`;
    expect(step).toEqual({ attempt: 2, result: 5 });
    const history = await db.sql<{ attempt: number; to_state: string; reason: string; processor_id: string | null; code: string | null }[]>`
      select attempt, to_state, reason, processor_id, details -> 'error' ->> 'code' as code from weft.transitions
      where task_id = ${taskId} and entity = 'step' and to_state in ('waiting_retry', 'complete') order by transition_id`;
    expect(history.map((h) => [h.attempt, h.to_state, h.reason, h.code])).toEqual([
      [1, 'waiting_retry', 'lease_expired', 'lease_expired'],
      [2, 'complete', 'completed', null],
    ]);
    expect(history[1]!.processor_id).toBe('bash-rescuer');
  });

  it('exits 0 after --once on an empty queue, 2 for bad usage or an unknown namespace, 3 when the server is unreachable', async () => {
    expect((await runWorker(['crash', '--once'])).code).toBe(0);
    const idle = await runWorker(['crash', '--max-idle-polls', '2', '--poll-interval-ms', '10']);
    expect(idle.code).toBe(0);
    expect(idle.stderr).toContain('msg="worker stopped"');
    const unknown = await runWorker(['no_such_namespace', '--once']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('namespace "no_such_namespace" does not exist');
    expect((await runWorker(['crash', '--batch', 'many'])).code).toBe(2);
    expect((await runWorker([])).code).toBe(2);
    const unreachable = await runWorker(['crash', '--once'], 'postgres://postgres@127.0.0.1:1/weft');
    expect(unreachable.code).toBe(3);
    expect(unreachable.stderr).toContain('cannot reach PostgreSQL');
  });

  it('docs/protocol.md lists every SQLSTATE of weft.error_codes, with its name and meaning', async () => {
    const doc = readFileSync(join(packageRoot, 'docs', 'protocol.md'), 'utf8');
    const documented = [...doc.matchAll(/^\| (WF\d{3}) \| (\w+) \| ([^|]+) \|/gm)].map((m) => [m[1], m[2], m[3]!.trim()]);
    const codes = await db.sql<{ sqlstate: string; name: string; meaning: string }[]>`select sqlstate, name, meaning from weft.error_codes order by sqlstate`;
    expect(documented).toEqual(codes.map((c) => [c.sqlstate, c.name, c.meaning]));
  });

  it('stops on SIGTERM with status 0', async () => {
    worker.kill('SIGTERM');
    expect(await workerExit, workerLog).toBe(0);
    // Stopped cleanly, with no transient error on the way (dead letters are counted apart).
    expect(workerLog).toMatch(/msg="worker stopped" completed=\d+ failed=\d+ rejected=0 dead_lettered=4 abandoned=1 errors=0/);
  });
});
