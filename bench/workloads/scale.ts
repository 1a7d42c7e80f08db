/**
 * Scale (weft only), each measurement on a fresh database cloned from a migrated template:
 *   backlog      — single-step tasks completed per second while weft holds 10k vs 1M pending
 *                  tasks (full run): `scaleTimedTasks` ready ones in the queue, the rest deferred
 *                  (run_after in 30 days, copied in SQL — see addDeferred); the tasks finished
 *                  within the time budget are verified and timed;
 *   orchestrators — a W3 diamond burst with 1 and with 4 orchestrator processes (one worker);
 *   idle queries — statements per second issued by an orchestrator alone, then a worker alone,
 *                  with nothing to do (pg_stat_statements calls, else committed transactions).
 */
import { checkInterrupted } from '../children.js';
import type { BenchOptions } from '../options.js';
import type { BenchServer } from '../server.js';
import { nowMs } from '../shapes.js';
import { maxOf, minOf, rate } from '../stats.js';
import { packageVersion, sleep } from '../system.js';
import { verifyTasks } from '../verify.js';
import { NAMESPACE, WeftAdapter } from '../weft/adapter.js';
import { finishOf, runBurst, startOf, type PartResult, type WorkloadContext, type WorkloadResult } from './common.js';

/** Makes a migrated weft database to clone from; returns a factory of fresh adapters. */
export async function weftDatabases(server: BenchServer, options: BenchOptions, ctx: WorkloadContext, purpose: string) {
  const template = `${options.databasePrefix}_weft_${purpose}_template`;
  const created: string[] = [template];
  const url = await server.createDatabase(template);
  const seed = new WeftAdapter(template, url, options.weftMode, packageVersion('weft'));
  await seed.setup(ctx.shapes);
  await seed.close();
  return {
    async fresh(suffix: string, mode = options.weftMode): Promise<WeftAdapter> {
      const name = `${options.databasePrefix}_weft_${suffix}`;
      created.push(name);
      const adapter = new WeftAdapter(name, await server.createDatabase(name, template), mode, packageVersion('weft'));
      await adapter.register(ctx.shapes);
      return adapter;
    },
    async dropAll(): Promise<void> {
      if (options.keep) return;
      for (const name of created) await server.dropDatabase(name);
    },
  };
}

/**
 * Adds `count` deferred tasks (state pending, run_after in 30 days): one requested through
 * weft.request_task, the others copies of its rows (task and steps, new ids) made in SQL, in
 * chunks — requesting them one by one would take hours on a small machine. The copy is generic
 * over the columns (jsonb_populate_record), so it follows the schema. The new ids are UUIDv7
 * (weft.uuid_generate_v7), as weft makes them: random UUIDs would scatter the primary-key
 * indexes and make every later insert land on a random page, which no real backlog does.
 * The record is expanded in a LATERAL join: `(f(x)).*` in a select list would call f once per
 * column. The unused 'copy' key makes each row's call depend on the series, so it is not made
 * once and reused (jsonb_populate_record ignores keys that are not columns).
 */
async function addDeferred(adapter: WeftAdapter, ctx: WorkloadContext, count: number): Promise<number> {
  const t0 = nowMs();
  const [seed] = await adapter.pool<{ id: string }[]>`
    select weft.request_task(namespace => ${NAMESPACE}, workflow_name => ${ctx.shapes.one.name}, context => ${adapter.pool.json({ deferred: true })},
                             run_after => now() + interval '30 days', requested_by => 'bench-fixture') as id`;
  const chunk = 100_000;
  for (let done = 1; done < count; done += chunk) {
    checkInterrupted(ctx.signal);
    const n = Math.min(chunk, count - done);
    await adapter.pool`
      with src_task as (select * from weft.tasks where task_id = ${seed!.id}::uuid),
           src_steps as (select * from weft.steps where task_id = ${seed!.id}::uuid),
           copies as (
             insert into weft.tasks
             select r.* from src_task t cross join generate_series(1, ${n}) g
             cross join lateral jsonb_populate_record(null::weft.tasks, to_jsonb(t) || jsonb_build_object('task_id', weft.uuid_generate_v7(), 'copy', g)) r
             returning task_id)
      insert into weft.steps
      select r.* from src_steps s cross join copies c
      cross join lateral jsonb_populate_record(null::weft.steps, to_jsonb(s) || jsonb_build_object('step_id', weft.uuid_generate_v7(), 'task_id', c.task_id)) r`;
    if (count > chunk) ctx.log(`  ${Math.min(done + n, count)} of ${count} deferred tasks`);
  }
  await adapter.pool.unsafe('analyze');
  return nowMs() - t0;
}

/**
 * Makes the backlog: `pending` tasks in all, of which min(`scaleTimedTasks`, pending) ready
 * (requested in statements of 5,000) and the rest deferred (addDeferred).
 */
export async function prepareBacklog(adapter: WeftAdapter, ctx: WorkloadContext, pending: number) {
  const ready = Math.min(ctx.sizes.scaleTimedTasks, pending);
  const deferred = Math.max(1, pending - ready);
  const fixtureMs = await addDeferred(adapter, ctx, deferred);
  const keys = ctx.keys(ready);
  const t0 = nowMs();
  for (let i = 0; i < keys.length; i += 5_000) {
    checkInterrupted(ctx.signal);
    await adapter.requestBulk('one', keys.slice(i, i + 5_000));
  }
  return { ready, deferred, keys, fixtureMs, enqueueMs: nowMs() - t0 };
}

/**
 * Runs the engine until `ready` more tasks are finalized than when it started, or the time
 * budget runs out; stops it and returns how many finished.
 */
export async function runUntilFinalized(adapter: WeftAdapter, ctx: WorkloadContext, ready: number): Promise<number> {
  const base = await adapter.finalizedTotal();
  await adapter.startEngine({ concurrency: ctx.sizes.dagConcurrency });
  const started = Date.now();
  let finished = 0;
  try {
    while (finished < ready && Date.now() - started < ctx.sizes.budgetMs) {
      checkInterrupted(ctx.signal);
      await sleep(ctx.sizes.pollMs);
      finished = (await adapter.finalizedTotal()) - base;
    }
  } finally {
    await adapter.stopWorkers();
  }
  return (await adapter.finalizedTotal()) - base;
}

/**
 * Single-step tasks completed per second with `ready` tasks in the queue and `pending` tasks in
 * all (the rest deferred). The engine runs for at most the time budget; the tasks that finished
 * are verified and their rate is taken from their own timestamps.
 */
async function backlogPart(adapter: WeftAdapter, ctx: WorkloadContext, pending: number): Promise<PartResult> {
  const { ready, deferred, keys, fixtureMs, enqueueMs } = await prepareBacklog(adapter, ctx, pending);
  const finished = await runUntilFinalized(adapter, ctx, ready);
  const records = await adapter.collectFirstFinished('one', finished);
  const verdict = verifyTasks(ctx.shapes.one, [...records.keys()], records, await adapter.systemProblems());
  const wanted = new Set(keys);
  const foreign = [...records.keys()].filter((k) => !wanted.has(k));
  if (records.size !== finished || foreign.length > 0 || finished === 0) {
    verdict.ok = false;
    verdict.problemCount++;
    verdict.problems.push(`expected ${finished} finished tasks of the ready backlog, found ${records.size} (${foreign.length} foreign)`);
  }
  const recs = [...records.values()];
  return {
    part: `${pending.toLocaleString('en-US')} pending tasks`,
    status: verdict.ok ? 'ok' : 'failed',
    figures: {
      steps_per_s: rate(records.size, maxOf(recs.map((r) => finishOf(ctx.shapes.one, r))) - minOf(recs.map(startOf))),
      pending_tasks: ready + deferred,
      ready_tasks: ready,
      finished_in_window: records.size,
      ready_enqueue_per_s: rate(ready, enqueueMs),
      fixture_s: Math.round(fixtureMs / 100) / 10,
    },
    distributions: {},
    verification: verdict,
    note: `${ready} ready tasks (weft.request_task in statements of 5,000) and ${deferred} deferred ones (run_after in 30 days; ${deferred > 1 ? 'copied in SQL from one requested through weft.request_task' : 'requested through weft.request_task'}); engine run for up to ${Math.round(ctx.sizes.budgetMs / 1000)} s`,
  };
}

async function idlePart(server: BenchServer, adapter: WeftAdapter, ctx: WorkloadContext, role: 'orchestrator' | 'worker'): Promise<PartResult> {
  await adapter.startEngine(role === 'orchestrator' ? { concurrency: 1, orchestrators: 1, workers: 0 } : { concurrency: ctx.sizes.dagConcurrency, orchestrators: 0, workers: 1 });
  try {
    await sleep(1000);
    await server.resetStatements();
    const before = await server.statementCount(adapter.database);
    const t0 = Date.now();
    await sleep(ctx.sizes.idleWindowMs);
    const after = await server.statementCount(adapter.database);
    const span = Date.now() - t0;
    const statements = (await server.topStatements(adapter.database, 8)).map((s) => ({ query: s.query.slice(0, 160), calls: s.calls }));
    return {
      part: `idle ${role}`,
      status: 'ok',
      figures: { queries_per_s: Math.round(((after.count - before.count) / (span / 1000)) * 100) / 100 },
      distributions: {},
      verification: null,
      note: `${after.source} over ${Math.round(span / 1000)} s`,
      details: { statements },
    };
  } finally {
    await adapter.stopWorkers();
  }
}

/** Runs the scale workload. */
export async function runScale(server: BenchServer, options: BenchOptions, ctx: WorkloadContext): Promise<WorkloadResult> {
  const started = Date.now();
  const result: WorkloadResult = { workload: 'scale', system: 'weft', config: 'default', label: 'weft', run: 1, parts: [], durationMs: 0 };
  const dbs = await weftDatabases(server, options, ctx, 'scale');
  try {
    for (const backlog of [ctx.sizes.scaleSmallBacklog, ctx.sizes.scaleLargeBacklog]) {
      ctx.log(`scale: ${backlog} pending tasks`);
      const adapter = await dbs.fresh(`backlog_${backlog}`);
      try {
        result.parts.push(await backlogPart(adapter, ctx, backlog));
      } finally {
        await adapter.close();
        if (!options.keep) await server.dropDatabase(adapter.database);
      }
    }
    for (const orchestrators of ctx.sizes.scaleOrchestrators) {
      ctx.log(`scale: ${orchestrators} orchestrator(s)`);
      const adapter = await dbs.fresh(`orch_${orchestrators}`);
      try {
        const { part } = await runBurst(adapter, ctx, 'diamond', ctx.sizes.scaleBurstTasks, ctx.sizes.dagConcurrency, {
          start: () => adapter.startEngine({ concurrency: ctx.sizes.dagConcurrency, orchestrators }),
        });
        part.part = `${orchestrators} orchestrator${orchestrators > 1 ? 's' : ''}, diamond burst`;
        result.parts.push(part);
      } finally {
        await adapter.close();
      }
    }
    const idle = await dbs.fresh('idle');
    await server.setStatementTracking('top');
    try {
      result.parts.push(await idlePart(server, idle, ctx, 'orchestrator'));
      result.parts.push(await idlePart(server, idle, ctx, 'worker'));
    } finally {
      await server.setStatementTracking('none');
      await idle.close();
    }
  } catch (err) {
    result.error = err instanceof Error ? err.message : String(err);
  } finally {
    await dbs.dropAll();
    result.durationMs = Date.now() - started;
  }
  return result;
}
