/**
 * Memory (weft only). `weft orchestrator`, `weft worker` and `weft api` run as separate processes
 * of the compiled build (in quick mode too: memory is a property of those processes; see
 * ../weft/processes.ts). Their resident memory is read
 * from /proc at idle, then sampled every 100 ms during a W3 diamond burst (peak = the highest
 * sample, or VmHWM when higher). The database's growth is measured over `growthTasks` finished
 * diamond tasks, scaled to 10k; then once more after a retention pass (weft.purge_finished_tasks,
 * VACUUM), which shows the steady-state growth when retention keeps up.
 */
import type { BenchOptions } from '../options.js';
import type { BenchServer } from '../server.js';
import { sleep } from '../system.js';
import type { WeftAdapter } from '../weft/adapter.js';
import { requestBurst, runBurst, waitFinished, type PartResult, type WorkloadContext, type WorkloadResult } from './common.js';
import { weftDatabases } from './scale.js';

const MB = 1024 * 1024;

function memoryFigures(adapter: WeftAdapter, prefix: string, peaks?: Map<string, number>): Record<string, number> {
  const figures: Record<string, number> = {};
  for (const p of adapter.processes) {
    const m = p.memory();
    if (!m) continue;
    const value = peaks ? Math.max(peaks.get(p.name) ?? 0, m.peak) : m.rss;
    figures[`${prefix}_${p.role}_mb`] = Math.round((value / MB) * 10) / 10;
  }
  return figures;
}

async function databaseSize(adapter: WeftAdapter): Promise<number> {
  const [row] = await adapter.pool<{ size: string }[]>`select pg_database_size(current_database()) as size`;
  return Number(row!.size);
}

/** Finishes `count` diamond tasks (engine running); returns the database growth in bytes. */
async function growth(adapter: WeftAdapter, ctx: WorkloadContext, count: number): Promise<{ bytes: number; ok: boolean }> {
  const before = await databaseSize(adapter);
  const base = await adapter.finishedCount('diamond');
  await requestBurst(adapter, 'diamond', ctx.keys(count));
  // Growth is not a speed figure: the tasks get five budgets to finish.
  const wait = await waitFinished(adapter, 'diamond', base, count, { ...ctx, sizes: { ...ctx.sizes, budgetMs: ctx.sizes.budgetMs * 5 } });
  return { bytes: (await databaseSize(adapter)) - before, ok: wait.done };
}

/**
 * Retention: weft.purge_finished_tasks (and purge_queue_archives) when this weft has them, else
 * the same by hand (finished tasks, cascading to steps, and their transitions); then VACUUM.
 * Returns how it was done.
 */
async function retention(adapter: WeftAdapter): Promise<string> {
  const [fn] = await adapter.pool<{ found: boolean }[]>`
    select to_regprocedure('weft.purge_finished_tasks(interval,integer)') is not null as found`;
  let how: string;
  if (fn!.found) {
    while ((await adapter.pool<{ n: number }[]>`select weft.purge_finished_tasks(interval '0', 10000) as n`)[0]!.n > 0);
    const [arch] = await adapter.pool<{ found: boolean }[]>`select to_regprocedure('weft.purge_queue_archives(interval)') is not null as found`;
    if (arch!.found) await adapter.pool`select weft.purge_queue_archives(interval '0')`;
    how = 'weft.purge_finished_tasks(0) and weft.purge_queue_archives(0)';
  } else {
    await adapter.pool`delete from weft.transitions tr using weft.tasks t where t.task_id = tr.task_id and t.state = 'complete'`;
    await adapter.pool`delete from weft.tasks where state = 'complete'`;
    how = 'emulated (this weft has no weft.purge_finished_tasks): DELETE finished tasks (cascading to steps) and their transitions';
  }
  await adapter.pool.unsafe('vacuum');
  return `${how}, then VACUUM`;
}

/** Runs the memory workload. */
export async function runMemory(server: BenchServer, options: BenchOptions, ctx: WorkloadContext): Promise<WorkloadResult> {
  const started = Date.now();
  const result: WorkloadResult = { workload: 'memory', system: 'weft', config: 'default', label: 'weft', run: 1, parts: [], durationMs: 0 };
  const dbs = await weftDatabases(server, options, ctx, 'memory');
  const adapter = await dbs.fresh('memory', 'processes');
  try {
    const concurrency = ctx.sizes.dagConcurrency;
    await adapter.startEngine({ concurrency, api: true });
    await sleep(ctx.sizes.memoryIdleMs);
    result.parts.push({ part: 'idle RSS', status: 'ok', figures: memoryFigures(adapter, 'idle_rss'), distributions: {}, verification: null });

    const peaks = new Map<string, number>();
    const sampler = setInterval(() => {
      for (const p of adapter.processes) {
        const m = p.memory();
        if (m) peaks.set(p.name, Math.max(peaks.get(p.name) ?? 0, m.rss));
      }
    }, 100);
    try {
      const { part } = await runBurst(adapter, ctx, 'diamond', ctx.sizes.w3Tasks, concurrency, { start: async () => undefined, keepRunning: true });
      result.parts.push({ ...part, part: 'peak RSS during W3', figures: { ...memoryFigures(adapter, 'peak_rss', peaks) } });
    } finally {
      clearInterval(sampler);
    }

    // A burst that ran out of time stopped the engine; growth needs it running.
    if (adapter.processes.length === 0) await adapter.startEngine({ concurrency, api: true });
    const n = ctx.sizes.growthTasks;
    const perTenK = (bytes: number) => Math.round((bytes * 10_000) / n);
    const first = await growth(adapter, ctx, n);
    const how = await retention(adapter);
    const afterRetention = await databaseSize(adapter);
    const second = await growth(adapter, ctx, n);
    const part: PartResult = {
      part: 'database growth per 10k finished diamond tasks',
      status: first.ok && second.ok ? 'ok' : 'timeout',
      figures: {
        growth_bytes_per_10k: perTenK(first.bytes),
        growth_bytes_per_10k_with_retention: perTenK(second.bytes),
        size_after_retention_bytes: afterRetention,
      },
      distributions: {},
      verification: null,
      note: `measured over ${n} tasks, scaled to 10k; retention: ${how}`,
    };
    result.parts.push(part);
  } catch (err) {
    result.error = err instanceof Error ? err.message : String(err);
  } finally {
    await adapter.close();
    await dbs.dropAll();
    result.durationMs = Date.now() - started;
  }
  return result;
}
