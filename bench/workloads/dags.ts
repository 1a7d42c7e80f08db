/**
 * The DAG workloads, each one verified burst (see runBurst):
 *   W3 — the diamond of ../shared/scenarios/diamond.yaml: tasks/s, steps/s, makespan p50/p95.
 *   W4 — a chain of `w4Steps` steps: steps/s and the per-step hand-off (parent's handler end →
 *        child's handler start) p50/p95 in a burst of `w4Tasks` chains (the hand-off there is
 *        mostly waiting behind other chains' steps), and the hand-off at idle: `w4IdleTasks`
 *        chains run one at a time, each requested once the previous one has finished.
 *   W5 — fan-out/fan-in 1 → `w5Width` → 1: tasks/s, steps/s, makespan, and the join wait (last
 *        child's handler end → join's handler start).
 */
import { distribution } from '../stats.js';
import type { SystemAdapter, TaskRecord } from '../system.js';
import type { ShapeSpec } from '../shapes.js';
import { collectAndVerify, runBurst, timeoutPart, waitFinished, type PartResult, type WorkloadContext } from './common.js';

/** Parent end → child start for every edge of every task (joins wait for their last parent). */
function handoffs(spec: ShapeSpec, records: Map<number, TaskRecord>): number[] {
  const out: number[] = [];
  for (const record of records.values()) {
    for (const step of spec.steps) {
      if (step.parents.length === 0) continue;
      const child = record.steps.get(step.name);
      const parentEnds = step.parents.map((p) => record.steps.get(p)?.e ?? Number.NaN);
      if (!child || parentEnds.some(Number.isNaN)) continue;
      out.push(child.s - Math.max(...parentEnds));
    }
  }
  return out;
}

/** Runs W3. */
export async function runW3(adapter: SystemAdapter, ctx: WorkloadContext): Promise<PartResult[]> {
  const { part } = await runBurst(adapter, ctx, 'diamond', ctx.sizes.w3Tasks, ctx.sizes.dagConcurrency);
  if (part.status === 'ok' || part.status === 'failed') {
    const m = part.distributions.makespan_ms!;
    part.figures.makespan_p50_ms = m.p50;
    part.figures.makespan_p95_ms = m.p95;
  }
  return [part];
}

/** Runs W4: the burst, then chains one at a time. */
export async function runW4(adapter: SystemAdapter, ctx: WorkloadContext): Promise<PartResult[]> {
  const { part, records } = await runBurst(adapter, ctx, 'chain', ctx.sizes.w4Tasks, ctx.sizes.dagConcurrency);
  if (part.status === 'ok' || part.status === 'failed') {
    const h = distribution(handoffs(ctx.shapes.chain, records));
    part.distributions.handoff_ms = h;
    part.figures.handoff_p50_ms = h.p50;
    part.figures.handoff_p95_ms = h.p95;
  }
  return [part, await idleChains(adapter, ctx)];
}

/** Chains requested one at a time (no backlog): the hand-off when nothing else is running. */
async function idleChains(adapter: SystemAdapter, ctx: WorkloadContext): Promise<PartResult> {
  const spec = ctx.shapes.chain;
  const name = 'chain at idle';
  const keys = ctx.keys(ctx.sizes.w4IdleTasks);
  await adapter.startWorkers(ctx.sizes.latencyConcurrency);
  try {
    const t0 = Date.now();
    for (const k of keys) {
      const base = await adapter.finishedCount('chain');
      await adapter.requestEach('chain', [k]);
      const wait = await waitFinished(adapter, 'chain', base, 1, ctx);
      if (!wait.done) return await timeoutPart(adapter, spec, name, keys, Date.now() - t0);
    }
    const { records, verdict } = await collectAndVerify(adapter, spec, keys);
    const h = distribution(handoffs(spec, records));
    return {
      part: name,
      status: verdict.ok ? 'ok' : 'failed',
      figures: { idle_handoff_p50_ms: h.p50, idle_handoff_p95_ms: h.p95 },
      distributions: { idle_handoff_ms: h },
      verification: verdict,
    };
  } finally {
    await adapter.stopWorkers();
  }
}

/** Runs W5. */
export async function runW5(adapter: SystemAdapter, ctx: WorkloadContext): Promise<PartResult[]> {
  const spec = ctx.shapes.fan;
  const { part, records } = await runBurst(adapter, ctx, 'fan', ctx.sizes.w5Tasks, ctx.sizes.dagConcurrency);
  if (part.status === 'ok' || part.status === 'failed') {
    const m = part.distributions.makespan_ms!;
    part.figures.makespan_p50_ms = m.p50;
    part.figures.makespan_p95_ms = m.p95;
    const joinStep = spec.steps[spec.steps.length - 1]!;
    const joinWaits: number[] = [];
    for (const r of records.values()) {
      const join = r.steps.get(joinStep.name);
      const ends = joinStep.parents.map((p) => r.steps.get(p)?.e ?? Number.NaN);
      if (join && !ends.some(Number.isNaN)) joinWaits.push(join.s - Math.max(...ends));
    }
    const j = distribution(joinWaits);
    part.distributions.join_wait_ms = j;
    part.figures.join_wait_p50_ms = j.p50;
  }
  return [part];
}
