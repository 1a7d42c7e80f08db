/**
 * Scale (weft only), each measurement on a fresh database cloned from a migrated template:
 *   backlog      — single-step tasks completed per second with a small and a large backlog of
 *                  ready tasks (10k vs 1M in the full run): the first `scaleTimedTasks` to finish
 *                  are timed and verified;
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
import { WeftAdapter } from '../weft/adapter.js';
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

async function backlogPart(adapter: WeftAdapter, ctx: WorkloadContext, backlog: number): Promise<PartResult> {
  const { sizes } = ctx;
  const timed = Math.min(sizes.scaleTimedTasks, backlog);
  const keys = ctx.keys(backlog);
  const chunk = 50_000;
  const t0 = nowMs();
  for (let i = 0; i < keys.length; i += chunk) {
    checkInterrupted(ctx.signal);
    await adapter.requestBulk('one', keys.slice(i, i + chunk));
    if (keys.length > chunk) ctx.log(`  backlog ${backlog}: ${Math.min(i + chunk, keys.length)} requested`);
  }
  const enqueueMs = nowMs() - t0;
  const base = await adapter.finalizedTotal();
  await adapter.startEngine({ concurrency: sizes.dagConcurrency });
  const started = Date.now();
  let finished = 0;
  try {
    while (finished < timed && Date.now() - started < sizes.budgetMs) {
      await sleep(Math.max(sizes.pollMs, 200));
      finished = (await adapter.finalizedTotal()) - base;
    }
  } finally {
    await adapter.stopWorkers();
  }
  if (finished < timed) {
    return { part: `backlog ${backlog}`, status: 'timeout', figures: { partial_per_s: rate(finished, Date.now() - started) }, distributions: {}, verification: null };
  }
  const records = await adapter.collectFirstFinished('one', timed);
  const verdict = verifyTasks(ctx.shapes.one, [...records.keys()], records, await adapter.systemProblems());
  const wanted = new Set(keys);
  if (records.size !== timed || [...records.keys()].some((k) => !wanted.has(k))) {
    verdict.ok = false;
    verdict.problems.push(`expected ${timed} finished tasks of this backlog, found ${records.size}`);
  }
  const recs = [...records.values()];
  const spec = ctx.shapes.one;
  return {
    part: `backlog ${backlog}`,
    status: verdict.ok ? 'ok' : 'failed',
    figures: {
      steps_per_s: rate(timed, maxOf(recs.map((r) => finishOf(spec, r))) - minOf(recs.map(startOf))),
      backlog_enqueue_per_s: rate(backlog, enqueueMs),
    },
    distributions: {},
    verification: verdict,
    note: `first ${timed} of ${backlog} tasks timed; backlog requested in statements of ${chunk}`,
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
      ctx.log(`scale: backlog of ${backlog}`);
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
