/**
 * graphile-worker under test (the producer side; workers: graphile-worker-worker.ts). Tasks are
 * requested with WorkerUtils.addJob one by one or addJobs in bulk; steps are hand-chained jobs.
 * graphile-worker deletes a job when it completes and keeps no result, so a task is finished
 * when its final step's handler has run (recorded by the worker process) and its job is gone
 * from the jobs table; its finish time is that handler's end. (Payloads are read from
 * graphile_worker._private_jobs: the public jobs view does not show them. Every job in this
 * database is a bench_step job.)
 */
import { makeWorkerUtils, type WorkerUtils } from 'graphile-worker';
import pg from 'pg';
import type { ConfigName } from '../options.js';
import type { Shape, ShapeSpec } from '../shapes.js';
import { packageVersion, type SystemAdapter, type TaskRecord } from '../system.js';
import { JOIN_TABLE_SQL, rootJobs } from './chain.js';
import { quietLogger, TASK } from './graphile-worker-worker.js';
import { PeerAdapter } from './peer-adapter.js';

export class GraphileWorkerAdapter extends PeerAdapter implements SystemAdapter {
  readonly system = 'graphile-worker' as const;
  readonly version = packageVersion('graphile-worker');
  readonly bulkEnqueue = true;
  readonly dagMethod = 'hand-chained jobs (each step adds its children with helpers.addJobs; joins counted in an application table)';
  readonly description: string;
  private utils: WorkerUtils | undefined;
  /**
   * Our own pool for WorkerUtils: graphile-worker's release() ends a pool it made without
   * waiting, so a database dropped right after could kill a closing client with nobody
   * listening for its error (that crashed a CI run). This one is ended and awaited by close().
   */
  private pgPool: pg.Pool | undefined;
  private seenFailed = 0;

  constructor(config: ConfigName, database: string, url: string) {
    super(config, database, url, 'graphile-worker');
    this.description =
      config === 'tuned'
        ? 'run({ concurrency: c, maxPoolSize: c + 1, preset: { worker: { localQueue: { size: 500 }, completeJobBatchDelay: 0, failJobBatchDelay: 0 } } }) — the performance page’s configuration'
        : 'run({ concurrency: c }) with every other option at its default (pool 10, no local queue, no batched completion)';
  }

  private get workerUtils(): WorkerUtils {
    if (!this.utils) throw new Error('graphile-worker: setup() has not run');
    return this.utils;
  }

  async setup(shapes: Record<Shape, ShapeSpec>): Promise<void> {
    this.shapes = shapes;
    const pool = new pg.Pool({ connectionString: this.url, max: 4 });
    // Errors of idle or closing clients (a server restart, the database dropped): nothing to do.
    pool.on('error', () => undefined);
    pool.on('connect', (client) => client.on('error', () => undefined));
    this.pgPool = pool;
    this.utils = await makeWorkerUtils({ pgPool: pool, logger: quietLogger });
    await this.utils.migrate();
    await this.sql.unsafe(JOIN_TABLE_SQL);
  }

  async requestEach(shape: Shape, keys: number[]): Promise<string[]> {
    const spec = this.spec[shape];
    const ids: string[] = [];
    for (const k of keys) {
      for (const payload of rootJobs(spec, k)) ids.push(String((await this.workerUtils.addJob(TASK, payload)).id));
    }
    return ids;
  }

  async requestBulk(shape: Shape, keys: number[]): Promise<void> {
    const spec = this.spec[shape];
    const specs = keys.flatMap((k) => rootJobs(spec, k)).map((payload) => ({ identifier: TASK, payload }));
    const chunk = 5_000;
    for (let i = 0; i < specs.length; i += chunk) await this.workerUtils.addJobs(specs.slice(i, i + chunk));
  }

  /** Final-step jobs of the shape still in the jobs table, by key. */
  private async pendingFinals(shape: Shape, keys?: number[]): Promise<Set<number>> {
    const rows = await this.sql<{ k: number }[]>`
      select (payload ->> 'k')::int as k from graphile_worker._private_jobs
      where payload ->> 'sh' = ${shape} and payload ->> 'st' = any(${this.spec[shape].finals})
        ${keys ? this.sql`and (payload ->> 'k')::int in (select unnest(${keys}::int[]))` : this.sql``}`;
    return new Set(rows.map((r) => r.k));
  }

  async finishedCount(shape: Shape): Promise<number> {
    await this.drain();
    const ran = this.samples.finalsRun(shape, this.spec[shape].finals);
    const pending = await this.pendingFinals(shape);
    let n = 0;
    for (const k of ran) if (!pending.has(k)) n++;
    return n;
  }

  async finishedHandles(handles: string[]): Promise<Set<string>> {
    const rows = await this.sql<{ id: string }[]>`select id::text from graphile_worker._private_jobs where id = any(${handles}::bigint[])`;
    const present = new Set(rows.map((r) => r.id));
    return new Set(handles.filter((h) => !present.has(h)));
  }

  async collect(shape: Shape, keys: number[]): Promise<Map<number, TaskRecord>> {
    await this.drain();
    const pending = await this.pendingFinals(shape, keys);
    const ran = new Set(this.samples.finalsRun(shape, this.spec[shape].finals));
    const states = new Map(keys.map((k) => [k, { state: ran.has(k) && !pending.has(k) ? 'complete' : 'running', finishedAt: null }]));
    return this.recordsWith(shape, keys, states);
  }

  async discardPending(): Promise<void> {
    await this.sql`delete from graphile_worker._private_jobs`;
  }

  async systemProblems(shape: Shape, options: { unfinishedExpected?: boolean } = {}): Promise<string[]> {
    const [row] = await this.sql<{ failed: number; left: number }[]>`
      select count(*) filter (where last_error is not null)::int as failed,
             count(*) filter (where payload ->> 'sh' = ${shape})::int as left
      from graphile_worker._private_jobs`;
    const problems: string[] = [];
    if (row!.failed > this.seenFailed) problems.push(`${row!.failed - this.seenFailed} job attempts failed`);
    this.seenFailed = row!.failed;
    if (row!.left > 0 && !options.unfinishedExpected) problems.push(`${row!.left} jobs of finished tasks still in the jobs table`);
    return problems;
  }

  override async close(): Promise<void> {
    const utils = this.utils;
    const pool = this.pgPool;
    this.utils = undefined;
    this.pgPool = undefined;
    try {
      await super.close();
    } finally {
      try {
        await utils?.release();
      } finally {
        await pool?.end();
      }
    }
  }
}
