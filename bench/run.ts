/**
 * The benchmark runner behind `weft bench` and `npm run bench`: one PostgreSQL, one database per
 * system and configuration, every selected workload against every selected system, each
 * verified; then the tables on stdout and the JSON under bench/results/.
 */
import { cpus, loadavg, release, totalmem, type } from 'node:os';
import { join, resolve } from 'node:path';
import { packageRoot } from '../src/db/paths.js';
import {
  CONFIGS, FULL_SIZES, parseList, QUICK_SIZES, SYSTEMS, WEFT_ONLY_WORKLOADS, WORKLOADS,
  type BenchOptions, type ConfigName, type SystemName, type WorkloadName,
} from './options.js';
import { comparisonTable, renderText, weftOnlyTable, writeReport, type BenchReport, type SystemInfo } from './report.js';
import { openServer, type BenchServer } from './server.js';
import { shapes as buildShapes, type Shape, type ShapeSpec } from './shapes.js';
import { checkInterrupted } from './children.js';
import { packageVersion, type SystemAdapter } from './system.js';
import { WeftAdapter } from './weft/adapter.js';
import { prepareWeftBuild, removeWeftBuild } from './weft/processes.js';
import { keyAllocator, type PartResult, type WorkloadContext, type WorkloadResult } from './workloads/common.js';
import { runW3, runW4, runW5 } from './workloads/dags.js';
import { runW1 } from './workloads/w1-single-step.js';
import { runW2 } from './workloads/w2-latency.js';
import { runMemory } from './workloads/memory.js';
import { runScale } from './workloads/scale.js';
import { runSoak } from './workloads/soak.js';

type Runner = (adapter: SystemAdapter, ctx: WorkloadContext) => Promise<PartResult[]>;
const RUNNERS: Partial<Record<WorkloadName, Runner>> = { W1: runW1, W2: runW2, W3: runW3, W4: runW4, W5: runW5 };
const HEADLINE: ReadonlySet<WorkloadName> = new Set(['W1', 'W3', 'W4']);

/** Creates the adapter of a peer (loaded on demand: the peers are dev dependencies). */
async function peerAdapter(system: Exclude<SystemName, 'weft'>, config: ConfigName, database: string, url: string): Promise<SystemAdapter> {
  switch (system) {
    case 'pg-boss':
      return new (await import('./peers/pg-boss.js')).PgBossAdapter(config, database, url);
    case 'graphile-worker':
      return new (await import('./peers/graphile-worker.js')).GraphileWorkerAdapter(config, database, url);
    case 'dbos':
      return new (await import('./peers/dbos.js')).DbosAdapter(config, database, url);
  }
}

function dbName(prefix: string, system: string, config: string): string {
  return `${prefix}_${system}_${config}`.replace(/[^a-z0-9_]/gi, '_').toLowerCase();
}

async function runOne(adapter: SystemAdapter, workload: WorkloadName, run: number, ctx: WorkloadContext, runner: Runner): Promise<WorkloadResult> {
  const started = Date.now();
  const base = { workload, system: adapter.system, config: adapter.config, label: adapter.label, run };
  try {
    const parts = await runner(adapter, ctx);
    return { ...base, parts, durationMs: Date.now() - started };
  } catch (err) {
    await adapter.stopWorkers().catch(() => undefined);
    await adapter.discardPending().catch(() => undefined);
    const message = err instanceof Error ? err.message : String(err);
    return { ...base, parts: [], durationMs: Date.now() - started, error: message.split('\n').slice(0, 6).join('\n') };
  }
}

function summary(result: WorkloadResult): string {
  if (result.error) return `${result.label} ${result.workload}: ERROR ${result.error.split('\n')[0]}`;
  const parts = result.parts.map((p) => {
    const figs = Object.entries(p.figures).map(([k, v]) => `${k}=${Math.round(v * 100) / 100}`).join(' ');
    const check = p.verification ? (p.verification.ok ? ' verified' : ` FAILED: ${p.verification.problems[0] ?? ''}`) : '';
    return `${p.part}: ${p.status}${figs ? ' ' + figs : ''}${check}${p.note && p.status !== 'ok' ? ` (${p.note})` : ''}`;
  });
  return `${result.label} ${result.workload} (${Math.round(result.durationMs / 1000)} s): ${parts.join('; ')}`;
}

/**
 * Runs the benchmark and returns its report (also written to disk and printed).
 *
 * @example const report = await runBench(options, (l) => console.error(l));
 */
export async function runBench(options: BenchOptions, log: (line: string) => void, command: string): Promise<BenchReport> {
  const startedAt = new Date().toISOString();
  const loadAtStart = loadavg();
  const sizes = options.sizes;
  const shapes: Record<Shape, ShapeSpec> = buildShapes(sizes.w4Steps, sizes.w5Width);
  const server: BenchServer = await openServer(options.databaseUrl, log);
  const results: WorkloadResult[] = [];
  const systems: SystemInfo[] = [];
  const notes: string[] = [];
  let profile: unknown = null;
  const keys = keyAllocator();
  const ctx: WorkloadContext = { sizes, shapes, log, keys, signal: options.signal };
  try {
    log(`PostgreSQL: ${server.info.version.split(',')[0]} (${server.info.kind}); pg_stat_statements ${server.info.pgStatStatements ? 'on' : 'not available'}`);
    log(`host: ${cpus().length} CPUs, load average ${loadAtStart.map((l) => l.toFixed(1)).join(' ')}`);
    if (loadAtStart[0]! > cpus().length) notes.push(`The machine was busy when the run started (1-minute load average ${loadAtStart[0]!.toFixed(1)} on ${cpus().length} CPUs): figures are lower than on an idle machine.`);
    if (!server.info.pgStatStatements) notes.push('pg_stat_statements is not preloaded on this server: no statement profile, idle queries counted as transactions (pg_stat_database).');
    const comparative = options.only.filter((w) => !WEFT_ONLY_WORKLOADS.has(w));
    // weft's own processes (processes mode; scale, memory and soak always) run the compiled build.
    const weftProcesses = options.systems.includes('weft') && (options.weftMode === 'processes' || options.only.some((w) => WEFT_ONLY_WORKLOADS.has(w)));
    if (weftProcesses) notes.push(await prepareWeftBuild(log));
    for (const system of options.systems) {
      const configs: ConfigName[] = system === 'weft' ? ['default'] : options.configs;
      for (const config of configs) {
        const database = dbName(options.databasePrefix, system, config);
        const url = await server.createDatabase(database);
        const adapter = system === 'weft' ? new WeftAdapter(database, url, options.weftMode, packageVersion('weft')) : await peerAdapter(system, config, database, url);
        systems.push({ label: adapter.label, system, config, version: adapter.version, description: adapter.description, dagMethod: adapter.dagMethod });
        try {
          log(`== ${adapter.label}: setting up ${database}`);
          await adapter.setup(shapes);
          for (const workload of comparative) {
            const runs = HEADLINE.has(workload) && !options.quick ? options.runs : 1;
            for (let run = 1; run <= runs; run++) {
              checkInterrupted(options.signal);
              const result = await runOne(adapter, workload, run, ctx, RUNNERS[workload]!);
              results.push(result);
              log(summary(result));
              // A repeat cannot change a measurement that ran out of time: one is enough.
              if (result.parts.some((p) => p.status === 'timeout')) break;
            }
          }
          if (adapter instanceof WeftAdapter && comparative.includes('W3') && server.info.pgStatStatements && server.info.kind === 'embedded') {
            profile = await profileW3(server, adapter, ctx, log);
          }
        } finally {
          await adapter.close().catch((err: unknown) => log(`closing ${adapter.label} failed: ${String(err)}`));
          if (!options.keep) await server.dropDatabase(database);
        }
      }
    }
    if (options.systems.includes('weft')) {
      if (options.only.includes('scale')) {
        const result = await runScale(server, options, ctx);
        results.push(result);
        log(summary(result));
      }
      if (options.only.includes('memory')) {
        const result = await runMemory(server, options, ctx);
        results.push(result);
        log(summary(result));
      }
      if (options.only.includes('soak')) {
        const result = await runSoak(server, options, ctx);
        results.push(result);
        log(summary(result));
      }
    }
  } finally {
    removeWeftBuild();
    await server.close();
  }
  const cpuList = cpus();
  const report: BenchReport = {
    startedAt,
    finishedAt: new Date().toISOString(),
    command,
    quick: options.quick,
    runs: options.runs,
    host: {
      cpus: cpuList.length,
      cpuModel: cpuList[0]?.model ?? '?',
      memoryBytes: totalmem(),
      os: `${type()} ${release()}`,
      node: process.version,
      loadAverage: { start: loadAtStart, end: loadavg() },
    },
    server: server.info,
    systems,
    sizes: { ...sizes },
    results,
    profile,
    notes,
  };
  const path = writeReport(report, options.outDir);
  const table = comparisonTable(report);
  if (table.length > 1) process.stdout.write(`\n${renderText(table)}\n`);
  if (results.some((r) => WEFT_ONLY_WORKLOADS.has(r.workload))) process.stdout.write(`\n${renderText(weftOnlyTable(report))}\n`);
  process.stdout.write(`\nratio = weft / best peer (rates: above 1 means weft is faster; latencies: below 1 means weft is faster)\nresults: ${path}\n`);
  return report;
}

/** A W3 run of weft with pg_stat_statements tracking every statement: where the time goes. */
async function profileW3(server: BenchServer, adapter: WeftAdapter, ctx: WorkloadContext, log: (line: string) => void): Promise<unknown> {
  await server.setStatementTracking('all');
  try {
    await server.resetStatements();
    const parts = await runW3(adapter, ctx);
    const statements = await server.topStatements(adapter.database, 25);
    log(`profiled W3 (pg_stat_statements track=all): ${parts[0]?.status}`);
    return { workload: 'W3', tracking: 'all', part: parts[0], statements };
  } finally {
    await server.setStatementTracking('none');
  }
}

/** The flags of `weft bench` (see src/cli/commands/bench.ts). */
export interface BenchCliArgs {
  quick?: boolean;
  only?: string;
  systems?: string;
  configs?: string;
  runs?: string;
  weftMode?: string;
  out?: string;
  keep?: boolean;
  prefix?: string;
}

/** Turns the flags into options (throws one sentence on a bad value). */
export function optionsFromCli(args: BenchCliArgs, databaseUrl: string | undefined): BenchOptions {
  const quick = args.quick ?? false;
  const runs = args.runs === undefined ? 1 : Number(args.runs);
  if (!Number.isInteger(runs) || runs < 1 || runs > 10) throw new Error(`--runs must be a whole number from 1 to 10, got ${JSON.stringify(args.runs)}.`);
  const weftMode = args.weftMode ?? (quick ? 'in-process' : 'processes');
  if (weftMode !== 'processes' && weftMode !== 'in-process') throw new Error(`--weft-mode must be processes or in-process, got ${JSON.stringify(weftMode)}.`);
  const prefix = args.prefix ?? 'weft_bench';
  if (!/^[a-z_][a-z0-9_]{0,30}$/.test(prefix)) throw new Error(`--prefix must be a lower-case identifier of at most 31 characters, got ${JSON.stringify(prefix)}.`);
  return {
    quick,
    only: parseList(args.only, WORKLOADS, 'workload'),
    systems: parseList(args.systems, SYSTEMS, 'system'),
    configs: parseList(args.configs, CONFIGS, 'configuration'),
    databaseUrl,
    outDir: resolve(args.out ?? join(packageRoot, 'bench', 'results')),
    runs,
    keep: args.keep ?? false,
    weftMode,
    databasePrefix: prefix,
    sizes: quick ? QUICK_SIZES : FULL_SIZES,
  };
}

/** Entry of `weft bench`: runs the benchmark; returns the measurements that failed or errored. */
export async function benchFromCli(
  args: BenchCliArgs,
  databaseUrl: string | undefined,
  log: (line: string) => void,
  command: string,
  signal?: AbortSignal,
): Promise<{ failed: string[] }> {
  const options = { ...optionsFromCli(args, databaseUrl), signal };
  const report = await runBench(options, log, command);
  return { failed: failedMeasurements(report.results) };
}

/** "label workload: part" for every result that errored or failed verification. */
export function failedMeasurements(results: WorkloadResult[]): string[] {
  const failed: string[] = [];
  for (const r of results) {
    if (r.error) failed.push(`${r.label} ${r.workload}: ${r.error.split('\n')[0]}`);
    for (const p of r.parts) if (p.status === 'failed') failed.push(`${r.label} ${r.workload} ${p.part}: ${p.verification?.problems[0] ?? 'failed'}`);
  }
  return failed;
}
