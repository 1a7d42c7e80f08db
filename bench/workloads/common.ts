/**
 * What every workload shares: its context (sizes, shapes, unique task keys, logging), the
 * shape of its results, waiting for tasks to finish within the time budget, and the DAG burst
 * that W3, W4 and W5 are made of.
 */
import { checkInterrupted } from '../children.js';
import type { Sizes, WorkloadName } from '../options.js';
import { nowMs, type Shape, type ShapeSpec } from '../shapes.js';
import { distribution, maxOf, minOf, rate, type Distribution } from '../stats.js';
import { keyRange, sleep, type SystemAdapter, type TaskRecord } from '../system.js';
import { verifyTasks, type Verdict } from '../verify.js';

export type Status = 'ok' | 'failed' | 'timeout' | 'error' | 'n/a';

/** One measured part of a workload (W1 has four: two enqueues, two processing passes). */
export interface PartResult {
  part: string;
  status: Status;
  /** Named figures (rates per second, latencies in ms). */
  figures: Record<string, number>;
  distributions: Record<string, Distribution>;
  verification: Verdict | null;
  note?: string;
  /** Extra material for the report (e.g. the statements an idle process issues). */
  details?: unknown;
}

export interface WorkloadResult {
  workload: WorkloadName;
  system: string;
  config: string;
  label: string;
  /** Repetition number (1…runs). */
  run: number;
  parts: PartResult[];
  durationMs: number;
  error?: string;
}

export interface WorkloadContext {
  sizes: Sizes;
  /** Aborted by SIGINT/SIGTERM: long waits stop and the runner cleans up. */
  signal?: AbortSignal;
  shapes: Record<Shape, ShapeSpec>;
  log(line: string): void;
  /** Fresh task keys, never used before in this run. */
  keys(count: number): number[];
}

/** A key allocator: each workload gets its own keys, so tasks of different workloads never mix. */
export function keyAllocator(start = 1): (count: number) => number[] {
  let next = start;
  return (count) => {
    const keys = keyRange(next, count);
    next += count;
    return keys;
  };
}

/**
 * Polls until `count` more tasks of the shape have finished than `base`, or the budget runs out.
 */
export async function waitFinished(
  adapter: SystemAdapter,
  shape: Shape,
  base: number,
  count: number,
  ctx: WorkloadContext,
): Promise<{ done: boolean; finished: number; elapsedMs: number }> {
  const { sizes } = ctx;
  const started = Date.now();
  for (;;) {
    checkInterrupted(ctx.signal);
    const finished = (await adapter.finishedCount(shape)) - base;
    const elapsedMs = Date.now() - started;
    if (finished >= count) return { done: true, finished, elapsedMs };
    if (elapsedMs > sizes.budgetMs) return { done: false, finished, elapsedMs };
    await sleep(sizes.pollMs);
  }
}

/** Collects and verifies the tasks of keys; the verdict includes the system's own complaints. */
export async function collectAndVerify(adapter: SystemAdapter, spec: ShapeSpec, keys: number[]): Promise<{ records: Map<number, TaskRecord>; verdict: Verdict }> {
  const records = await adapter.collect(spec.shape, keys);
  const verdict = verifyTasks(spec, keys, records, await adapter.systemProblems(spec.shape));
  return { records, verdict };
}

/** When the task finished: the system's record, else the end of its last final step. */
export function finishOf(spec: ShapeSpec, record: TaskRecord): number {
  if (record.finishedAt !== null) return record.finishedAt;
  return maxOf(spec.finals.map((f) => record.steps.get(f)?.e ?? Number.NaN));
}

/** The first step start of a task. */
export function startOf(record: TaskRecord): number {
  return minOf([...record.steps.values()].map((s) => s.s));
}

/**
 * A part that ran out of time: the tasks that did finish are verified (a wrong one still fails
 * the part) and timed from their own timestamps (tasks/s); then the workers are stopped and
 * the rest of the work is thrown away so that it does not burden the next measurement.
 */
export async function timeoutPart(adapter: SystemAdapter, spec: ShapeSpec, part: string, keys: number[], elapsedMs: number): Promise<PartResult> {
  const all = await adapter.collect(spec.shape, keys);
  const done = new Map([...all].filter(([, r]) => r.state === 'complete'));
  const verdict = verifyTasks(spec, [...done.keys()], done, await adapter.systemProblems(spec.shape, { unfinishedExpected: true }));
  await adapter.stopWorkers();
  await adapter.discardPending();
  const recs = [...done.values()];
  const span = maxOf(recs.map((r) => finishOf(spec, r))) - minOf(recs.map(startOf));
  return {
    part,
    status: verdict.ok ? 'timeout' : 'failed',
    figures: {
      partial_per_s: recs.length > 1 ? rate(recs.length, span) : rate(recs.length, elapsedMs),
      partial_steps_per_s: recs.length > 1 ? rate(recs.length * spec.steps.length, span) : rate(recs.length * spec.steps.length, elapsedMs),
    },
    distributions: {},
    verification: verdict,
    note: `${done.size} of ${keys.length} tasks finished within the ${Math.round(elapsedMs / 1000)} s budget (those ${done.size} verified)`,
  };
}

/** Requests tasks the fastest way the system offers: one bulk call, else 10 concurrent callers. */
export async function requestBurst(adapter: SystemAdapter, shape: Shape, keys: number[]): Promise<void> {
  if (adapter.bulkEnqueue) {
    await adapter.requestBulk(shape, keys);
    return;
  }
  const lanes = 10;
  await Promise.all(
    Array.from({ length: lanes }, async (_, lane) => {
      for (let i = lane; i < keys.length; i += lanes) await adapter.requestEach(shape, [keys[i]!]);
    }),
  );
}

export interface BurstOutcome {
  part: PartResult;
  records: Map<number, TaskRecord>;
}

/**
 * A burst of `count` tasks of a shape with workers running at `concurrency`: tasks/s and
 * steps/s from the first request to the last task finished, per-task makespan (first step
 * start → task finished), verified.
 */
export async function runBurst(
  adapter: SystemAdapter,
  ctx: WorkloadContext,
  shape: Shape,
  count: number,
  concurrency: number,
  options: { start?: () => Promise<void>; keepRunning?: boolean } = {},
): Promise<BurstOutcome> {
  const spec = ctx.shapes[shape];
  await (options.start ? options.start() : adapter.startWorkers(concurrency));
  try {
    const keys = ctx.keys(count);
    const base = await adapter.finishedCount(shape);
    const t0 = nowMs();
    await requestBurst(adapter, shape, keys);
    const wait = await waitFinished(adapter, shape, base, count, ctx);
    if (!wait.done) return { part: await timeoutPart(adapter, spec, `${shape} burst`, keys, wait.elapsedMs), records: new Map() };
    const { records, verdict } = await collectAndVerify(adapter, spec, keys);
    const finishes = [...records.values()].map((r) => finishOf(spec, r));
    const last = maxOf(finishes);
    const makespans = [...records.values()].map((r) => finishOf(spec, r) - startOf(r));
    const part: PartResult = {
      part: `${shape} burst`,
      status: verdict.ok ? 'ok' : 'failed',
      figures: {
        tasks_per_s: rate(count, last - t0),
        steps_per_s: rate(count * spec.steps.length, last - t0),
      },
      distributions: { makespan_ms: distribution(makespans), request_to_finish_ms: distribution(finishes.map((f) => f - t0)) },
      verification: verdict,
    };
    return { part, records };
  } finally {
    if (!options.keepRunning) await adapter.stopWorkers();
  }
}
