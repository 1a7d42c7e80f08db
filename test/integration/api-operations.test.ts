/**
 * The operator side of the API: health probes (ready, not ready, degraded), Prometheus metrics
 * read on scrape, the OpenAPI document and docs page, a real HTTP server with an engine behind
 * it, and the `weft api` command.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp, type ApiApp } from '../../src/api/app.js';
import { PortInUseError, startApiServer } from '../../src/api/server.js';
import { Weft } from '../../src/client/client.js';
import { connect } from '../../src/db/connection.js';
import { packageRoot } from '../../src/db/paths.js';
import { knownSchemaVersion } from '../../src/db/migrate.js';
import { silentLogger } from '../../src/observability/logger.js';
import { defineWorkflow } from '../../src/workflows/definition.js';
import { cleanEnv, runWeft } from '../support/cli.js';
import { testDatabase, type TestDatabase } from '../support/db.js';
import { startEngine } from '../support/engine.js';

let db: TestDatabase;
let app: ApiApp;
let weft: Weft;

const diamond = defineWorkflow({ namespace: 'apiops', name: 'diamond', version: '1.0.0' })
  .step('start', { handler: 'square' })
  .step('left', { handler: 'square', dependsOn: ['start'] })
  .step('right', { handler: 'double', dependsOn: ['start'] })
  .step('end', { handler: 'sum_parents', dependsOn: ['left', 'right'] })
  .build();

async function get(target: ApiApp, path: string): Promise<{ status: number; type: string; text: string; json: () => any }> { // eslint-disable-line @typescript-eslint/no-explicit-any
  const res = await target.request(path);
  const text = await res.text();
  return { status: res.status, type: res.headers.get('content-type') ?? '', text, json: () => JSON.parse(text) };
}

/** The value of one Prometheus sample (`name{labels} value`), or undefined. */
function sample(text: string, name: string, labels = ''): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(labels ? `${name}{${labels}} ` : `${name} `));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
}

const requestDiamond = (n: number) =>
  app.request('/v1/tasks', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ namespace: 'apiops', workflow: 'diamond', context: { n } }) });

beforeAll(async () => {
  db = await testDatabase('api_ops');
  app = createApp({ sql: db.sql, logger: silentLogger() });
  weft = new Weft({ sql: db.sql });
  await weft.registerWorkflow(diamond);
});
afterAll(async () => {
  await db?.drop();
});

describe('health', () => {
  it('/health is live, /health/ready is ready with the current schema', async () => {
    const live = await get(app, '/health');
    expect(live.status).toBe(200);
    expect(live.json()).toEqual({ status: 'ok' });
    const ready = await get(app, '/health/ready');
    expect(ready.status).toBe(200);
    expect(ready.json()).toMatchObject({ status: 'ready', latency_ms: expect.any(Number), schema: { installed: knownSchemaVersion(), known: knownSchemaVersion(), current: true } });
  });

  it('with the database unreachable: live still 200, ready and detailed 503 problems, metrics say weft_database_up 0', async () => {
    const dead = connect('postgres://postgres@127.0.0.1:1/nothing', { max: 1 });
    const down = createApp({ sql: dead, logger: silentLogger(), defaultMetrics: false, healthTimeoutMs: 20_000 });
    try {
      expect((await get(down, '/health')).status).toBe(200);
      for (const path of ['/health/ready', '/health/detailed']) {
        const reply = await get(down, path);
        expect(reply.status).toBe(503);
        expect(reply.type).toBe('application/problem+json');
        expect(reply.json()).toMatchObject({ type: 'urn:weft:problem:not_ready', status: 503, detail: expect.stringContaining('database does not answer') });
      }
      const metrics = await get(down, '/metrics');
      expect(metrics.status).toBe(200);
      expect(sample(metrics.text, 'weft_database_up')).toBe(0);
      expect(metrics.text).not.toMatch(/^weft_queue_depth\{/m);
    } finally {
      await dead.end({ timeout: 1 });
    }
  });

  it('with the weft schema missing: ready is 503 saying to run weft migrate, detailed reports degraded', async () => {
    const old = await testDatabase('api_old_schema');
    try {
      await old.sql`delete from graphile_migrate.migrations`;
      const stale = createApp({ sql: old.sql, logger: silentLogger(), defaultMetrics: false });
      const ready = await get(stale, '/health/ready');
      expect(ready.status).toBe(503);
      expect(ready.json().detail).toContain('weft migrate');
      const detailed = await get(stale, '/health/detailed');
      expect(detailed.status).toBe(200);
      expect(detailed.json()).toMatchObject({ status: 'degraded', database: { schema: { installed: 0, current: false } } });
    } finally {
      await old.drop();
    }
  });
});

describe('metrics and detailed health follow the engine', () => {
  it('report queue depth while steps wait, then finished tasks, claims and processors once an engine ran', async () => {
    const ids = [(await (await requestDiamond(3)).json()) as { task_id: string }, (await (await requestDiamond(4)).json()) as { task_id: string }];

    const before = await get(app, '/metrics');
    expect(before.status).toBe(200);
    expect(before.type).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(sample(before.text, 'weft_queue_depth', 'namespace="apiops"')).toBe(2);
    expect(sample(before.text, 'weft_queue_visible', 'namespace="apiops"')).toBe(2);
    expect(sample(before.text, 'weft_queue_oldest_message_age_seconds', 'namespace="apiops"')).toBeGreaterThanOrEqual(0);
    expect(sample(before.text, 'weft_tasks', 'state="running"')).toBe(2);
    expect(sample(before.text, 'weft_tasks', 'state="complete"')).toBe(0);
    const detailedBefore = (await get(app, '/health/detailed')).json();
    expect(detailedBefore.queues).toContainEqual(expect.objectContaining({ namespace: 'apiops', queue_length: 2, queue_visible_length: 2 }));

    const engine = await startEngine(db.connect);
    try {
      for (const { task_id } of ids) expect((await weft.waitForTask(task_id)).state).toBe('complete');
    } finally {
      await engine.stop();
    }

    const after = await get(app, '/metrics');
    for (const name of [
      'weft_queue_depth', 'weft_queue_visible', 'weft_queue_oldest_message_age_seconds', 'weft_tasks',
      'weft_finalization_claim_attempts_total', 'weft_finalization_claim_success_total', 'weft_finalization_claim_contention_total',
      'weft_finalization_claim_takeovers_total', 'weft_dead_letters_total', 'weft_api_requests_total', 'process_cpu_user_seconds_total',
      'nodejs_eventloop_lag_seconds',
    ]) {
      expect(after.text).toContain(`# TYPE ${name} `);
    }
    expect(sample(after.text, 'weft_queue_depth', 'namespace="apiops"')).toBe(0);
    expect(sample(after.text, 'weft_tasks', 'state="complete"')).toBe(2);
    expect(sample(after.text, 'weft_tasks', 'state="running"')).toBe(0);
    expect(sample(after.text, 'weft_finalization_claim_attempts_total')).toBeGreaterThanOrEqual(2);
    expect(sample(after.text, 'weft_finalization_claim_success_total')).toBeGreaterThanOrEqual(2);
    expect(sample(after.text, 'weft_finalization_claim_takeovers_total')).toBe(0);
    expect(sample(after.text, 'weft_dead_letters_total')).toBe(0);
    expect(sample(after.text, 'weft_database_up')).toBe(1);
    expect(sample(after.text, 'weft_api_requests_total', 'method="POST",route="/v1/tasks",status="201"')).toBe(2);

    const detailed = (await get(app, '/health/detailed')).json();
    expect(detailed).toMatchObject({ status: 'ok', database: { schema: { current: true }, server_version: expect.stringMatching(/^PostgreSQL \d+/) } });
    expect(detailed.processors).toContainEqual(expect.objectContaining({ processor_id: 'test-orch-0', tasks_finalized: 2, claims_taken_over: 0 }));
  });
});

describe('OpenAPI document and docs page', () => {
  it('/openapi.json describes every route the app serves, with its problem responses', async () => {
    const reply = await get(app, '/openapi.json');
    expect(reply.status).toBe(200);
    const doc = reply.json();
    expect(doc.openapi).toBe('3.1.0');
    const served = new Set(
      app.routes.filter((r) => r.method !== 'ALL').map((r) => `${r.method.toLowerCase()} ${r.path.replace(/:(\w+)/g, '{$1}')}`),
    );
    const documented = new Set(Object.entries(doc.paths as Record<string, object>).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m} ${path}`)));
    expect([...documented].sort()).toEqual([...served].sort());
    for (const expected of [
      'post /v1/tasks', 'get /v1/tasks', 'get /v1/tasks/{id}', 'post /v1/tasks/{id}/cancel', 'get /v1/tasks/{id}/transitions',
      'post /v1/workflows', 'get /v1/workflows', 'get /v1/workflows/{namespace}/{name}', 'get /health', 'get /health/ready',
      'get /health/detailed', 'get /metrics', 'get /openapi.json', 'get /docs',
    ]) {
      expect(documented).toContain(expected);
    }
    expect(doc.paths['/v1/tasks'].post.responses['409'].content['application/problem+json']).toBeDefined();
    expect(doc.components.schemas.Problem.properties).toHaveProperty('type');
  });

  it('/docs renders the document as plain HTML (no scripts)', async () => {
    const reply = await get(app, '/docs');
    expect(reply.status).toBe(200);
    expect(reply.type).toMatch(/^text\/html/);
    expect(reply.text).not.toMatch(/<script/i);
    for (const path of ['/v1/tasks/{id}/cancel', '/v1/workflows/{namespace}/{name}', '/health/ready', '/metrics']) {
      expect(reply.text).toContain(`<code>${path}</code>`);
    }
    expect(reply.text).toContain('id="schema-Problem"');
  });
});

describe('over HTTP', () => {
  it('startApiServer serves a task from request to result, and stop() closes the port', async () => {
    const server = await startApiServer({ sql: db.sql, logger: silentLogger(), host: '127.0.0.1', port: 0, defaultMetrics: false });
    const engine = await startEngine(db.connect);
    try {
      expect(server.url).toBe(`http://127.0.0.1:${server.port}`);
      const created = await fetch(`${server.url}/v1/tasks`, {
        method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ namespace: 'apiops', workflow: 'diamond', context: { n: 3 } }),
      });
      expect(created.status).toBe(201);
      const { task_id } = (await created.json()) as { task_id: string };
      await weft.waitForTask(task_id);
      const task = (await (await fetch(`${server.url}/v1/tasks/${task_id}`)).json()) as { state: string; percent: number; steps: Array<{ name: string; result: unknown }> };
      expect(task.state).toBe('complete');
      expect(task.percent).toBe(100);
      expect(Object.fromEntries(task.steps.map((s) => [s.name, s.result]))).toEqual({ start: 9, left: 81, right: 18, end: 99 });

      await expect(startApiServer({ sql: db.sql, logger: silentLogger(), host: '127.0.0.1', port: server.port, defaultMetrics: false })).rejects.toThrow(
        new PortInUseError(`Port ${server.port} on 127.0.0.1 is already in use, so the API cannot start; free it or set api.port (WEFT_API_PORT, --port) to another port.`),
      );
    } finally {
      await engine.stop();
      await server.stop();
    }
    await expect(fetch(`${server.url}/health`)).rejects.toThrow();
  });
});

describe('weft api', () => {
  it('serves until SIGTERM, then stops and exits 0', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(packageRoot, 'src', 'cli', 'main.ts'), 'api', '--port', '0'], {
      cwd: packageRoot,
      env: { ...cleanEnv(), WEFT_ENV: 'test', DATABASE_URL: db.url, WEFT_LOG_LEVEL: 'info', WEFT_LOG_PRETTY: 'false' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
    const url = await new Promise<string>((resolve, reject) => {
      child.stdout.on('data', (chunk: Buffer) => {
        stdout += chunk.toString();
        const match = /api listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(stdout);
        if (match) resolve(match[1]!);
      });
      void exited.then((code) => reject(new Error(`weft api exited (${code}) before listening: ${stderr}`)));
    });
    const ready = await fetch(`${url}/health/ready`);
    expect(ready.status).toBe(200);
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(stderr).toBe('');
    expect(stdout).toContain('api stopped');
  });

  it('refuses a bad --port with one sentence and exit code 2', async () => {
    const result = await runWeft(['api', '--port', 'eighty'], { env: { DATABASE_URL: db.url } });
    expect(result.code).toBe(2);
    expect(result.stderr.trim()).toBe('--port must be a whole number from 0 to 65535, got "eighty".');
  });
});

describe('POST /v1/tasks/{id}/retry', () => {
  const post = (path: string, body?: unknown) =>
    app.request(path, { method: 'POST', headers: { 'content-type': 'application/json' }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });

  it('reopens a failed task (audited with requested_by), 409 for a running task, 404 for an unknown step', async () => {
    await weft.registerWorkflow({ namespace: 'apiops', name: 'fails', version: '1', steps: [{ name: 'only', handler: 'h', retry: 'none' }] });
    const taskId = await weft.requestTask({ namespace: 'apiops', workflow: 'fails' });
    const [step] = await db.sql<{ step_id: string }[]>`select step_id from weft.steps where task_id = ${taskId}`;
    await db.sql`select weft.fail_step(${step!.step_id}::uuid, 1, '{"message":"down"}', false)`;
    await db.sql`select * from weft.claim_task_for_finalization(${taskId}, 'api-test')`;
    await db.sql`select weft.finalize_task(${taskId}, 'api-test')`;

    const missing = await post(`/v1/tasks/${taskId}/retry`, { step: 'nope' });
    expect(missing.status).toBe(404);
    const ok = await post(`/v1/tasks/${taskId}/retry`, { requested_by: 'alice' });
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ task_id: taskId, step: null, state: 'running' });
    const [audit] = await db.sql`select processor_id from weft.transitions where task_id = ${taskId} and reason = 'manual_retry' and entity = 'task'`;
    expect(audit!.processor_id).toBe('alice');
    const again = await post(`/v1/tasks/${taskId}/retry`, {});
    expect(again.status).toBe(409);
    expect(again.headers.get('content-type')).toMatch(/problem\+json/);
  });
});
