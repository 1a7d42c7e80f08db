/**
 * Statement profiles of weft's hot paths, for finding where the time goes (docs/performance.md
 * quotes them). Not part of `npm run bench`: each case runs weft alone and prints the top
 * statements of pg_stat_statements, nested ones included, by total time.
 *
 *   npx tsx bench/profile.ts backlog <pending>        single-step tasks: 10,000 ready, the rest
 *                                                      of <pending> deferred (the scale fixture)
 *   npx tsx bench/profile.ts burst <orchestrators>...  a W3 diamond burst of 2,000 tasks per
 *                                                      number of orchestrators given
 *   npx tsx bench/profile.ts idle                      10 W4 chains, one at a time (the idle
 *                                                      hand-off path)
 *
 * Needs a server with pg_stat_statements preloaded: PROFILE_URL (any database on it; the
 * script sets pg_stat_statements.track = 'all' there and creates its own databases, prefix
 * weft_profile, dropped at the end). Without PROFILE_URL it starts an embedded PostgreSQL as
 * `npm run bench` does.
 */
import { parseArgs } from 'node:util';
import { FULL_SIZES, type BenchOptions } from './options.js';
import { openServer, type BenchServer } from './server.js';
import { shapes as buildShapes } from './shapes.js';
import { keyAllocator, runBurst, waitFinished, type WorkloadContext } from './workloads/common.js';
import { prepareBacklog, runUntilFinalized, weftDatabases } from './workloads/scale.js';
import { prepareWeftBuild } from './weft/processes.js';
import type { WeftAdapter } from './weft/adapter.js';

const log = (line: string): void => console.log(line);

async function printTop(server: BenchServer, adapter: WeftAdapter, limit = 25): Promise<void> {
  console.log('  total ms | calls | mean ms | rows | top | statement');
  for (const r of await server.topStatements(adapter.database, limit)) {
    console.log(`  ${r.totalMs} | ${r.calls} | ${r.meanMs} | ${r.rows} | ${r.toplevel ? 'T' : ' '} | ${r.query.slice(0, 120)}`);
  }
}

async function main(): Promise<void> {
  const { positionals } = parseArgs({ allowPositionals: true });
  const [kind, ...rest] = positionals;
  if (kind !== 'backlog' && kind !== 'burst' && kind !== 'idle') {
    throw new Error(`Give a case: backlog <pending>, burst <orchestrators>... or idle; got ${JSON.stringify(kind ?? '')}.`);
  }
  const numbers = rest.map(Number);
  if (numbers.some((n) => !Number.isInteger(n) || n < 1)) throw new Error(`Numbers must be whole and positive, got ${JSON.stringify(rest)}.`);
  await prepareWeftBuild(log);
  const server = await openServer(process.env.PROFILE_URL, log);
  const sizes = { ...FULL_SIZES };
  const ctx: WorkloadContext = { sizes, shapes: buildShapes(sizes.w4Steps, sizes.w5Width), log, keys: keyAllocator(1) };
  const options: BenchOptions = {
    quick: false, only: [], systems: ['weft'], configs: ['default'], databaseUrl: process.env.PROFILE_URL, outDir: '',
    runs: 1, keep: false, weftMode: 'processes', databasePrefix: 'weft_profile', sizes,
  };
  await server.admin.unsafe(`alter system set pg_stat_statements.track = 'all'`);
  await server.admin`select pg_reload_conf()`;
  const dbs = await weftDatabases(server, options, ctx, 'profile');
  try {
    if (kind === 'backlog') {
      const pending = numbers[0] ?? 10_000;
      const adapter = await dbs.fresh(`backlog_${pending}`);
      const { ready } = await prepareBacklog(adapter, ctx, pending);
      await server.resetStatements();
      const t0 = Date.now();
      const finished = await runUntilFinalized(adapter, ctx, ready);
      const ms = Date.now() - t0;
      log(`backlog ${pending}: ${finished} tasks in ${ms} ms = ${Math.round((finished / ms) * 1000)} tasks/s`);
      await printTop(server, adapter);
      await adapter.close();
    } else if (kind === 'burst') {
      for (const orchestrators of numbers.length > 0 ? numbers : [1]) {
        const adapter = await dbs.fresh(`burst_${orchestrators}`);
        await server.resetStatements();
        const { part } = await runBurst(adapter, ctx, 'diamond', 2_000, sizes.dagConcurrency, {
          start: () => adapter.startEngine({ concurrency: sizes.dagConcurrency, orchestrators }),
        });
        log(`${orchestrators} orchestrator(s): ${part.status} ${JSON.stringify(part.figures)}`);
        await printTop(server, adapter);
        await adapter.close();
      }
    } else {
      const adapter = await dbs.fresh('idle');
      await adapter.startWorkers(sizes.latencyConcurrency);
      await server.resetStatements();
      for (const k of ctx.keys(10)) {
        const base = await adapter.finishedCount('chain');
        await adapter.requestEach('chain', [k]);
        await waitFinished(adapter, 'chain', base, 1, ctx);
      }
      await adapter.stopWorkers();
      log('10 chains of 20 steps, one at a time');
      await printTop(server, adapter);
      await adapter.close();
    }
  } finally {
    await dbs.dropAll();
    await server.admin.unsafe(`alter system reset pg_stat_statements.track`);
    await server.admin`select pg_reload_conf()`;
    await server.close();
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : String(err));
  process.exitCode = 1;
});
