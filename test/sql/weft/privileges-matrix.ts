/**
 * The role × action matrix of test/sql/weft/privileges.test.ts, as data: for each action, the
 * roles allowed to do it (every other role gets 42501, or WF012 where listed), how to prepare
 * it (run as the owner), the call itself, and the effect an allowed call must have.
 * `env` is filled by the test's beforeAll (the owner's pool, a NOLOGIN role to grant to).
 */
import { randomBytes } from 'node:crypto';
import { expect } from 'vitest';
import type { Sql } from '../../../src/db/connection.js';
import type { LoginRole } from '../../support/roles.js';
import { linear, snapshot } from './fixtures.js';

export const A = 'prv_a';
export const B = 'prv_b';
export const ROLES = ['admin', 'orchestrator', 'worker', 'client', 'monitor', 'outsider'] as const;
export type Role = (typeof ROLES)[number];

/** Filled by the test before any action runs. */
export const env = {} as { owner: Sql; grantee: string };

/** What an action's preparation made (fields unused by an action are empty). */
export interface Fx {
  ns: string;
  taskId: string;
  stepId: string;
  msgId: string;
}

/** A fresh task of `linear` in `ns`: its root step (attempt 1, enqueued) and that step's queue message. */
export async function freshStep(ns: string): Promise<Fx> {
  const [t] = await env.owner<{ id: string }[]>`select weft.request_task(${ns}, 'linear', '{"n": 1}') as id`;
  const [s] = await env.owner<{ step_id: string; msg_id: string }[]>`
    select step_id, msg_id::text from weft.steps where task_id = ${t!.id}::uuid and name = 'a'`;
  return { ns, taskId: t!.id, stepId: s!.step_id, msgId: s!.msg_id };
}

/** Everything a forbidden call could change: row counts and contents, queues, grants, ACLs. */
export async function state(): Promise<Record<string, unknown>> {
  const [extra] = await env.owner<{ queues: string; grants: string; acl: string }[]>`
    select (select md5(string_agg(q::text, ',' order by q::text)) from (
              select 'a' as k, msg_id, read_ct, vt from pgmq.q_prv_a union all
              select 'b', msg_id, read_ct, vt from pgmq.q_prv_b) q) as queues,
           (select coalesce(string_agg(role_name || ':' || namespace, ',' order by role_name, namespace), '') from weft.namespace_grants) as grants,
           (select md5(string_agg(coalesce(relacl::text, ''), ',' order by oid)) from pg_class
             where relnamespace in ('pgmq'::regnamespace, 'weft'::regnamespace)) as acl`;
  return { ...(await snapshot(env.owner)), ...extra };
}

export interface Action {
  name: string;
  /** Roles for which the call succeeds; every other role gets 42501 … */
  allow: Role[];
  /** … except these, which get WF012 (a namespace they were not granted). */
  wf012?: Role[];
  prepare?: () => Promise<Fx>;
  act: (sql: Sql, fx: Fx) => PromiseLike<readonly Record<string, unknown>[]>;
  /** After an allowed call: its effect, seen by the owner. */
  verify?: (rows: readonly Record<string, unknown>[], fx: Fx, role: LoginRole) => Promise<void>;
}

const one = async (rows: readonly Record<string, unknown>[]) => expect(rows).toHaveLength(1);
export const stepState = async (fx: Fx) =>
  (await env.owner<{ state: string }[]>`select state::text from weft.steps where step_id = ${fx.stepId}::uuid`)[0]!.state;

function queueActions(ns: string): Action[] {
  const mine = ns === A ? (['admin', 'worker'] as Role[]) : (['admin'] as Role[]);
  return [
    { name: `pgmq.read ${ns}`, allow: mine, prepare: () => freshStep(ns),
      act: (sql, fx) => sql`select msg_id from pgmq.read(${ns}::text, 30, 1, ${sql.json({ step_id: fx.stepId })})`, verify: one },
    { name: `pgmq.set_vt ${ns}`, allow: mine, prepare: () => freshStep(ns),
      act: (sql, fx) => sql`select msg_id from pgmq.set_vt(${ns}::text, ${fx.msgId}::bigint, 60)`, verify: one },
    { name: `pgmq.delete ${ns}`, allow: mine, prepare: () => freshStep(ns),
      act: (sql, fx) => sql`select pgmq.delete(${ns}::text, ${fx.msgId}::bigint) as ok`,
      verify: async (rows) => expect(rows).toEqual([{ ok: true }]) },
    { name: `pgmq.archive ${ns}`, allow: mine, prepare: () => freshStep(ns),
      act: (sql, fx) => sql`select pgmq.archive(${ns}::text, ${fx.msgId}::bigint) as ok`,
      verify: async (rows) => expect(rows).toEqual([{ ok: true }]) },
    { name: `pgmq.send ${ns} (forge a step message)`, allow: ['admin'],
      act: (sql) => sql`select * from pgmq.send(${ns}::text, ${sql.json({ forged: true })})`, verify: one },
  ];
}

/** weft.dead_letter_message on a junk message of `queue` (sent by the owner). */
function deadLetter(queue: string, allow: Role[], wf012: Role[]): Action {
  return {
    name: `weft.dead_letter_message ${queue}`, allow, wf012,
    prepare: async () => {
      const [m] = await env.owner<{ id: string }[]>`select pgmq.send(${queue}::text, '{"junk": true}'::jsonb)::text as id`;
      return { ns: queue, taskId: '', stepId: '', msgId: m!.id };
    },
    act: (sql, fx) => sql`select weft.dead_letter_message(${queue}, ${fx.msgId}::bigint, 'junk') as ok`,
    verify: async (rows, fx) => {
      expect(rows).toEqual([{ ok: true }]);
      expect(await env.owner`select 1 from weft.dead_letters where queue_name = ${queue} and msg_id = ${fx.msgId}::bigint`).toHaveLength(1);
    },
  };
}

function reportActions(ns: string): Action[] {
  const allow = ns === A ? (['admin', 'worker'] as Role[]) : (['admin'] as Role[]);
  const wf012 = ns === B ? (['worker'] as Role[]) : [];
  const prepare = () => freshStep(ns);
  return [
    { name: `weft.complete_step ${ns}`, allow, wf012, prepare,
      act: (sql, fx) => sql`select outcome from weft.complete_step(step_id => ${fx.stepId}::uuid, attempt => 1, result => '1'::jsonb)`,
      verify: async (rows, fx) => {
        expect(rows).toEqual([{ outcome: 'applied' }]);
        expect(await stepState(fx)).toBe('complete');
      } },
    { name: `weft.complete_steps ${ns}`, allow, wf012, prepare,
      act: (sql, fx) => sql`select outcome from weft.complete_steps(step_ids => array[${fx.stepId}::uuid], attempts => array[1], results => array['1'::jsonb])`,
      verify: async (rows, fx) => {
        expect(rows).toEqual([{ outcome: 'applied' }]);
        expect(await stepState(fx)).toBe('complete');
      } },
    { name: `weft.fail_step ${ns}`, allow, wf012, prepare,
      act: (sql, fx) => sql`select outcome from weft.fail_step(step_id => ${fx.stepId}::uuid, attempt => 1, error => ${sql.json({ message: 'x' })}, retryable => false)`,
      verify: async (rows, fx) => {
        expect(rows).toEqual([{ outcome: 'applied' }]);
        expect(await stepState(fx)).toBe('error');
      } },
    { name: `weft.heartbeat_step ${ns}`, allow, wf012, prepare,
      act: (sql, fx) => sql`select carry_on from weft.heartbeat_step(step_id => ${fx.stepId}::uuid, attempt => 1, extend_seconds => 60)`,
      verify: async (rows) => expect(rows).toEqual([{ carry_on: true }]) },
    { name: `weft.checkpoint_step ${ns}`, allow, wf012, prepare,
      act: (sql, fx) => sql`select weft.checkpoint_step(step_id => ${fx.stepId}::uuid, attempt => 1, data => '{"at": 1}'::jsonb) as ok`,
      verify: async (rows, fx) => {
        expect(rows).toEqual([{ ok: true }]);
        const [s] = await env.owner`select checkpoint from weft.steps where step_id = ${fx.stepId}::uuid`;
        expect(s!.checkpoint).toEqual({ at: 1 });
      } },
    { name: `weft.release_step ${ns}`, allow, wf012, prepare,
      act: (sql, fx) => sql`select weft.release_step(step_id => ${fx.stepId}::uuid, attempt => 1) as ok`,
      verify: async (rows) => expect(rows).toEqual([{ ok: true }]) },
    { name: `weft.dead_letter_message of a live step message of ${ns}`, allow, wf012, prepare,
      act: (sql, fx) => sql`select weft.dead_letter_message(${ns}, ${fx.msgId}::bigint, 'unusable') as ok`,
      verify: async (rows, fx) => {
        expect(rows).toEqual([{ ok: true }]);
        expect(await stepState(fx)).toBe('error');
      } },
    { name: `pgmq.send orchestration_step_results for a step of ${ns}`, allow, wf012, prepare,
      act: (sql, fx) => sql`select * from pgmq.send('orchestration_step_results', ${sql.json({ step_id: fx.stepId, attempt: 1, status: 'complete', result: 1 })})`,
      verify: one },
    deadLetter(ns, allow, wf012),
  ];
}

const readers: Role[] = ['admin', 'client', 'monitor'];
const select = (relation: string, allow: Role[]): Action => ({
  name: `select from ${relation}`,
  allow,
  act: (sql) => sql.unsafe(`select count(*)::int as n from ${relation}`),
});
const orchestration = (fn: string, call: string): Action => ({
  name: `weft.${fn}`,
  allow: ['admin', 'orchestrator'],
  act: (sql) => sql.unsafe(`select * from weft.${call}`),
});

export const actions: Action[] = [
  ...queueActions(A),
  ...queueActions(B),
  ...reportActions(A),
  ...reportActions(B),
  deadLetter('orchestration_task_requests', ['admin'], ['worker']),
  { name: 'pgmq.read orchestration_step_results', allow: ['admin'], act: (sql) => sql`select * from pgmq.read('orchestration_step_results', 0, 1)` },
  { name: 'pgmq.read orchestration_task_requests', allow: ['admin'], act: (sql) => sql`select * from pgmq.read('orchestration_task_requests', 0, 1)` },
  { name: 'weft.register_workflow', allow: ['admin'],
    act: (sql) => sql`select weft.register_workflow(${sql.json(linear(A, `reg_${randomBytes(4).toString('hex')}`) as never)}) as id`, verify: one },
  { name: 'weft.request_task', allow: ['admin', 'client'],
    act: (sql) => sql`select weft.request_task(${A}, 'linear', '{"n": 1}') as id`,
    verify: async (rows) => expect(await env.owner`select 1 from weft.tasks where task_id = ${rows[0]!.id as string}::uuid`).toHaveLength(1) },
  { name: 'weft.request_tasks', allow: ['admin', 'client'],
    act: (sql) => sql`select id from weft.request_tasks(${A}, 'linear', array['{"n": 1}', '{"n": 2}']::jsonb[]) as r (id)`,
    verify: async (rows) => expect(await env.owner`select 1 from weft.tasks where task_id = any(${rows.map((r) => r.id as string)}::uuid[])`).toHaveLength(2) },
  { name: 'weft.cancel_task', allow: ['admin', 'client'], prepare: () => freshStep(A),
    act: (sql, fx) => sql`select weft.cancel_task(${fx.taskId}::uuid, 'matrix', 'matrix')::text as state`,
    verify: async (rows) => expect(rows).toEqual([{ state: 'finalizing' }]) },
  { name: 'pgmq.send orchestration_task_requests', allow: ['admin', 'client'],
    act: (sql) => sql`select * from pgmq.send('orchestration_task_requests', ${sql.json({ namespace: A, workflow: 'linear', context: { n: 1 } })})`, verify: one },
  select('weft.tasks', readers),
  select('weft.steps', readers),
  select('weft.transitions', readers),
  select('weft.workflows', readers),
  select('weft.namespaces', [...readers, 'worker']),
  select('weft.error_codes', [...readers, 'worker']),
  select('weft.dead_letters', ['admin', 'monitor']),
  select('weft.namespace_grants', ['admin', 'monitor']),
  select('weft.workflow_step_levels', readers),
  ...['active_tasks', 'task_stats', 'claims', 'pending_timers', 'queue_depths', 'failed_steps'].map((v) => select(`weft.${v}`, ['admin', 'monitor'])),
  { name: 'pgmq.metrics_all()', allow: ['admin', 'monitor'], act: (sql) => sql`select * from pgmq.metrics_all()` },
  orchestration('orchestrator_tick', `orchestrator_tick(processor_id => 'matrix', max_rows => 100)`),
  orchestration('intake_task_requests', `intake_task_requests('matrix')`),
  orchestration('intake_step_results', `intake_step_results('matrix')`),
  orchestration('fire_timers', `fire_timers('matrix')`),
  orchestration('recover_stalled_steps', `recover_stalled_steps('matrix')`),
  orchestration('claim_tasks_for_finalization', `claim_tasks_for_finalization('matrix', null, 10000, 10)`),
  { name: 'weft.finalize_task', allow: ['admin', 'orchestrator'],
    prepare: async () => {
      const fx = await freshStep(A);
      await env.owner`select weft.cancel_task(${fx.taskId}::uuid)`;
      await env.owner`select * from weft.claim_task_for_finalization(${fx.taskId}::uuid, 'matrix-finalizer')`;
      return fx;
    },
    act: (sql, fx) => sql`select weft.finalize_task(${fx.taskId}::uuid, 'matrix-finalizer')::text as state`,
    verify: async (rows) => expect(rows).toEqual([{ state: 'cancelled' }]) },
  { name: 'weft.finalize_tasks', allow: ['admin', 'orchestrator'],
    prepare: async () => {
      const fx = await freshStep(A);
      await env.owner`select weft.cancel_task(${fx.taskId}::uuid)`;
      await env.owner`select * from weft.claim_task_for_finalization(${fx.taskId}::uuid, 'matrix-finalizer')`;
      return fx;
    },
    act: (sql, fx) => sql`select task_id, state::text from weft.finalize_tasks(task_ids => array[${fx.taskId}::uuid], processor_id => 'matrix-finalizer')`,
    verify: async (rows, fx) => expect(rows).toEqual([{ task_id: fx.taskId, state: 'cancelled' }]) },
  { name: 'weft._wake (internal)', allow: ['admin'],
    act: (sql) => sql`select weft._wake('weft_matrix_wake', 'x') as sent` },
  { name: 'weft.skip_step (manual operation)', allow: ['admin'], prepare: () => freshStep(A),
    act: (sql, fx) => sql`select weft.skip_step(${fx.stepId}::uuid, 'matrix')::text as state`,
    verify: async (_rows, fx) => expect(await stepState(fx)).toBe('skipped') },
  { name: 'weft.grant_namespace', allow: ['admin'],
    act: (sql) => sql`select weft.grant_namespace(${env.grantee}, ${B}) as granted`,
    verify: async (rows) => {
      expect(rows).toEqual([{ granted: true }]);
      await env.owner`select weft.revoke_namespace(${env.grantee}, ${B})`;
    } },
  { name: 'weft.shift_clock', allow: ['admin'],
    act: (sql) => sql`select weft.shift_clock('1 second')::text as offset`,
    verify: async () => {
      await env.owner`select weft.shift_clock('-1 second')`;
    } },
  { name: 'update weft.tasks directly', allow: ['admin'], prepare: () => freshStep(A),
    act: (sql, fx) => sql`update weft.tasks set priority = 0 where task_id = ${fx.taskId}::uuid returning task_id`, verify: one },
  { name: 'delete from weft.transitions directly', allow: ['admin'], prepare: () => freshStep(A),
    act: (sql, fx) => sql`delete from weft.transitions where task_id = ${fx.taskId}::uuid returning task_id` },
  { name: 'weft.calling_role()', allow: ['admin', 'orchestrator', 'worker', 'client', 'monitor'],
    act: (sql) => sql`select weft.calling_role()::text as role`,
    verify: async (rows, _fx, role) => expect(rows).toEqual([{ role: role.name }]) },
];

