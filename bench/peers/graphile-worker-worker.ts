/**
 * graphile-worker worker process for the benchmark (run by child.ts): one task, `bench_step`,
 * runs every step of every shape and chains the next steps with helpers.addJobs (chain.ts).
 *   default: run({ concurrency: c }) — everything else graphile-worker's defaults (pool of 10,
 *            a job fetched per free slot, LISTEN/NOTIFY for new jobs).
 *   tuned:   the configuration of graphile-worker's performance page ("Quick stats"):
 *            localQueue { size: 500 }, completeJobBatchDelay 0, failJobBatchDelay 0, and a pool
 *            of c + 1 connections (maxPoolSize, as its 24 jobs / 25 connections example).
 */
import { Logger } from '@graphile/logger';
import { run, type RunnerOptions, type TaskList } from 'graphile-worker';
import type { Shape, ShapeSpec } from '../shapes.js';
import { runChainedStep, type StepJob } from './chain.js';
import type { PeerWorker, RecordStep } from './child.js';
import type { ChildSettings } from './worker-process.js';

export const TASK = 'bench_step';

/** graphile-worker's log lines, except errors, are dropped (they would only fill a pipe). */
export const quietLogger = new Logger(() => (level, message) => {
  if (level === 'error') process.stderr.write(`graphile-worker: ${message}\n`);
});

/** The runner options of a configuration. */
export function runnerOptions(settings: ChildSettings, taskList: TaskList): RunnerOptions {
  const base: RunnerOptions = { connectionString: settings.url, concurrency: settings.concurrency, noHandleSignals: true, taskList, logger: quietLogger };
  if (settings.config !== 'tuned') return base;
  return {
    ...base,
    maxPoolSize: settings.concurrency + 1,
    preset: { worker: { localQueue: { size: 500 }, completeJobBatchDelay: 0, failJobBatchDelay: 0 } },
  };
}

/** Starts a graphile-worker runner with the bench task. */
export async function startWorker(settings: ChildSettings, shapes: Record<Shape, ShapeSpec>, record: RecordStep): Promise<PeerWorker> {
  const taskList: TaskList = {
    [TASK]: async (payload, helpers) => {
      const next = await runChainedStep(payload as StepJob, { shapes, record, query: (text, values) => helpers.query(text, values) });
      if (next.length > 0) await helpers.addJobs(next.map((p) => ({ identifier: TASK, payload: p })));
    },
  };
  const runner = await run(runnerOptions(settings, taskList));
  return { stop: () => runner.stop() };
}
