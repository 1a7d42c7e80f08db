/**
 * What a benchmark run is asked to do: which systems, which workloads, at which sizes. The full
 * sizes are the issue's; quick mode (`weft bench --quick`, run in CI) uses small sizes that
 * still exercise every workload and its correctness check, with no timing assertions.
 */

export const SYSTEMS = ['weft', 'graphile-worker', 'pg-boss', 'dbos'] as const;
export type SystemName = (typeof SYSTEMS)[number];

/** `default`: the system as installed; `tuned`: the best-throughput settings its docs describe. */
export const CONFIGS = ['default', 'tuned'] as const;
export type ConfigName = (typeof CONFIGS)[number];

export const WORKLOADS = ['W1', 'W2', 'W3', 'W4', 'W5', 'scale', 'memory', 'soak'] as const;
export type WorkloadName = (typeof WORKLOADS)[number];

/** Workloads that run against weft only (they measure weft's own processes and tables). */
export const WEFT_ONLY_WORKLOADS: ReadonlySet<WorkloadName> = new Set(['scale', 'memory', 'soak']);

export interface Sizes {
  /** W1: tasks enqueued one by one, then the same number in bulk. */
  w1Tasks: number;
  /** W1: worker concurrency for the first and the second processing pass. */
  w1Concurrency: [number, number];
  /** W2: latency samples, and the pause between one sample's completion and the next request (ms). */
  w2Samples: number;
  w2PauseMs: number;
  /** W3: diamond tasks in one burst. */
  w3Tasks: number;
  /** W4: chain tasks and steps per chain; chains run one at a time for the hand-off at idle. */
  w4Tasks: number;
  w4Steps: number;
  w4IdleTasks: number;
  /** W5: fan-out/fan-in tasks and the width of the fan. */
  w5Tasks: number;
  w5Width: number;
  /** Worker concurrency of W2 and of W3–W5. */
  latencyConcurrency: number;
  dagConcurrency: number;
  /** Scale: the small and the large backlog, and how many tasks of each are timed. */
  scaleSmallBacklog: number;
  scaleLargeBacklog: number;
  scaleTimedTasks: number;
  /** Scale: the orchestrator counts compared on a W3 burst (and the burst's size). */
  scaleOrchestrators: [number, number];
  scaleBurstTasks: number;
  /** Scale: how long an idle orchestrator / worker is watched (ms). */
  idleWindowMs: number;
  /** Memory: how long processes sit idle before their RSS is read (ms); finished tasks per growth sample. */
  memoryIdleMs: number;
  growthTasks: number;
  /** Soak: how long diamond tasks are requested at a steady rate (ms), the rate (tasks/s), how often RSS is sampled (ms). */
  soakMs: number;
  soakTasksPerS: number;
  soakSampleMs: number;
  /** Longest time one measurement may take before it is reported as timed out (ms). */
  budgetMs: number;
  /** How often progress is polled (ms). */
  pollMs: number;
}

export const FULL_SIZES: Sizes = {
  w1Tasks: 20_000,
  w1Concurrency: [10, 50],
  w2Samples: 300,
  w2PauseMs: 20,
  w3Tasks: 2_000,
  w4Tasks: 200,
  w4Steps: 20,
  w4IdleTasks: 10,
  w5Tasks: 50,
  w5Width: 100,
  latencyConcurrency: 10,
  dagConcurrency: 50,
  scaleSmallBacklog: 10_000,
  scaleLargeBacklog: 1_000_000,
  scaleTimedTasks: 10_000,
  scaleOrchestrators: [1, 4],
  scaleBurstTasks: 2_000,
  idleWindowMs: 20_000,
  memoryIdleMs: 10_000,
  growthTasks: 1_000,
  soakMs: 600_000,
  soakTasksPerS: 100,
  soakSampleMs: 5_000,
  budgetMs: 60_000,
  pollMs: 500,
};

export const QUICK_SIZES: Sizes = {
  w1Tasks: 100,
  w1Concurrency: [10, 50],
  w2Samples: 20,
  w2PauseMs: 5,
  w3Tasks: 30,
  w4Tasks: 5,
  w4Steps: 20,
  w4IdleTasks: 2,
  w5Tasks: 2,
  w5Width: 100,
  latencyConcurrency: 10,
  dagConcurrency: 50,
  scaleSmallBacklog: 50,
  scaleLargeBacklog: 500,
  scaleTimedTasks: 50,
  scaleOrchestrators: [1, 2],
  scaleBurstTasks: 20,
  idleWindowMs: 1_000,
  memoryIdleMs: 500,
  growthTasks: 50,
  soakMs: 20_000,
  soakTasksPerS: 20,
  soakSampleMs: 1_000,
  budgetMs: 60_000,
  pollMs: 25,
};

export interface BenchOptions {
  quick: boolean;
  /** Workloads to run (default: all). */
  only: WorkloadName[];
  systems: SystemName[];
  configs: ConfigName[];
  /** Server URL (any database on it); unset: start an embedded PostgreSQL. */
  databaseUrl: string | undefined;
  /** Folder for the JSON results. */
  outDir: string;
  /** Repetitions of the headline workloads W1, W3, W4 (full mode). */
  runs: number;
  /** Keep the benchmark databases afterwards (for inspection). */
  keep: boolean;
  /** How weft's orchestrator and workers run: separate OS processes (real-world) or in this process. */
  weftMode: 'processes' | 'in-process';
  /** Prefix of the databases created (so concurrent runs do not collide). */
  databasePrefix: string;
  sizes: Sizes;
  /** Aborted by SIGINT/SIGTERM. */
  signal?: AbortSignal;
}

/** Parses a comma-separated list against the allowed values; throws one sentence on a bad name. */
export function parseList<T extends string>(value: string | undefined, allowed: readonly T[], what: string): T[] {
  if (value === undefined || value.trim() === '') return [...allowed];
  const names = value.split(',').map((s) => s.trim()).filter((s) => s !== '');
  const byLower = new Map(allowed.map((a) => [a.toLowerCase(), a]));
  const out: T[] = [];
  for (const name of names) {
    const found = byLower.get(name.toLowerCase());
    if (!found) throw new Error(`Unknown ${what} ${JSON.stringify(name)}; choose from ${allowed.join(', ')}.`);
    if (!out.includes(found)) out.push(found);
  }
  return out;
}
