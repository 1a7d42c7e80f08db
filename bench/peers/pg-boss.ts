/**
 * pg-boss under test (the producer side; workers: pg-boss-worker.ts). Tasks are requested with
 * send() one by one, or insert() in bulk; a task's steps are hand-chained jobs on one queue
 * (chain.ts). Completion is read from pgboss.job: a task is finished when its final step's job
 * is `completed` (completed_on is its finish time).
 */
import PgBoss from 'pg-boss';
import type { ConfigName } from '../options.js';
import type { Shape, ShapeSpec } from '../shapes.js';
import { packageVersion, type SystemAdapter, type TaskRecord } from '../system.js';
import { JOIN_TABLE_SQL, rootJobs } from './chain.js';
import { PeerAdapter } from './peer-adapter.js';
import { bossOptions, QUEUE, workOptions } from './pg-boss-worker.js';

export class PgBossAdapter extends PeerAdapter implements SystemAdapter {
  readonly system = 'pg-boss' as const;
  readonly version = packageVersion('pg-boss');
  readonly bulkEnqueue = true;
  readonly dagMethod = 'hand-chained jobs (each step enqueues its children; joins counted in an application table) — pg-boss 10 has no flows';
  readonly description: string;
  private boss: PgBoss | undefined;
  private seen = { failed: 0 };

  constructor(config: ConfigName, database: string, url: string) {
    super(config, database, url, 'pg-boss');
    const work = JSON.stringify(workOptions(config));
    this.description =
      config === 'tuned'
        ? `c work() loops with ${work}, pool max c + 5 (pg-boss's documented throughput knobs: batchSize, pollingIntervalSeconds ≥ 0.5)`
        : 'new PgBoss(url); c work() loops with the defaults (batchSize 1, a fetch every 2 s per loop)';
  }

  private get producer(): PgBoss {
    if (!this.boss) throw new Error('pg-boss: setup() has not run');
    return this.boss;
  }

  async setup(shapes: Record<Shape, ShapeSpec>): Promise<void> {
    this.shapes = shapes;
    // The producer only sends: no maintenance or cron in this process (the worker process runs them).
    this.boss = new PgBoss({ ...bossOptions({ config: this.config, url: this.url, concurrency: 5 }), supervise: false, schedule: false, application_name: 'bench-pg-boss-producer' });
    this.boss.on('error', () => undefined);
    await this.boss.start();
    await this.boss.createQueue(QUEUE);
    await this.sql.unsafe(JOIN_TABLE_SQL);
  }

  async requestEach(shape: Shape, keys: number[]): Promise<string[]> {
    const spec = this.spec[shape];
    const ids: string[] = [];
    for (const k of keys) {
      for (const job of rootJobs(spec, k)) {
        const id = await this.producer.send(QUEUE, job);
        if (!id) throw new Error('pg-boss send() returned no id');
        ids.push(id);
      }
    }
    return ids;
  }

  async requestBulk(shape: Shape, keys: number[]): Promise<void> {
    const spec = this.spec[shape];
    const chunk = 5_000;
    const jobs = keys.flatMap((k) => rootJobs(spec, k)).map((data) => ({ name: QUEUE, data }));
    for (let i = 0; i < jobs.length; i += chunk) await this.producer.insert(jobs.slice(i, i + chunk));
  }

  async finishedCount(shape: Shape): Promise<number> {
    const [row] = await this.sql<{ n: number }[]>`
      select count(*)::int as n from pgboss.job
      where name = ${QUEUE} and state = 'completed' and data ->> 'sh' = ${shape} and data ->> 'st' = any(${this.spec[shape].finals})`;
    return row!.n;
  }

  async finishedHandles(handles: string[]): Promise<Set<string>> {
    const rows = await this.sql<{ id: string }[]>`
      select id::text from pgboss.job where name = ${QUEUE} and id = any(${handles}::uuid[]) and state in ('completed', 'failed')`;
    return new Set(rows.map((r) => r.id));
  }

  async collect(shape: Shape, keys: number[]): Promise<Map<number, TaskRecord>> {
    const rows = await this.sql<{ k: number; state: string; finished_ms: number | null }[]>`
      select (j.data ->> 'k')::int as k, j.state::text, extract(epoch from j.completed_on)::float8 * 1000 as finished_ms
      from unnest(${keys}::int[]) as wanted(k)
      join pgboss.job j on (j.data ->> 'k')::int = wanted.k
      where j.name = ${QUEUE} and j.data ->> 'sh' = ${shape} and j.data ->> 'st' = any(${this.spec[shape].finals})`;
    const states = new Map(rows.map((r) => [r.k, { state: r.state === 'completed' ? 'complete' : r.state, finishedAt: r.finished_ms === null ? null : Number(r.finished_ms) }]));
    return this.recordsWith(shape, keys, states);
  }

  async discardPending(): Promise<void> {
    await this.sql`delete from pgboss.job where name = ${QUEUE} and state in ('created', 'retry', 'active')`;
  }

  async systemProblems(shape: Shape, options: { unfinishedExpected?: boolean } = {}): Promise<string[]> {
    const [row] = await this.sql<{ failed: number; left: number }[]>`
      select count(*) filter (where state = 'failed')::int as failed,
             count(*) filter (where state in ('created', 'retry', 'active') and data ->> 'sh' = ${shape})::int as left
      from pgboss.job where name = ${QUEUE}`;
    const problems: string[] = [];
    if (row!.failed > this.seen.failed) problems.push(`${row!.failed - this.seen.failed} jobs failed`);
    this.seen.failed = row!.failed;
    if (row!.left > 0 && !options.unfinishedExpected) problems.push(`${row!.left} jobs of finished tasks still queued or active`);
    return problems;
  }

  override async close(): Promise<void> {
    const boss = this.boss;
    this.boss = undefined;
    try {
      await super.close();
    } finally {
      await boss?.stop({ graceful: false, wait: true }).catch(() => undefined);
    }
  }
}
