/**
 * The queue-message bad-input table (cases in ./bad-input-cases.ts). Messages are sent with plain
 * `pgmq.send`, as any service could:
 *   - to orchestration_task_requests / orchestration_step_results, processed by
 *     `weft.orchestrator_tick` one case at a time;
 *   - to the namespace queue badwq, read by the TypeScript Worker (all cases in one run).
 * Each message must end where the table says — a dead letter (weft.dead_letters with the reason and
 * SQLSTATE, the message in pgmq.a_<queue>) or, for a stale result, weft.rejected_results and the
 * archive — and nothing else may change: no task or step row, no other count.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/observability/logger.js';
import { Worker } from '../../src/worker/worker.js';
import { failByName, single, snapshot, stepRow } from '../sql/weft/fixtures.js';
import { testDatabase, type TestDatabase } from '../support/db.js';
import { registerWorkflow, requestTask } from '../support/sql-driver.js';
import { UNKNOWN_ID, fill, queueCases, type QueueCase } from './bad-input-cases.js';

let db: TestDatabase;
let values: Record<string, string>;

beforeAll(async () => {
  db = await testDatabase('bad_input_queues');
  // Retries due at once (fixed 0 ms backoff), so a failed attempt is followed by attempt 2 on the next tick.
  await registerWorkflow(db.sql, single('badq', 'one', { handler: 'echo', retry: { strategy: 'fixed', base_ms: 0, max_ms: 0, max_attempts: 3 } }));
  await registerWorkflow(db.sql, single('badwq', 'one', { handler: 'echo' }));
  const task = await requestTask(db.sql, 'badq', 'one', {}, { idempotencyKey: 'q-used-key' });
  const retriedTask = await requestTask(db.sql, 'badq', 'one');
  await failByName(db.sql, retriedTask, 'only');
  await db.sql`select * from weft.orchestrator_tick('bad-input-setup')`;
  const retried = await stepRow(db.sql, retriedTask, 'only');
  expect({ state: retried.state, attempt: retried.attempt }).toEqual({ state: 'enqueued', attempt: 2 });
  const wqTask = await requestTask(db.sql, 'badwq', 'one');
  // Hide the real step message of badwq for an hour: the worker must only see the cases' messages.
  const hidden = await db.sql`select msg_id from pgmq.read('badwq', 3600, 10)`;
  expect(hidden).toHaveLength(1);
  values = {
    enqueued: (await stepRow(db.sql, task, 'only')).step_id,
    retried: retried.step_id,
    wq_task: wqTask,
    wq_step: (await stepRow(db.sql, wqTask, 'only')).step_id,
    unknown: UNKNOWN_ID,
  };
});

afterAll(async () => {
  await db.drop();
});

/** Sends one case's message with plain pgmq.send; returns its msg_id. */
async function send(q: QueueCase): Promise<string> {
  const text = q.message === null ? null : fill(q.message, values);
  const [row] = await db.sql<{ id: string }[]>`select pgmq.send(${q.queue}::text, ${text}::text::jsonb) as id`;
  return String(row!.id);
}

/** Asserts where the message `msgId` of case `q` ended. */
async function expectEnded(q: QueueCase, msgId: string): Promise<void> {
  const sent = q.message === null ? null : (JSON.parse(fill(q.message, values)) as unknown);
  const archived = await db.sql`select message from pgmq.${db.sql('a_' + q.queue)} where msg_id = ${msgId}::bigint`;
  expect(archived).toEqual([{ message: sent }]);
  expect(await db.sql`select 1 from pgmq.${db.sql('q_' + q.queue)} where msg_id = ${msgId}::bigint`).toHaveLength(0);
  const dead = await db.sql<{ sqlstate: string | null; reason: string; message: unknown }[]>`
    select sqlstate, reason, message from weft.dead_letters where queue_name = ${q.queue} and msg_id = ${msgId}::bigint`;
  if (q.ends === 'dead_letter') {
    expect(dead).toHaveLength(1);
    expect(dead[0]).toEqual({ sqlstate: q.sqlstate, reason: expect.stringContaining(fill(q.reason, values)), message: sent });
  } else {
    expect(dead).toHaveLength(0);
  }
}

describe('orchestration queues: a message weft cannot use is dead-lettered and archived, nothing else changes', () => {
  const orchestration = queueCases.filter((q) => q.queue !== 'badwq');

  it('has at least 10 distinct cases', () => {
    expect(queueCases.length).toBeGreaterThanOrEqual(10);
    expect(new Set(queueCases.map((q) => q.what)).size).toBe(queueCases.length);
  });

  it.each(orchestration.map((q) => [q.what, q] as const))('%s', async (_what, q) => {
    const before = await snapshot(db.sql);
    const msgId = await send(q);
    await db.sql`select * from weft.orchestrator_tick('bad-input-test')`;
    const after = await snapshot(db.sql);
    const counter = q.ends === 'dead_letter' ? 'dead_letters' : 'rejected_results';
    expect(after).toEqual({ ...before, [counter]: Number(before[counter]) + 1, [`a_${q.queue}`]: Number(before[`a_${q.queue}`]) + 1 });
    await expectEnded(q, msgId);
    if (q.ends === 'rejected') {
      const rejected = await db.sql`
        select attempt, current_attempt, kind, reason from weft.rejected_results where step_id = ${values.retried!}::uuid`;
      expect(rejected).toEqual([{ attempt: 1, current_attempt: 2, kind: 'complete', reason: fill(q.reason, values) }]);
    }
  });
});

describe('a namespace queue: the TS worker dead-letters step messages it cannot use', () => {
  const workerCases = queueCases.filter((q) => q.queue === 'badwq');
  const msgIds = new Map<string, string>();
  let before: Awaited<ReturnType<typeof snapshot>>;
  let after: Awaited<ReturnType<typeof snapshot>>;
  let handled: string[] = [];

  beforeAll(async () => {
    before = await snapshot(db.sql);
    for (const q of workerCases) msgIds.set(q.what, await send(q));
    const worker = new Worker({
      sql: db.connect(4), logger: silentLogger(), processorId: 'bad-input-worker', namespaces: ['badwq'],
      concurrency: 4, pollIntervalMs: 50, listen: false,
    });
    worker.register('echo', ({ stepId }) => {
      handled.push(stepId);
      return 'echoed';
    });
    await worker.start();
    try {
      // Wait until every message has a dead letter (give up after a minute rather than hang).
      const deadline = Date.now() + 60_000;
      for (;;) {
        const [row] = await db.sql<{ n: number }[]>`select count(*)::int as n from weft.dead_letters where queue_name = 'badwq'`;
        if (row!.n >= workerCases.length || Date.now() > deadline) break;
        await new Promise((r) => setTimeout(r, 100));
      }
    } finally {
      await worker.stop();
    }
    after = await snapshot(db.sql);
    handled = [...new Set(handled)].sort();
  });

  it.each(workerCases.map((q) => [q.what, q] as const))('%s', async (_what, q) => {
    await expectEnded(q, msgIds.get(q.what)!);
  });

  it('changed nothing but the dead letters and the archive; the real step message is still waiting', () => {
    const n = workerCases.length;
    expect(after).toEqual({ ...before, dead_letters: Number(before.dead_letters) + n, a_badwq: Number(before.a_badwq) + n });
    expect(after.q_badwq).toBe(1);
  });

  it('ran the handler only for well-formed messages (at-least-once: a message naming no step still runs once)', () => {
    expect(handled).toEqual([UNKNOWN_ID, values.wq_step].sort());
  });
});

describe('size: a 20 MB task request message is accepted', () => {
  it('creates the task; its step message carries the whole context', async () => {
    const before = await snapshot(db.sql);
    await db.sql`
      select pgmq.send('orchestration_task_requests',
        jsonb_build_object('namespace', 'badq', 'workflow', 'one', 'context', jsonb_build_object('blob', repeat('z', 20000000))))`;
    const [tick] = await db.sql<{ requests_accepted: number; requests_rejected: number }[]>`
      select requests_accepted, requests_rejected from weft.orchestrator_tick('bad-input-test')`;
    expect(tick).toEqual({ requests_accepted: 1, requests_rejected: 0 });
    const [task] = await db.sql<{ n: number }[]>`
      select octet_length(context ->> 'blob')::int as n from weft.tasks where namespace = 'badq' order by created_at desc limit 1`;
    expect(task).toEqual({ n: 20_000_000 });
    const [message] = await db.sql<{ n: number }[]>`
      select octet_length(message -> 'context' ->> 'blob')::int as n from pgmq.q_badq order by msg_id desc limit 1`;
    expect(message).toEqual({ n: 20_000_000 });
    const after = await snapshot(db.sql);
    expect({ tasks: after.tasks, dead_letters: after.dead_letters }).toEqual({ tasks: Number(before.tasks) + 1, dead_letters: before.dead_letters });
  });
});
