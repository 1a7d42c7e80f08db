/**
 * W2 — latency at idle. Workers run (and are warmed up by a few tasks); single-step tasks are
 * requested one at a time at a fixed low rate (one every `w2SpacingMs`, far below any system's
 * capacity, so no backlog forms). For each request:
 *   request → step start    = the handler's start − the moment before the request call;
 *   request → task complete = the moment the requester observed the task finished − the same.
 * "Observed" means the same for every system: the requester polls the system's own record of
 * the task every millisecond (a primary-key lookup), so the figure includes ≤ ~1 ms of polling.
 */
import { nowMs } from '../shapes.js';
import { distribution } from '../stats.js';
import { sleep, type SystemAdapter } from '../system.js';
import { collectAndVerify, waitFinished, type PartResult, type WorkloadContext } from './common.js';

const WARM_UP = 5;

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
    const outstanding = new Map<string, number>(); // handle → key
    let sending = true;
    const deadline = Date.now() + ctx.sizes.budgetMs;

    const poller = (async () => {
      while ((sending || outstanding.size > 0) && Date.now() < deadline) {
        if (outstanding.size > 0) {
          const done = await adapter.finishedHandles([...outstanding.keys()]);
          const at = nowMs();
          for (const h of done) {
            observedAt.set(outstanding.get(h)!, at);
            outstanding.delete(h);
          }
        }
        await sleep(1);
      }
    })();

    const start = nowMs();
    for (let i = 0; i < n && Date.now() < deadline && !ctx.signal?.aborted; i++) {
      const slot = start + i * ctx.sizes.w2SpacingMs;
      const wait = slot - nowMs();
      if (wait > 0) await sleep(wait);
      const k = keys[i]!;
      requestedAt.set(k, nowMs());
      const [handle] = await adapter.requestEach('one', [k]);
      outstanding.set(handle!, k);
    }
    sending = false;
    await poller;

    if (observedAt.size < n) {
      await adapter.stopWorkers();
      await adapter.discardPending();
      return [{
        part: 'idle latency',
        status: 'timeout',
        figures: {},
        distributions: {},
        verification: null,
        note: `${observedAt.size} of ${n} samples completed within the ${Math.round(ctx.sizes.budgetMs / 1000)} s budget`,
      }];
    }
    const { records, verdict } = await collectAndVerify(adapter, spec, keys);
    const toStart: number[] = [];
    const toComplete: number[] = [];
    for (const k of keys) {
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
      },
      distributions: { request_to_start_ms: startD, request_to_complete_ms: completeD },
      verification: verdict,
    }];
  } finally {
    await adapter.stopWorkers();
  }
}
