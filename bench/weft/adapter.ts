/**
 * weft under test. Tasks are requested through weft's SQL API (weft.request_task, one call per
 * task, or weft.request_tasks, one statement per 10000 tasks of a bulk request); orchestrators
 * and workers run as separate `weft` processes (real-world figures) or in this process (quick
 * mode); every figure and every check is read back from weft's own tables (tasks, steps).
 */
// graphile-migrate keeps an idle pool for 200 ms after a migration and ends the process if that
// pool sees an error (e.g. its database dropped): released right after migrating.
import { clearAllPools } from 'graphile-migrate/dist/pgReal.js';
import type { Sql } from '../../src/db/connection.js';
import { migrateDatabase } from '../../src/db/migrate.js';
import { requestTask } from '../../src/db/weft-api.js';
import { silentLogger } from '../../src/observability/logger.js';
import { Orchestrator } from '../../src/orchestrator/orchestrator.js';
import { Worker } from '../../src/worker/worker.js';
import type { ConfigName } from '../options.js';
import { openDatabase } from '../server.js';
import { inputFor, type Shape, type ShapeSpec, type StepResult } from '../shapes.js';
import type { StepRecord, SystemAdapter, TaskRecord } from '../system.js';
import { handlers } from './handlers.js';
import { startWeftProcess, waitConnected, type WeftProcess } from './processes.js';

export const NAMESPACE = 'bench';
/** Tasks per weft.request_tasks call of requestBulk (the function's limit). */
const BULK_CHUNK = 10_000;

export interface EngineLayout {
  concurrency: number;
  orchestrators?: number;
  workers?: number;
  /** Also start `weft api` (memory workload). */
  api?: boolean;
}

/** One row of the collect query. */
interface CollectRow {
  k: number;
  state: string;
  finished_ms: number | null;
  name: string;
  result: StepResult | null;
  attempt: number;
}

export class WeftAdapter implements SystemAdapter {
  readonly system = 'weft' as const;
  readonly config: ConfigName = 'default';
  readonly label = 'weft';
  readonly bulkEnqueue = true;
  readonly dagMethod = 'weft workflow (readiness computed in SQL)';
  readonly version: string;
  readonly description: string;
  /** The processes started by the last startWorkers (processes mode). */
  processes: WeftProcess[] = [];
  private sql: Sql | undefined;
  private readonly workflowIds = new Map<Shape, string>();
  private readonly workflowNames = new Map<Shape, string>();
  private seenProblems = { dead: 0, rejected: 0, failed: 0 };
  private inProcess: { orchestrators: Orchestrator[]; workers: Worker[]; pools: Sql[] } | undefined;

  constructor(
    readonly database: string,
    readonly url: string,
    readonly mode: 'processes' | 'in-process',
    version: string,
  ) {
    this.version = version;
    this.description =
      mode === 'processes'
        ? 'weft orchestrator and weft worker as separate processes, WEFT_ENV=production defaults (pool 10, worker batch 50, NOTIFY wake-ups); concurrency per workload'
        : 'orchestrator and worker in the benchmark process (quick mode), default settings; concurrency per workload';
  }

  private get db(): Sql {
    this.sql ??= openDatabase(this.url, 6, 'weft-bench');
    return this.sql;
  }

  async setup(shapes: Record<Shape, ShapeSpec>): Promise<void> {
    await migrateDatabase(this.url, silentLogger());
    clearAllPools();
    await this.register(shapes);
  }

  /** Registers the shapes as workflows of namespace `bench` (also after cloning a template). */
  async register(shapes: Record<Shape, ShapeSpec>): Promise<void> {
    for (const spec of Object.values(shapes)) {
      const definition = {
        namespace: NAMESPACE,
        name: spec.name,
        version: '1',
        steps: spec.steps.map((s) => ({ name: s.name, handler: s.handler, depends_on: s.parents })),
      };
      const [row] = await this.db<{ id: string }[]>`select weft.register_workflow(definition => ${this.db.json(definition)}) as id`;
      this.workflowIds.set(spec.shape, row!.id);
      this.workflowNames.set(spec.shape, spec.name);
    }
  }

  private workflowId(shape: Shape): string {
    const id = this.workflowIds.get(shape);
    if (!id) throw new Error(`shape ${shape} is not registered`);
    return id;
  }

  private nameOf(shape: Shape): string {
    const name = this.workflowNames.get(shape);
    if (!name) throw new Error(`shape ${shape} is not registered`);
    return name;
  }

  startWorkers(concurrency: number): Promise<void> {
    return this.startEngine({ concurrency });
  }

  /** Starts orchestrators, workers (and the API) in the configured mode. */
  async startEngine(layout: EngineLayout): Promise<void> {
    await this.stopWorkers();
    const orchestrators = layout.orchestrators ?? 1;
    const workers = layout.workers ?? 1;
    if (this.mode === 'in-process') {
      const logger = silentLogger();
      const pools: Sql[] = [];
      const pool = (max: number) => {
        const p = openDatabase(this.url, max, 'weft-bench-engine');
        pools.push(p);
        return p;
      };
      const orchs = Array.from({ length: orchestrators }, (_, i) => new Orchestrator({ sql: pool(4), logger, processorId: `bench-orch-${i}` }));
      const ws = Array.from({ length: workers }, (_, i) => {
        const w = new Worker({ sql: pool(10), logger, processorId: `bench-worker-${i}`, concurrency: layout.concurrency });
        for (const [name, fn] of Object.entries(handlers)) w.register(name, fn);
        return w;
      });
      for (const o of orchs) await o.start();
      for (const w of ws) await w.start();
      this.inProcess = { orchestrators: orchs, workers: ws, pools };
      return;
    }
    const started: WeftProcess[] = [];
    for (let i = 0; i < orchestrators; i++) {
      started.push(startWeftProcess('orchestrator', `bench-o${i}`, this.url, ['--processor-id', `bench-orch-${i}`]));
    }
    for (let i = 0; i < workers; i++) {
      started.push(startWeftProcess('worker', `bench-w${i}`, this.url, ['--concurrency', String(layout.concurrency), '--processor-id', `bench-worker-${i}`]));
    }
    if (layout.api) started.push(startWeftProcess('api', 'bench-a0', this.url, ['--host', '127.0.0.1', '--port', '0']));
    this.processes = started;
    await waitConnected(this.db, this.database, started);
  }

  async stopWorkers(): Promise<void> {
    const running = this.inProcess;
    this.inProcess = undefined;
    if (running) {
      await Promise.all(running.workers.map((w) => w.stop()));
      await Promise.all(running.orchestrators.map((o) => o.stop()));
      await Promise.all(running.pools.map((p) => p.end({ timeout: 5 })));
    }
    const procs = this.processes;
    this.processes = [];
    await Promise.all(procs.map((p) => p.stop()));
  }

  async requestEach(shape: Shape, keys: number[]): Promise<string[]> {
    const workflow = this.nameOf(shape);
    const ids: string[] = [];
    for (const k of keys) {
      ids.push(await requestTask(this.db, { namespace: NAMESPACE, workflow, context: { k, n: inputFor(k) }, requestedBy: 'bench' }));
    }
    return ids;
  }

  async requestBulk(shape: Shape, keys: number[]): Promise<void> {
    const workflow = this.nameOf(shape);
    // One statement per chunk (weft.request_tasks takes up to 10000 contexts): what a service
    // with only a Postgres connection would send. The contexts are those of requestEach.
    for (let start = 0; start < keys.length; start += BULK_CHUNK) {
      const chunk = keys.slice(start, start + BULK_CHUNK);
      await this.db`
        select count(*) from weft.request_tasks(
          namespace => ${NAMESPACE}, workflow_name => ${workflow},
          contexts => array(select jsonb_build_object('k', u.k, 'n', (u.k % 7) + 1)
                            from unnest(${chunk}::int[]) with ordinality as u (k, i) order by u.i),
          requested_by => 'bench')`;
    }
  }

  /**
   * Tasks finalized so far, from the orchestrators' own counters (one row per orchestrator:
   * cheap to poll, unlike counting a large tasks table). Workloads run one at a time and take
   * differences, so the count of every shape serves for each.
   */
  async finishedCount(_shape?: Shape): Promise<number> {
    return this.finalizedTotal();
  }

  /** Tasks finalized so far by every orchestrator (a cheap counter for very large backlogs). */
  async finalizedTotal(): Promise<number> {
    const [row] = await this.db<{ n: number }[]>`select coalesce(sum(tasks_finalized), 0)::int as n from weft.processor_stats`;
    return row!.n;
  }

  async finishedHandles(handles: string[]): Promise<Set<string>> {
    const rows = await this.db<{ task_id: string }[]>`
      select task_id from weft.tasks where task_id = any(${handles}::uuid[]) and state in ('complete', 'error', 'cancelled')`;
    return new Set(rows.map((r) => r.task_id));
  }

  async collect(shape: Shape, keys: number[]): Promise<Map<number, TaskRecord>> {
    const rows = await this.db<CollectRow[]>`
      select (t.context ->> 'k')::int as k, t.state::text as state,
             extract(epoch from t.finished_at)::float8 * 1000 as finished_ms,
             s.name, s.result, s.attempt
      from unnest(${keys}::int[]) as wanted(k)
      join weft.tasks t on (t.context ->> 'k')::int = wanted.k
      join weft.steps s on s.task_id = t.task_id
      where t.workflow_id = ${this.workflowId(shape)} and s.kind = 'step'`;
    return toRecords(rows);
  }

  /** The first `limit` tasks of a shape to finish, with their steps (scale workload). */
  async collectFirstFinished(shape: Shape, limit: number): Promise<Map<number, TaskRecord>> {
    const rows = await this.db<CollectRow[]>`
      with first as (
        select task_id from weft.tasks where workflow_id = ${this.workflowId(shape)} and state = 'complete'
        order by finished_at limit ${limit})
      select (t.context ->> 'k')::int as k, t.state::text as state,
             extract(epoch from t.finished_at)::float8 * 1000 as finished_ms, s.name, s.result, s.attempt
      from first f join weft.tasks t on t.task_id = f.task_id join weft.steps s on s.task_id = t.task_id`;
    return toRecords(rows);
  }

  /**
   * Abandoned work is deleted, not cancelled: cancelling thousands of tasks would leave the
   * orchestrator finalizing them during the next measurement.
   */
  async discardPending(): Promise<void> {
    await this.db.begin(async (tx) => {
      await tx`delete from weft.transitions tr using weft.tasks t
               where t.task_id = tr.task_id and t.state not in ('complete', 'error', 'cancelled', 'compensation_failed')`;
      await tx`delete from weft.tasks where state not in ('complete', 'error', 'cancelled', 'compensation_failed')`;
      await tx`select pgmq.purge_queue(${NAMESPACE})`;
    });
  }

  async systemProblems(): Promise<string[]> {
    const [row] = await this.db<{ dead: number; rejected: number; failed: number }[]>`
      select (select count(*)::int from weft.dead_letters) as dead,
             (select count(*)::int from weft.rejected_results) as rejected,
             (select count(*)::int from weft.steps where state = 'error') as failed`;
    // Counted since the previous check, so one bad measurement does not taint the next.
    const seen = this.seenProblems;
    this.seenProblems = { ...row! };
    const problems: string[] = [];
    if (row!.dead > seen.dead) problems.push(`${row!.dead - seen.dead} dead-lettered queue messages`);
    if (row!.rejected > seen.rejected) problems.push(`${row!.rejected - seen.rejected} rejected (stale or duplicate) step reports`);
    if (row!.failed > seen.failed) problems.push(`${row!.failed - seen.failed} steps failed`);
    return problems;
  }

  /** The pool on the benchmark database (for workload-specific queries). */
  get pool(): Sql {
    return this.db;
  }

  async close(): Promise<void> {
    await this.stopWorkers();
    await this.sql?.end({ timeout: 5 });
    this.sql = undefined;
  }
}

function toRecords(rows: CollectRow[]): Map<number, TaskRecord> {
  const out = new Map<number, TaskRecord>();
  for (const r of rows) {
    let rec = out.get(r.k);
    if (!rec) {
      rec = { key: r.k, state: r.state, finishedAt: r.finished_ms === null ? null : Number(r.finished_ms), steps: new Map() };
      out.set(r.k, rec);
    }
    if (r.result && typeof r.result === 'object') {
      const step: StepRecord = { v: r.result.v, s: r.result.s, e: r.result.e, runs: r.attempt };
      rec.steps.set(r.name, step);
    }
  }
  return out;
}
