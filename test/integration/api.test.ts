/**
 * The REST API as an HTTP client sees it (Hono's app.request, no socket): tasks, workflows,
 * idempotency, validation, and the problem bodies (RFC 9457) of every error. No orchestrator or
 * worker runs here, so requested tasks stay running with their root steps enqueued.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp, type ApiApp } from '../../src/api/app.js';
import { Weft } from '../../src/client/client.js';
import { silentLogger } from '../../src/observability/logger.js';
import { defineWorkflow } from '../../src/workflows/definition.js';
import { testDatabase, type TestDatabase } from '../support/db.js';

let db: TestDatabase;
let app: ApiApp;

const diamond = defineWorkflow({ namespace: 'apitest', name: 'diamond', version: '1.0.0' })
  .step('start', { handler: 'square' })
  .step('left', { handler: 'square', dependsOn: ['start'] })
  .step('right', { handler: 'double', dependsOn: ['start'] })
  .step('end', { handler: 'sum_parents', dependsOn: ['left', 'right'] })
  .build();

interface Reply {
  status: number;
  contentType: string;
  headers: Headers;
  body: Record<string, unknown> & { [key: string]: any }; // eslint-disable-line @typescript-eslint/no-explicit-any
}

/** One request; `body` is sent as JSON unless it is a string (sent as is). */
async function call(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Reply> {
  const init: RequestInit = { method, headers: { ...headers } };
  if (body !== undefined) {
    init.body = typeof body === 'string' ? body : JSON.stringify(body);
    init.headers = { 'content-type': 'application/json', ...headers };
  }
  const res = await app.request(path, init);
  const text = await res.text();
  return { status: res.status, contentType: res.headers.get('content-type') ?? '', headers: res.headers, body: text ? JSON.parse(text) : {} };
}

/** Asserts an RFC 9457 problem with that status (and type / code when given). */
function expectProblem(reply: Reply, status: number, expected: { type?: string; code?: string } = {}): void {
  expect(reply.status).toBe(status);
  expect(reply.contentType).toBe('application/problem+json');
  expect(reply.body).toMatchObject({ status, title: expect.any(String), detail: expect.any(String), type: expect.any(String) });
  if (expected.type) expect(reply.body.type).toBe(expected.type);
  if (expected.code) expect(reply.body.code).toBe(expected.code);
}

const requestDiamond = (extra: Record<string, unknown> = {}) =>
  call('POST', '/v1/tasks', { namespace: 'apitest', workflow: 'diamond', context: { n: 3 }, ...extra });

beforeAll(async () => {
  db = await testDatabase('api');
  app = createApp({ sql: db.sql, logger: silentLogger(), defaultMetrics: false });
  await new Weft({ sql: db.sql }).registerWorkflow(diamond);
});
afterAll(async () => {
  await db?.drop();
});

describe('tasks', () => {
  it('POST /v1/tasks creates a task (201, Location) that GET /v1/tasks/{id} shows with its steps', async () => {
    const created = await requestDiamond({ priority: 'high' });
    expect(created.status).toBe(201);
    const taskId = created.body.task_id as string;
    expect(taskId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(created.headers.get('location')).toBe(`/v1/tasks/${taskId}`);

    const task = await call('GET', `/v1/tasks/${taskId}`);
    expect(task.status).toBe(200);
    expect(task.body).toMatchObject({
      task_id: taskId, namespace: 'apitest', workflow_name: 'diamond', workflow_version: '1.0.0', state: 'running',
      priority: 'high', context: { n: 3 }, idempotency_key: null, steps_total: 4, steps_remaining: 4, percent: 0,
      finished_at: null,
    });
    expect(new Date(task.body.created_at as string).getTime()).not.toBeNaN();
    const steps = task.body.steps as Array<{ name: string; state: string; depends_on: string[]; attempt: number }>;
    expect(steps.map((s) => [s.name, s.state])).toEqual([
      ['start', 'enqueued'], ['left', 'pending'], ['right', 'pending'], ['end', 'pending'],
    ]);
    expect(steps.find((s) => s.name === 'end')!.depends_on).toEqual(['left', 'right']);
  });

  it('GET /v1/tasks lists tasks newest first, filtered by state, namespace, workflow and priority', async () => {
    const a = (await requestDiamond({ priority: 'background' })).body.task_id as string;
    const b = (await requestDiamond({ priority: 'background' })).body.task_id as string;
    const list = await call('GET', '/v1/tasks?namespace=apitest&workflow=diamond&priority=background');
    expect(list.status).toBe(200);
    expect((list.body.tasks as Array<{ task_id: string }>).map((t) => t.task_id)).toEqual([b, a]);
    expect(list.body.tasks[0]).toMatchObject({ namespace: 'apitest', workflow_name: 'diamond', state: 'running', priority: 'background', steps_done: 0 });

    expect((await call('GET', '/v1/tasks?priority=background&limit=1')).body.tasks.map((t: { task_id: string }) => t.task_id)).toEqual([b]);
    expect((await call('GET', '/v1/tasks?state=complete')).body.tasks).toEqual([]);
    expect((await call('GET', '/v1/tasks?namespace=elsewhere')).body.tasks).toEqual([]);
  });

  it('POST /v1/tasks/{id}/cancel moves a running task to finalizing, and its log shows why and who', async () => {
    const taskId = (await requestDiamond()).body.task_id as string;
    const cancelled = await call('POST', `/v1/tasks/${taskId}/cancel`, { reason: 'customer asked' });
    expect(cancelled.status).toBe(200);
    expect(cancelled.body).toEqual({ task_id: taskId, state: 'finalizing' });
    expect((await call('GET', `/v1/tasks/${taskId}`)).body.state).toBe('finalizing');
    // again, and with no body at all: idempotent
    expect((await call('POST', `/v1/tasks/${taskId}/cancel`)).body).toEqual({ task_id: taskId, state: 'finalizing' });

    const log = await call('GET', `/v1/tasks/${taskId}/transitions`);
    expect(log.status).toBe(200);
    const transitions = log.body.transitions as Array<Record<string, unknown>>;
    expect(transitions[0]).toMatchObject({ entity: 'task', from_state: null, to_state: 'pending', reason: 'requested', processor_id: 'api' });
    expect(transitions).toContainEqual(
      expect.objectContaining({ entity: 'step', step_name: 'start', to_state: 'enqueued', attempt: 1 }),
    );
    const cancel = transitions.find((t) => t.reason === 'cancel_requested');
    expect(cancel).toMatchObject({ entity: 'task', from_state: 'running', to_state: 'finalizing', processor_id: 'api', details: { reason: 'customer asked' } });
    expect(transitions.filter((t) => t.reason === 'cancel_requested')).toHaveLength(1);
  });

  it('cancel, transitions and get of an unknown task id are 404 problems (WF005)', async () => {
    const unknown = '01900000-0000-7000-8000-000000000000';
    expectProblem(await call('GET', `/v1/tasks/${unknown}`), 404, { type: 'urn:weft:problem:task_not_found', code: 'WF005' });
    expectProblem(await call('POST', `/v1/tasks/${unknown}/cancel`, {}), 404, { code: 'WF005' });
    expectProblem(await call('GET', `/v1/tasks/${unknown}/transitions`), 404, { code: 'WF005' });
  });
});

describe('idempotency', () => {
  it('the same key with the same request returns the same task', async () => {
    const first = await requestDiamond({ idempotency_key: 'order-42' });
    const second = await requestDiamond({ idempotency_key: 'order-42' });
    expect(first.status).toBe(201);
    expect(second.status).toBe(201);
    expect(second.body.task_id).toBe(first.body.task_id);
    const [row] = await db.sql<{ n: number }[]>`select count(*)::int as n from weft.tasks where idempotency_key = 'order-42'`;
    expect(row!.n).toBe(1);
  });

  it('the same key with a different request is a 409 problem naming the key (WF009)', async () => {
    await requestDiamond({ idempotency_key: 'order-43' });
    const conflict = await call('POST', '/v1/tasks', { namespace: 'apitest', workflow: 'diamond', context: { n: 4 }, idempotency_key: 'order-43' });
    expectProblem(conflict, 409, { type: 'urn:weft:problem:idempotency_conflict', code: 'WF009' });
    expect(conflict.body.detail).toContain('order-43');
    expect(conflict.body.hint).toEqual(expect.any(String));
  });
});

describe('validation errors are 4xx problems', () => {
  it('malformed JSON is 400', async () => {
    const reply = await call('POST', '/v1/tasks', '{"namespace": "apitest",');
    expectProblem(reply, 400, { type: 'urn:weft:problem:malformed_json' });
  });

  it('a missing namespace is 400 naming the field', async () => {
    const reply = await call('POST', '/v1/tasks', { workflow: 'diamond' });
    expectProblem(reply, 400, { type: 'urn:weft:problem:invalid_request' });
    expect(reply.body.errors).toEqual([expect.objectContaining({ location: 'body', path: 'namespace' })]);
    expect(reply.body.detail).toContain('namespace');
  });

  it('a context that is not an object is 400', async () => {
    for (const context of [[1, 2], 'text', 7, null]) {
      const reply = await requestDiamond({ context });
      expectProblem(reply, 400, { type: 'urn:weft:problem:invalid_request' });
      expect(reply.body.errors[0]).toMatchObject({ location: 'body', path: 'context' });
    }
  });

  it('an unknown priority is 400 listing the allowed names', async () => {
    const reply = await requestDiamond({ priority: 'urgent' });
    expectProblem(reply, 400);
    expect(reply.body.errors[0]).toMatchObject({ path: 'priority' });
    expect(reply.body.errors[0].message).toContain('critical');
  });

  it('an unknown body field is 400 (no silent typo)', async () => {
    const reply = await requestDiamond({ idempotencyKey: 'k' });
    expectProblem(reply, 400);
    expect(reply.body.detail).toContain('idempotencyKey');
  });

  it('a task id that is not a UUID is 400, on every task route', async () => {
    for (const [method, path] of [['GET', '/v1/tasks/42'], ['POST', '/v1/tasks/nope/cancel'], ['GET', '/v1/tasks/nope/transitions']] as const) {
      const reply = await call(method, path, method === 'POST' ? {} : undefined);
      expectProblem(reply, 400, { type: 'urn:weft:problem:invalid_request' });
      expect(reply.body.errors[0]).toMatchObject({ location: 'path', path: 'id' });
    }
  });

  it('an unknown workflow (or version) is 404 (WF002)', async () => {
    expectProblem(await call('POST', '/v1/tasks', { namespace: 'apitest', workflow: 'nope' }), 404, { type: 'urn:weft:problem:workflow_not_found', code: 'WF002' });
    expectProblem(await requestDiamond({ version: '9.9.9' }), 404, { code: 'WF002' });
  });

  it('a bad list filter is 400', async () => {
    expectProblem(await call('GET', '/v1/tasks?state=sleeping'), 400);
    expectProblem(await call('GET', '/v1/tasks?limit=0'), 400);
    expectProblem(await call('GET', '/v1/tasks?limit=ten'), 400);
  });

  it('a body that is not JSON is 415, and an unknown route is a 404 problem', async () => {
    expectProblem(await call('POST', '/v1/tasks', 'namespace=apitest', { 'content-type': 'text/plain' }), 415);
    expectProblem(await call('GET', '/v1/nothing-here'), 404, { type: 'about:blank' });
    expectProblem(await call('DELETE', '/v1/tasks'), 404);
  });
});

describe('workflows', () => {
  const linear = { namespace: 'apitest', name: 'linear', version: '1.0.0', steps: [{ name: 'a', handler: 'square' }, { name: 'b', handler: 'double', depends_on: ['a'] }] };

  it('POST /v1/workflows registers a definition (201); the identical one again gives the same id', async () => {
    const first = await call('POST', '/v1/workflows', linear);
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({ workflow_id: expect.any(String), namespace: 'apitest', name: 'linear', version: '1.0.0' });
    expect(first.headers.get('location')).toBe('/v1/workflows/apitest/linear?version=1.0.0');
    expect((await call('POST', '/v1/workflows', linear)).body.workflow_id).toBe(first.body.workflow_id);
    // and tasks can be requested of it
    expect((await call('POST', '/v1/tasks', { namespace: 'apitest', workflow: 'linear', context: { n: 1 } })).status).toBe(201);
  });

  it('a different definition under an existing version is 409 (WF004)', async () => {
    const changed = { ...linear, steps: [{ name: 'a', handler: 'increment' }] };
    expectProblem(await call('POST', '/v1/workflows', changed), 409, { type: 'urn:weft:problem:workflow_version_conflict', code: 'WF004' });
  });

  it('a definition with a cycle is 422 naming the cycle (WF003)', async () => {
    const cyclic = {
      namespace: 'apitest', name: 'loop', version: '1.0.0',
      steps: [{ name: 'a', handler: 'square', depends_on: ['c'] }, { name: 'b', handler: 'square', depends_on: ['a'] }, { name: 'c', handler: 'square', depends_on: ['b'] }],
    };
    const reply = await call('POST', '/v1/workflows', cyclic);
    expectProblem(reply, 422, { type: 'urn:weft:problem:workflow_invalid', code: 'WF003' });
    expect(reply.body.detail).toMatch(/cycle: (a -> b -> c -> a|b -> c -> a -> b|c -> a -> b -> c)/);
    expect((await call('GET', '/v1/workflows/apitest/loop')).status).toBe(404);
  });

  it('other invalid definitions are 422 naming the bad value; a wrongly typed field is 400', async () => {
    const unknownDep = { ...linear, name: 'broken', steps: [{ name: 'a', handler: 'square', depends_on: ['ghost'] }] };
    const reply = await call('POST', '/v1/workflows', unknownDep);
    expectProblem(reply, 422, { code: 'WF003' });
    expect(reply.body.detail).toContain('ghost');
    const typo = await call('POST', '/v1/workflows', { ...linear, name: 'typo', steps: [{ name: 'a', handler: 'square', depends: ['x'] }] });
    expectProblem(typo, 422, { code: 'WF003' });
    expect(typo.body.detail).toContain('depends');
    expectProblem(await call('POST', '/v1/workflows', { ...linear, steps: 'a,b' }), 400, { type: 'urn:weft:problem:invalid_request' });
  });

  it('GET /v1/workflows lists versions, latest marked', async () => {
    await call('POST', '/v1/workflows', { ...linear, version: '2.0.0' });
    const list = await call('GET', '/v1/workflows?namespace=apitest&name=linear');
    expect(list.status).toBe(200);
    expect((list.body.workflows as Array<{ version: string; latest: boolean; steps: number }>).map((w) => [w.version, w.latest, w.steps])).toEqual([
      ['2.0.0', true, 2], ['1.0.0', false, 2],
    ]);
    const latest = await call('GET', '/v1/workflows?latest=true');
    expect((latest.body.workflows as Array<{ name: string; version: string }>).map((w) => `${w.name}@${w.version}`)).toEqual(['diamond@1.0.0', 'linear@2.0.0']);
  });

  it('GET /v1/workflows/{namespace}/{name} gives the latest version with steps and levels; ?version= an older one', async () => {
    const reply = await call('GET', '/v1/workflows/apitest/diamond');
    expect(reply.status).toBe(200);
    expect(reply.body).toMatchObject({ namespace: 'apitest', name: 'diamond', version: '1.0.0', latest: true, versions: ['1.0.0'] });
    expect(reply.body.levels).toEqual([['start'], ['left', 'right'], ['end']]);
    expect(reply.body.steps.map((s: { name: string; level: number; depends_on: string[] }) => [s.name, s.level, s.depends_on])).toEqual([
      ['start', 0, []], ['left', 1, ['start']], ['right', 1, ['start']], ['end', 2, ['left', 'right']],
    ]);
    expect(reply.body.steps[0].retry).toMatchObject({ max_attempts: expect.any(Number) });

    const older = await call('GET', '/v1/workflows/apitest/linear?version=1.0.0');
    expect(older.body).toMatchObject({ version: '1.0.0', latest: false, versions: ['2.0.0', '1.0.0'] });
    expectProblem(await call('GET', '/v1/workflows/apitest/linear?version=7'), 404, { code: 'WF002' });
    expectProblem(await call('GET', '/v1/workflows/apitest/nothing'), 404, { type: 'urn:weft:problem:workflow_not_found' });
  });
});
