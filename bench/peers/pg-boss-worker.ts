/**
 * pg-boss worker process for the benchmark (run by child.ts). One queue, `bench`; every step of
 * every shape is a job on it (hand-chained, see chain.ts). Worker concurrency c = c work()
 * loops, pg-boss v10's way to run jobs at once ("each call to work() adds a new worker").
 *   default: `new PgBoss(url)` and work() with its defaults — one job per fetch, a fetch every
 *            2 s per loop (pollingIntervalSeconds 2, batchSize 1).
 *   tuned:   the knobs pg-boss documents for throughput — pollingIntervalSeconds 0.5 (its
 *            minimum), batchSize 100 (the handler runs a fetched batch concurrently and pg-boss
 *            completes it in one statement), and a pool of c + 5 connections (`max`).
 */
import PgBoss from 'pg-boss';
import type { ShapeSpec, Shape } from '../shapes.js';
import { runChainedStep, type ChainDeps, type StepJob } from './chain.js';
import type { PeerWorker, RecordStep } from './child.js';
import type { ChildSettings } from './worker-process.js';

export const QUEUE = 'bench';

/** The pg-boss constructor options of a configuration. */
export function bossOptions(settings: Pick<ChildSettings, 'config' | 'url' | 'concurrency'>): PgBoss.ConstructorOptions {
  return settings.config === 'tuned'
    ? { connectionString: settings.url, max: settings.concurrency + 5, application_name: 'bench-pg-boss-worker' }
    : { connectionString: settings.url, application_name: 'bench-pg-boss-worker' };
}

/** The work() options of a configuration. */
export function workOptions(config: ChildSettings['config']): PgBoss.WorkOptions {
  return config === 'tuned' ? { batchSize: 100, pollingIntervalSeconds: 0.5 } : {};
}

/** Starts c pg-boss workers on the bench queue. */
export async function startWorker(settings: ChildSettings, shapes: Record<Shape, ShapeSpec>, record: RecordStep): Promise<PeerWorker> {
  const boss = new PgBoss(bossOptions(settings));
  boss.on('error', (err) => process.stderr.write(`pg-boss error: ${err.message}\n`));
  await boss.start();
  const db = boss.getDb();
  const deps: ChainDeps = { shapes, record, query: (text, values) => db.executeSql(text, values) };
  const handler = async (jobs: PgBoss.Job<StepJob>[]): Promise<void> => {
    await Promise.all(
      jobs.map(async (job) => {
        const next = await runChainedStep(job.data, deps);
        if (next.length > 0) await boss.insert(next.map((data) => ({ name: QUEUE, data })));
      }),
    );
  };
  const options = workOptions(settings.config);
  for (let i = 0; i < settings.concurrency; i++) await boss.work<StepJob>(QUEUE, options, handler);
  return { stop: () => boss.stop({ graceful: true, wait: true, timeout: 20_000 }) };
}
