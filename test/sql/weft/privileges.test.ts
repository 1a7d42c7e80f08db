/**
 * Least privilege (sql/weft/061…070): a role × action matrix run with real login roles. Each
 * allowed call succeeds and has its effect; each forbidden one fails with 42501
 * (insufficient_privilege) or WF012 (permission_denied: another namespace) and changes nothing.
 * Then: SET ROLE, inherited grants, revocation, the catalog rules, the results queue, a namespace
 * registered later, and the whole engine running as the orchestrator and worker roles.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sql } from '../../../src/db/connection.js';
import { scenarioHandlers } from '../../../src/examples/scenario-handlers.js';
import { silentLogger } from '../../../src/observability/logger.js';
import { Orchestrator } from '../../../src/orchestrator/orchestrator.js';
import { Worker } from '../../../src/worker/worker.js';
import { Weft } from '../../../src/client/client.js';
import { testDatabase, type TestDatabase } from '../../support/db.js';
import { TestRoles, type LoginRole } from '../../support/roles.js';
import { expectRun, loadScenarios } from '../../support/scenarios.js';
import { registerWorkflow } from '../../support/sql-driver.js';
import { linear, sqlError } from './fixtures.js';
import { A, B, ROLES, actions, env, freshStep, state, stepState, type Fx, type Role } from './privileges-matrix.js';

let db: TestDatabase;
let owner: Sql;
let roles: TestRoles;
const as = {} as Record<Role, LoginRole>;

beforeAll(async () => {
  db = await testDatabase('privileges');
  owner = db.sql;
  await registerWorkflow(owner, linear(A));
  await registerWorkflow(owner, linear(B));
  roles = new TestRoles(db);
  as.admin = await roles.create('admin', ['weft_admin']);
  as.orchestrator = await roles.create('orch', ['weft_orchestrator']);
  as.worker = await roles.create('worker_a', ['weft_worker']);
  as.client = await roles.create('client', ['weft_client']);
  as.monitor = await roles.create('monitor', ['weft_monitor']);
  as.outsider = await roles.create('outsider');
  env.owner = owner;
  env.grantee = (await roles.create('grantee', [], { login: false })).name;
  await owner`select weft.grant_namespace(${as.worker.name}, ${A})`;
});
afterAll(async () => {
  await roles?.dropAll();
  await db?.drop();
});

describe('role × action matrix', () => {
  for (const action of actions) {
    describe(action.name, () => {
      for (const role of ROLES) {
        const allowed = action.allow.includes(role);
        const code = action.wf012?.includes(role) ? 'WF012' : '42501';
        it(`${role}: ${allowed ? 'allowed' : `denied (${code})`}`, async () => {
          const fx = action.prepare ? await action.prepare() : ({} as Fx);
          if (allowed) {
            const rows = await action.act(as[role].sql, fx);
            await action.verify?.(rows, fx, as[role]);
            return;
          }
          const before = await state();
          const e = await sqlError(action.act(as[role].sql, fx));
          expect(e.code, e.message).toBe(code);
          if (code === 'WF012') expect(e.message).toMatch(new RegExp(`^role "${as[role].name}" may not (act on namespace|dead-letter messages of queue) "${fx.ns}"$`));
          expect(await state()).toEqual(before);
        });
      }
    });
  }
});

describe('who the caller is inside SECURITY DEFINER functions', () => {
  it('a superuser session after SET ROLE is judged as that role', async () => {
    const a = await freshStep(A);
    const b = await freshStep(B);
    const asWorker = <T>(fn: (tx: Sql) => Promise<T>) =>
      owner.begin(async (tx) => {
        await tx.unsafe(`set local role "${as.worker.name}"`);
        return fn(tx as unknown as Sql);
      });
    const who = await asWorker((tx) => tx<{ role: string }[]>`select weft.calling_role()::text as role`);
    expect(who[0]!.role).toBe(as.worker.name);
    const done = await asWorker((tx) => tx`select outcome from weft.complete_step(${a.stepId}::uuid, 1, '1'::jsonb)`);
    expect(done[0]!.outcome).toBe('applied');
    expect(await stepState(a)).toBe('complete');
    const e = await sqlError(asWorker((tx) => tx`select * from weft.complete_step(${b.stepId}::uuid, 1, '1'::jsonb)`));
    expect(e).toMatchObject({ code: 'WF012', message: `role "${as.worker.name}" may not act on namespace "${B}"` });
    expect(await stepState(b)).toBe('enqueued');
  });

  it('a login role after SET ROLE to a granted group role works that group\'s namespace', async () => {
    const team = await roles.create('team_b', ['weft_worker'], { login: false });
    await owner`select weft.grant_namespace(${team.name}, ${B})`;
    const member = await roles.create('team_b_member', [team.name], { inherit: false });
    const fx = await freshStep(B);
    // NOINHERIT: the member has none of the team's rights until it takes the role.
    expect((await sqlError(member.sql`select * from weft.complete_step(${fx.stepId}::uuid, 1, '1'::jsonb)`)).code).toBe('42501');
    await member.sql.begin(async (tx) => {
      await tx.unsafe(`set local role "${team.name}"`);
      expect(await tx`select msg_id from pgmq.read(${B}::text, 30, 1, ${tx.json({ step_id: fx.stepId })})`).toHaveLength(1);
      const [r] = await tx`select outcome from weft.complete_step(${fx.stepId}::uuid, 1, '2'::jsonb)`;
      expect(r!.outcome).toBe('applied');
    });
    expect(await stepState(fx)).toBe('complete');
  });

  it('members of a granted role inherit the namespace', async () => {
    const team = await roles.create('team_a', [], { login: false });
    await owner`select weft.grant_namespace(${team.name}, ${A})`;
    const member = await roles.create('team_a_member', ['weft_worker', team.name]);
    const fx = await freshStep(A);
    expect(await member.sql`select msg_id from pgmq.read(${A}::text, 30, 1, ${member.sql.json({ step_id: fx.stepId })})`).toHaveLength(1);
    const [r] = await member.sql`select outcome from weft.complete_step(${fx.stepId}::uuid, 1, '3'::jsonb)`;
    expect(r!.outcome).toBe('applied');
    const other = await freshStep(B);
    expect((await sqlError(member.sql`select * from weft.heartbeat_step(${other.stepId}::uuid, 1)`)).code).toBe('WF012');
  });
});

describe('weft.grant_namespace / weft.revoke_namespace', () => {
  it('revoking takes the queue and the step reports away at once; granting again restores them', async () => {
    const w = await roles.create('worker_b', ['weft_worker']);
    expect((await owner`select weft.grant_namespace(${w.name}, ${B}) as g`)[0]!.g).toBe(true);
    expect((await owner`select weft.grant_namespace(${w.name}, ${B}) as g`)[0]!.g).toBe(false);
    const [row] = await owner`select granted_by from weft.namespace_grants where role_name = ${w.name} and namespace = ${B}`;
    expect(row!.granted_by).toBe('postgres');
    const fx = await freshStep(B);
    expect(await w.sql`select msg_id from pgmq.read(${B}::text, 30, 1, ${w.sql.json({ step_id: fx.stepId })})`).toHaveLength(1);

    expect((await owner`select weft.revoke_namespace(${w.name}, ${B}) as r`)[0]!.r).toBe(true);
    expect((await owner`select weft.revoke_namespace(${w.name}, ${B}) as r`)[0]!.r).toBe(false);
    expect((await sqlError(w.sql`select * from pgmq.read(${B}::text, 30, 1)`)).code).toBe('42501');
    const e = await sqlError(w.sql`select * from weft.complete_step(${fx.stepId}::uuid, 1, '1'::jsonb)`);
    expect(e).toMatchObject({ code: 'WF012', message: `role "${w.name}" may not act on namespace "${B}"` });
    expect(e.hint).toContain(`weft.grant_namespace(role_name => '${w.name}', namespace => '${B}')`);
    expect(await stepState(fx)).toBe('enqueued');

    await as.admin.sql`select weft.grant_namespace(${w.name}, ${B})`;
    const [r] = await w.sql`select outcome from weft.complete_step(${fx.stepId}::uuid, 1, '1'::jsonb)`;
    expect(r!.outcome).toBe('applied');
    const [by] = await owner`select granted_by from weft.namespace_grants where role_name = ${w.name} and namespace = ${B}`;
    expect(by!.granted_by).toBe(as.admin.name);
  });

  it('rejects an unknown role (WF001) and an unknown namespace (WF010)', async () => {
    const e1 = await sqlError(owner`select weft.grant_namespace('weft_no_such_role', ${A})`);
    expect(e1).toMatchObject({ code: 'WF001', message: 'role "weft_no_such_role" does not exist' });
    const e2 = await sqlError(owner`select weft.grant_namespace(${env.grantee}, 'no_such_ns')`);
    expect(e2).toMatchObject({ code: 'WF010', message: 'namespace "no_such_ns" not found' });
    expect((await sqlError(owner`select weft.revoke_namespace(${env.grantee}, 'no_such_ns')`)).code).toBe('WF010');
  });
});

describe('catalog rules', () => {
  it('every public weft function that changes state is SECURITY DEFINER with search_path pinned; none is executable by PUBLIC', async () => {
    const rows = await owner<{ fn: string; definer: boolean; config: string[] | null; public_exec: boolean }[]>`
      select p.oid::regprocedure::text as fn, p.prosecdef as definer, p.proconfig as config,
             has_function_privilege('public', p.oid, 'EXECUTE') as public_exec
      from pg_proc p where p.pronamespace = 'weft'::regnamespace order by 1`;
    const invoker = ['now', 'uuid_generate_v7', 'priority_value', 'priority_name', 'retry_delay_ms', 'calling_role'];
    for (const r of rows) {
      const name = r.fn.replace(/^weft\.|\(.*$/g, '');
      if (!name.startsWith('_')) expect(r.definer, `${r.fn} SECURITY DEFINER`).toBe(!invoker.includes(name));
      if (r.definer) expect(r.config, `${r.fn} search_path`).toContain('search_path=""');
      expect(r.public_exec, `${r.fn} executable by PUBLIC`).toBe(false);
    }
    expect(rows.filter((r) => r.definer).map((r) => r.fn)).toEqual(expect.arrayContaining([
      'weft.complete_step(uuid,integer,jsonb,text)', 'weft.request_task(text,text,jsonb,text,text,text,timestamp with time zone,uuid,text)',
      'weft.orchestrator_tick(text,integer)', 'weft.grant_namespace(text,text)',
      'weft.complete_steps(uuid[],integer[],jsonb[],text)', 'weft.finalize_tasks(uuid[],text)',
    ]));
  });

  it('the PGMQ functions stay SECURITY INVOKER (table privileges isolate namespaces)', async () => {
    const [r] = await owner`select count(*)::int as n from pg_proc where pronamespace = 'pgmq'::regnamespace and prosecdef`;
    expect(r!.n).toBe(0);
  });
});

describe('queues and namespaces', () => {
  it('a step result a worker sends through the results queue is applied by the orchestrator role', async () => {
    const fx = await freshStep(A);
    await as.worker.sql`select * from pgmq.send('orchestration_step_results', ${as.worker.sql.json({ step_id: fx.stepId, attempt: 1, status: 'complete', result: 7 })})`;
    const [t] = await as.orchestrator.sql`select results_applied from weft.orchestrator_tick(processor_id => 'orch-role', max_rows => 100)`;
    expect(t!.results_applied).toBeGreaterThanOrEqual(1);
    const [s] = await owner`select state::text, result from weft.steps where step_id = ${fx.stepId}::uuid`;
    expect(s).toEqual({ state: 'complete', result: 7 });
  });

  it('a namespace registered later by an admin: the monitor sees its queue, a worker needs a grant', async () => {
    await as.admin.sql`select weft.register_workflow(${as.admin.sql.json(linear('prv_c') as never)})`;
    const depths = await as.monitor.sql`select namespace, queue_length::int from weft.queue_depths where namespace = 'prv_c'`;
    expect(depths).toEqual([{ namespace: 'prv_c', queue_length: 0 }]);
    const [id] = await as.client.sql`select weft.request_task('prv_c', 'linear', '{"n": 1}') as id`;
    expect((await sqlError(as.worker.sql`select * from pgmq.read('prv_c', 30, 1)`)).code).toBe('42501');
    await as.admin.sql`select weft.grant_namespace(${as.worker.name}, 'prv_c')`;
    const [m] = await as.worker.sql<{ message: { task_id: string; step_id: string } }[]>`select message from pgmq.read('prv_c', 30, 1)`;
    expect(m!.message.task_id).toBe(id!.id);
    const [r] = await as.worker.sql`select outcome from weft.complete_step(${m!.message.step_id}::uuid, 1, '2'::jsonb)`;
    expect(r!.outcome).toBe('applied');
  });
});

describe('the engine with nothing but its roles', () => {
  it('runs every acceptance scenario: admin registers, client requests and waits, orchestrator and worker roles do the rest', async () => {
    const scenarios = loadScenarios();
    const admin = new Weft({ sql: as.admin.sql });
    for (const s of scenarios) await admin.registerWorkflow(s.definition);
    const namespaces = [...new Set(scenarios.map((s) => s.definition.namespace))];
    const workerRole = await roles.create('engine_worker', ['weft_worker'], { max: 6 });
    for (const ns of namespaces) await admin.sql`select weft.grant_namespace(${workerRole.name}, ${ns})`;
    const logger = silentLogger();
    const orchestrator = new Orchestrator({
      sql: roles.connect(as.orchestrator, 4), logger, processorId: 'role-orchestrator', pollIntervalMs: 100, claimTtlMs: 10_000,
    });
    const worker = new Worker({
      sql: workerRole.sql, logger, processorId: 'role-worker', namespaces, concurrency: 8, pollIntervalMs: 100, shutdownGraceMs: 2000,
    });
    for (const [name, fn] of Object.entries(scenarioHandlers)) worker.register(name, fn);
    await orchestrator.start();
    await worker.start();
    const client = new Weft({ sql: as.client.sql });
    try {
      for (const scenario of scenarios) {
        const d = scenario.definition;
        for (const [i, run] of scenario.runs.entries()) {
          const taskId = await client.requestTask({ namespace: d.namespace, workflow: d.name, context: run.context });
          const task = await client.waitForTask(taskId, { timeoutMs: 60_000 });
          expect(task.state, `${d.name} run ${i}`).toBe(run.expect.task_state);
          await expectRun(owner, taskId, run, `${d.name} run ${i}`);
        }
      }
    } finally {
      await worker.stop();
      await orchestrator.stop();
    }
    // The loops swallow errors (log and back off): a missing privilege would show here.
    expect(worker.stats.errors).toBe(0);
    expect(orchestrator.stats.errors).toBe(0);
  });
});
