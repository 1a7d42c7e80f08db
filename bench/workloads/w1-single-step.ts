/**
 * W1 — single-step tasks. Enqueue N one by one (one request per round trip, requests/s, timed
 * over at most the time budget), then
 * process them with workers at the first concurrency (completions/s); enqueue N in one bulk
 * call, then process them at the second concurrency. Workers are stopped while enqueuing, so
 * enqueue and processing are measured apart. Completions/s runs from the first handler start
 * to the last task finished, so worker start-up is not counted.
 */
import { nowMs } from '../shapes.js';
import { maxOf, minOf, rate } from '../stats.js';
import type { SystemAdapter } from '../system.js';
import { collectAndVerify, finishOf, requestBurst, startOf, timeoutPart, waitFinished, type PartResult, type WorkloadContext } from './common.js';

async function processPass(adapter: SystemAdapter, ctx: WorkloadContext, keys: number[], concurrency: number, base: number): Promise<PartResult> {
  const spec = ctx.shapes.one;
  const part = `process at concurrency ${concurrency}`;
  await adapter.startWorkers(concurrency);
  try {
    const wait = await waitFinished(adapter, 'one', base, keys.length, ctx);
    if (!wait.done) return await timeoutPart(adapter, spec, part, keys, wait.elapsedMs);
    const { records, verdict } = await collectAndVerify(adapter, spec, keys);
    const recs = [...records.values()];
    const first = minOf(recs.map(startOf));
    const last = maxOf(recs.map((r) => finishOf(spec, r)));
    return {
      part,
      status: verdict.ok ? 'ok' : 'failed',
      figures: { [`complete_c${concurrency}_per_s`]: rate(keys.length, last - first) },
      distributions: {},
      verification: verdict,
    };
  } finally {
    await adapter.stopWorkers();
  }
}

/** Runs W1 and returns its four parts. */
export async function runW1(adapter: SystemAdapter, ctx: WorkloadContext): Promise<PartResult[]> {
  const n = ctx.sizes.w1Tasks;
  const [c1, c2] = ctx.sizes.w1Concurrency;
  const parts: PartResult[] = [];
  await adapter.stopWorkers();

  const single = ctx.keys(n);
  let base = await adapter.finishedCount('one');
  let t0 = nowMs();
  // One request per round trip, for at most the time budget; the rest is requested untimed.
  let timed = 0;
  while (timed < n && nowMs() - t0 < ctx.sizes.budgetMs) {
    const chunk = single.slice(timed, timed + 100);
    await adapter.requestEach('one', chunk);
    timed += chunk.length;
  }
  const enqueueMs = nowMs() - t0;
  if (timed < n) await requestBurst(adapter, 'one', single.slice(timed));
  parts.push({
    part: 'enqueue one by one',
    status: 'ok',
    figures: { enqueue_single_per_s: rate(timed, enqueueMs) },
    distributions: {},
    verification: null,
    note: timed < n ? `rate over the first ${timed} of ${n} requests (time budget); the rest requested untimed; checked by the processing pass` : 'checked by the processing pass',
  });
  parts.push(await processPass(adapter, ctx, single, c1, base));

  const bulk = ctx.keys(n);
  base = await adapter.finishedCount('one');
  if (adapter.bulkEnqueue) {
    t0 = nowMs();
    await adapter.requestBulk('one', bulk);
    parts.push({ part: 'enqueue in bulk', status: 'ok', figures: { enqueue_bulk_per_s: rate(n, nowMs() - t0) }, distributions: {}, verification: null, note: 'checked by the processing pass' });
  } else {
    await requestBurst(adapter, 'one', bulk);
    parts.push({ part: 'enqueue in bulk', status: 'n/a', figures: {}, distributions: {}, verification: null, note: 'no bulk enqueue API; requested by 10 concurrent callers (not timed)' });
  }
  parts.push(await processPass(adapter, ctx, bulk, c2, base));
  return parts;
}
