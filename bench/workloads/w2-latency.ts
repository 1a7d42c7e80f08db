/**
 * W2 — latency at idle. Workers run (warmed up by a few tasks); single-step tasks are requested
 * one at a time, each after the previous one has finished and a short pause (`w2PauseMs`), so
 * there is never a backlog. For each request:
 *   request → step start    = the handler's start − the moment before the request call;
 *   request → task complete = the moment the requester saw the task finished − the same.
 * "Saw" means the same for every system: the requester polls the system's own record of the
 * task every millisecond (a primary-key lookup), so the figure includes ≤ ~1 ms of polling.
 * Systems that poll slowly get two time budgets; if fewer than all samples are taken, the
 * figures cover those taken (at least MIN_SAMPLES, else the part times out).
 */
import { nowMs } from '../shapes.js';
import { distribution } from '../stats.js';
import { sleep, type SystemAdapter } from '../system.js';
import { collectAndVerify, waitFinished, type PartResult, type WorkloadContext } from './common.js';

const WARM_UP = 5;
const MIN_SAMPLES = 30;

/** Runs W2: one part with both distributions. */
export async function runW2(adapter: SystemAdapter, ctx: WorkloadContext): Promise<PartResult[]> {
  const spec = ctx.shapes.one;
  const n = ctx.sizes.w2Samples;
  await adapter.startWorkers(ctx.sizes.latencyConcurrency);
  try {
    const warm = ctx.keys(WARM_UP);
    const base = await adapter.finishedCount('one');
    await adapter.requestEach('one', warm);
    await waitFinished(adapter, 'one', base, WARM_UP, ctx);
    await adapter.systemProblems('one');

    const keys = ctx.keys(n);
    const requestedAt = new Map<number, number>();
    const observedAt = new Map<number, number>();
    const deadline = Date.now() + 2 * ctx.sizes.budgetMs;
    let pending: number | undefined;
    for (const k of keys) {
      if (Date.now() > deadline || ctx.signal?.aborted) break;
      requestedAt.set(k, nowMs());
      const [handle] = await adapter.requestEach('one', [k]);
      pending = k;
      while (Date.now() < deadline) {
        const done = await adapter.finishedHandles([handle!]);
        if (done.size > 0) {
          observedAt.set(k, nowMs());
          pending = undefined;
          break;
        }
        await sleep(1);
      }
      if (pending !== undefined) break;
      await sleep(ctx.sizes.w2PauseMs);
    }
    const sampled = keys.filter((k) => observedAt.has(k));
    if (sampled.length < Math.min(n, MIN_SAMPLES)) {
      await adapter.stopWorkers();
      await adapter.discardPending();
      return [{
        part: 'idle latency',
        status: 'timeout',
        figures: {},
        distributions: {},
        verification: null,
        note: `${sampled.length} of ${n} samples within ${Math.round((2 * ctx.sizes.budgetMs) / 1000)} s`,
      }];
    }
    if (pending !== undefined) {
      await adapter.stopWorkers();
      await adapter.discardPending();
    }
    const { records, verdict } = await collectAndVerify(adapter, spec, sampled);
    const toStart: number[] = [];
    const toComplete: number[] = [];
    for (const k of sampled) {
      const step = records.get(k)?.steps.get('only');
      if (step) toStart.push(step.s - requestedAt.get(k)!);
      toComplete.push(observedAt.get(k)! - requestedAt.get(k)!);
    }
    const startD = distribution(toStart);
    const completeD = distribution(toComplete);
    return [{
      part: 'idle latency',
      status: verdict.ok ? 'ok' : 'failed',
      figures: {
        start_p50_ms: startD.p50, start_p95_ms: startD.p95, start_p99_ms: startD.p99,
        complete_p50_ms: completeD.p50, complete_p95_ms: completeD.p95, complete_p99_ms: completeD.p99,
        samples: sampled.length,
      },
      distributions: { request_to_start_ms: startD, request_to_complete_ms: completeD },
      verification: verdict,
      ...(sampled.length < n ? { note: `${sampled.length} of ${n} samples within the time allowed (two budgets)` } : {}),
    }];
  } finally {
    await adapter.stopWorkers();
  }
}
