/**
 * Soak (weft only). `weft orchestrator`, `weft worker` and `weft api` run as separate processes
 * of the compiled build (in quick mode too, as in the memory workload) while diamond tasks are
 * requested at a steady rate for `soakMs` (`soakTasksPerS`, in bulk calls every 200 ms). The
 * resident memory of every process is read from /proc every `soakSampleMs`. Figures per process:
 * RSS at the start and at the end, the peak (highest sample, or VmHWM when higher) and the
 * slope: least-squares MB per minute over the samples of the second half of the run, after the
 * warm-up — a process that leaks shows a positive slope. At the end every requested task must
 * finish within the time budget and verify; otherwise the part fails. The samples are in the
 * part's details.
 *
 * Retention is not run during the soak: it would delete the finished tasks the verification
 * reads back.
 */
import { checkInterrupted } from '../children.js';
import type { BenchOptions } from '../options.js';
import type { BenchServer } from '../server.js';
import { nowMs } from '../shapes.js';
import { maxOf, rate } from '../stats.js';
import { sleep } from '../system.js';
import type { WeftAdapter } from '../weft/adapter.js';
import { collectAndVerify, finishOf, timeoutPart, waitFinished, type PartResult, type WorkloadContext, type WorkloadResult } from './common.js';
import { weftDatabases } from './scale.js';

const MB = 1024 * 1024;
/** Requests are sent in small bulk calls this often (ms). */
const CHUNK_MS = 200;

/** RSS samples of one process: seconds since the start of the soak, MB. */
interface Samples {
  role: string;
  t: number[];
  mb: number[];
  /** Highest VmHWM read (bytes). */
  hwm: number;
}

const round1 = (x: number) => Math.round(x * 10) / 10;

/** Least-squares slope of y over x (y units per x unit); NaN with fewer than two distinct x. */
export function slope(x: number[], y: number[]): number {
  const n = Math.min(x.length, y.length);
  if (n < 2) return Number.NaN;
  let mx = 0;
  let my = 0;
  for (let i = 0; i < n; i++) {
    mx += x[i]!;
    my += y[i]!;
  }
  mx /= n;
  my /= n;
  let sxy = 0;
  let sxx = 0;
  for (let i = 0; i < n; i++) {
    sxy += (x[i]! - mx) * (y[i]! - my);
    sxx += (x[i]! - mx) ** 2;
  }
  return sxx > 0 ? sxy / sxx : Number.NaN;
}

function sample(adapter: WeftAdapter, samples: Map<string, Samples>, t0: number): void {
  const t = (nowMs() - t0) / 1000;
  for (const p of adapter.processes) {
    const m = p.memory();
    if (!m) continue;
    let s = samples.get(p.name);
    if (!s) {
      s = { role: p.role, t: [], mb: [], hwm: 0 };
      samples.set(p.name, s);
    }
    s.t.push(Math.round(t * 10) / 10);
    s.mb.push(round1(m.rss / MB));
    s.hwm = Math.max(s.hwm, m.peak);
  }
}

/** Per process: RSS at start and end, peak, slope over the second half (MB/min). */
function soakFigures(samples: Map<string, Samples>, halfS: number): Record<string, number> {
  const figures: Record<string, number> = {};
  for (const s of samples.values()) {
    const late = s.t.map((t, i) => [t, s.mb[i]!] as const).filter(([t]) => t >= halfS);
    figures[`${s.role}_rss_start_mb`] = s.mb[0]!;
    figures[`${s.role}_rss_end_mb`] = s.mb[s.mb.length - 1]!;
    figures[`${s.role}_rss_peak_mb`] = round1(Math.max(maxOf(s.mb), s.hwm / MB));
    figures[`${s.role}_slope_mb_per_min`] = Math.round(slope(late.map(([t]) => t / 60), late.map(([, mb]) => mb)) * 100) / 100 + 0; // + 0: no -0
  }
  return figures;
}

/** Runs the soak workload. */
export async function runSoak(server: BenchServer, options: BenchOptions, ctx: WorkloadContext): Promise<WorkloadResult> {
  const started = Date.now();
  const result: WorkloadResult = { workload: 'soak', system: 'weft', config: 'default', label: 'weft', run: 1, parts: [], durationMs: 0 };
  const dbs = await weftDatabases(server, options, ctx, 'soak');
  const adapter = await dbs.fresh('soak', 'processes');
  const { soakMs, soakTasksPerS, soakSampleMs } = ctx.sizes;
  const spec = ctx.shapes.diamond;
  const partName = `RSS over ${Math.round(soakMs / 1000)} s of diamond tasks at ${soakTasksPerS}/s`;
  try {
    await adapter.startEngine({ concurrency: ctx.sizes.dagConcurrency, api: true });
    const samples = new Map<string, Samples>();
    const keys: number[] = [];
    const base = await adapter.finishedCount('diamond');
    const t0 = nowMs();
    sample(adapter, samples, t0);
    const sampler = setInterval(() => sample(adapter, samples, t0), soakSampleMs);
    let nextLog = 60_000;
    try {
      // Paced on the clock: each call requests what the rate owes so far, so a slow call is
      // caught up by the next one rather than lowering the rate.
      for (let elapsed = 0; elapsed < soakMs; elapsed = nowMs() - t0) {
        checkInterrupted(ctx.signal);
        const owed = Math.floor((Math.min(elapsed + CHUNK_MS, soakMs) * soakTasksPerS) / 1000) - keys.length;
        if (owed > 0) {
          const chunk = ctx.keys(owed);
          await adapter.requestBulk('diamond', chunk);
          keys.push(...chunk);
        }
        if (elapsed >= nextLog) {
          const finished = (await adapter.finishedCount('diamond')) - base;
          const rss = [...samples.values()].map((s) => `${s.role} ${s.mb[s.mb.length - 1]} MB`).join(', ');
          ctx.log(`  soak ${Math.round(elapsed / 1000)} s: ${keys.length} requested, ${finished} finished; RSS ${rss}`);
          nextLog += 60_000;
        }
        const wait = CHUNK_MS - ((nowMs() - t0) % CHUNK_MS);
        await sleep(Math.min(wait, Math.max(0, soakMs - (nowMs() - t0))));
      }
      sample(adapter, samples, t0);
    } finally {
      clearInterval(sampler);
    }
    const requestedMs = nowMs() - t0;
    const figures = soakFigures(samples, soakMs / 2000);
    const details = {
      sample_every_ms: soakSampleMs,
      slope_from_s: soakMs / 2000,
      samples: Object.fromEntries([...samples.values()].map((s) => [s.role, { t_s: s.t, rss_mb: s.mb }])),
    };

    const wait = await waitFinished(adapter, 'diamond', base, keys.length, ctx);
    let part: PartResult;
    if (!wait.done) {
      const partial = await timeoutPart(adapter, spec, partName, keys, wait.elapsedMs);
      const problem = `only ${wait.finished} of ${keys.length} requested tasks finished within the ${Math.round(wait.elapsedMs / 1000)} s budget after the soak`;
      const verification = partial.verification && { ...partial.verification, ok: false, problems: [problem, ...partial.verification.problems], problemCount: partial.verification.problemCount + 1 };
      part = { ...partial, status: 'failed', verification, figures: { ...figures, tasks_requested: keys.length, ...partial.figures }, details };
    } else {
      const { records, verdict } = await collectAndVerify(adapter, spec, keys);
      const last = maxOf([...records.values()].map((r) => finishOf(spec, r)));
      part = {
        part: partName,
        status: verdict.ok ? 'ok' : 'failed',
        figures: { ...figures, tasks_requested: keys.length, tasks_per_s: rate(keys.length, last - t0) },
        distributions: {},
        verification: verdict,
        note: `requests for ${Math.round(requestedMs / 1000)} s, RSS sampled every ${soakSampleMs / 1000} s, slope over the samples from ${soakMs / 2000} s on; tasks_per_s from the first request to the last task finished`,
        details,
      };
    }
    result.parts.push(part);
  } catch (err) {
    result.error = err instanceof Error ? err.message : String(err);
  } finally {
    await adapter.close();
    await dbs.dropAll();
    result.durationMs = Date.now() - started;
  }
  return result;
}
