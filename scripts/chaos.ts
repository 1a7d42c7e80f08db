/**
 * The chaos test: many tasks of the shared scenarios run by several orchestrator and worker
 * processes while the test SIGKILLs them at random and restarts the PostgreSQL server; at the
 * end every contract of DESIGN.md is checked against what the database holds.
 *
 *   npx tsx scripts/chaos.ts [--short|--long] [--seed N] [--tasks N] [--minutes M]
 *                            [--orchestrators N] [--workers N] [--keep] [--logs DIR]
 *   npm run chaos -- --long
 *
 * Modes (flags override): --short (default; `npm test` runs it) 200 tasks, 45 s of chaos,
 * 3 orchestrators + 3 workers, one server restart. --long: 3,000 tasks, 10 minutes of chaos,
 * 4 orchestrators + 6 workers, one server restart every ~4 minutes.
 *
 * The run:
 * 1. Server. With no DATABASE_URL, an embedded PostgreSQL on a free port under a temporary folder
 *    (the run owns it, so it can restart it). With DATABASE_URL, a fresh database on that server,
 *    and no restart (the output says so). `weft migrate`, then every scenario is registered.
 * 2. Processes: `weft orchestrator` and `weft worker --builtin scenarios` as OS processes, with
 *    200 ms polls, a 2 s lease (visibility timeout; heartbeat every 600 ms) so a killed worker's
 *    steps come back quickly (weft.recover_stalled_steps fails them as lease_expired and the
 *    retry policy runs them again), and 1.5 s finalization claims so a killed orchestrator's
 *    claims are taken over quickly.
 * 3. Load: tasks of randomly chosen scenario runs (context from the scenario file; the sleepy
 *    step_timeout scenario with a quarter of the others' weight), plus the run's own
 *    chaos/slow_chain (a step that sleeps 2.5 s, longer than the lease, so it lives by its
 *    heartbeats and kills land on steps in flight), requested through the first
 *    70 % of the chaos phase, each with an idempotency key (a request that fails because the
 *    server went away is simply sent again: same key, same task). One request in ten repeats an
 *    earlier key and must get the earlier task's id. About 4 % of tasks are cancelled 0–2 s
 *    after their request.
 * 4. Chaos: every 1.5–4 s (seeded PRNG) a random orchestrator or worker gets SIGKILL and a
 *    replacement starts. The server is restarted (fast shutdown, 2 s down, start on the same
 *    data folder and port) in the middle of the phase; processes must ride it out on their own
 *    (back off, reconnect) — one that exits by itself is an unexpected exit and fails the run.
 * 5. Drain: chaos stops, the fleet stays, until every task is terminal or a deadline passes
 *    (then the stuck tasks are listed with their steps' states). The processes get SIGTERM and
 *    must exit 0.
 * 6. Invariants (scripts/chaos-invariants.ts), each a count in the summary:
 *    - lost = 0: every requested task is terminal;
 *    - double_finalized = 0: no task has two `finalized` transitions (and none has zero);
 *    - late_applied = 0: replaying each step's transitions, no attempt ends (complete, retry,
 *      error) after a later attempt was enqueued; late_rejected counts the late reports that
 *      weft.rejected_results recorded instead;
 *    - transitions: every step's and task's transitions chain from→to up to its final state,
 *      each names the processor that made it, and each attempt a step used was enqueued once,
 *      in order (1, 2, …);
 *    - results: each task ends as its scenario run expects (state, results, compensation order,
 *      attempts) — with two honest exceptions. Kills make steps take more attempts than the
 *      scenario says (an attempt whose worker died fails as lease_expired and is retried), so
 *      attempts are compared only for steps with no attempt charged by an expired lease (or by a
 *      timeout on a step without one). A step can even use up its attempts that way; such a
 *      task must end in error (or compensation_failed), is counted as exhausted_by_leases and
 *      is not compared further. Whatever happened, every step that completed has the
 *      scenario's result. A task our cancel reached while running must end cancelled;
 *    - nothing left behind: no queue message of a step that is not enqueued, no claim on a
 *      terminal task; no process exited unless killed.
 *
 * Output: progress lines, a `details` line (lease expiries, claim takeovers, …), the slowest
 * attempt (how long recovery took at worst), any broken invariant, then the summary line
 *   chaos: tasks=200 kills=14 (orchestrators 8, workers 6) restarts=1 lost=0 double_finalized=0 late_applied=0 late_rejected=6 ok
 * Exit code 0 only when every invariant holds; the data is kept for inspection otherwise (and
 * with --keep). --logs DIR writes each process's log (level info) to DIR/<processor id>.log.
 *
 * Limit worth knowing: a failure's transition carries the attempt that reported it, but
 * weft._apply_step_completion writes the step's current attempt on a `complete` transition (the
 * fence only lets the current attempt through). So late_applied sees a late failure, or any
 * out-of-order change, but a late completion slipping through the fence would look like the
 * current attempt's; the fence itself is proven by test/sql/weft/reliability-races.test.ts.
 */
import { parseArgs } from 'node:util';
import { connect, type Sql } from '../src/db/connection.js';
import { migrateDatabase } from '../src/db/migrate.js';
import { cancelTask, registerWorkflow, requestTask } from '../src/db/weft-api.js';
import { silentLogger } from '../src/observability/logger.js';
import { loadWorkflowFiles, type WorkflowFile } from '../src/workflows/definition.js';
import { scenariosDir } from '../test/support/sql-driver.js';
import { borrowedServer, chaosEngineEnv, embeddedServer, Fleet, type ChaosServer } from './chaos-cluster.js';
import { checkInvariants, type RequestedTask } from './chaos-invariants.js';

interface ChaosOptions {
  mode: 'short' | 'long';
  seed: number;
  tasks: number;
  chaosMs: number;
  orchestrators: number;
  workers: number;
  restarts: number;
  drainMs: number;
  keep: boolean;
  logs: string | undefined;
}

function options(argv: string[]): ChaosOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      short: { type: 'boolean' }, long: { type: 'boolean' }, seed: { type: 'string' }, tasks: { type: 'string' },
      minutes: { type: 'string' }, orchestrators: { type: 'string' }, workers: { type: 'string' }, keep: { type: 'boolean' },
      logs: { type: 'string' },
    },
  });
  const long = values.long === true && values.short !== true;
  const num = (v: string | undefined, name: string, fallback: number): number => {
    if (v === undefined) return fallback;
    const n = Number(v);
    if (!Number.isFinite(n) || n <= 0) throw new Error(`--${name} must be a positive number, got ${JSON.stringify(v)}`);
    return n;
  };
  const minutes = num(values.minutes, 'minutes', long ? 10 : 0.75);
  return {
    mode: long ? 'long' : 'short',
    seed: Math.floor(num(values.seed, 'seed', (Date.now() % 1_000_000) + 1)),
    tasks: Math.floor(num(values.tasks, 'tasks', long ? 3000 : 200)),
    chaosMs: minutes * 60_000,
    orchestrators: Math.floor(num(values.orchestrators, 'orchestrators', long ? 4 : 3)),
    workers: Math.floor(num(values.workers, 'workers', long ? 6 : 3)),
    restarts: Math.max(1, Math.floor(minutes / 4)),
    drainMs: long ? 300_000 : 180_000,
    keep: values.keep === true,
    logs: values.logs,
  };
}

/** mulberry32: a small seeded PRNG, so a run's choices can be replayed with --seed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const say = (line: string) => process.stdout.write(`${line}\n`);

/** Runs `fn` until it succeeds, through a server restart (bounded: 60 s). */
async function persist<T>(what: string, fn: () => Promise<T>): Promise<T> {
  const started = Date.now();
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      if (Date.now() - started > 60_000) throw new Error(`${what} kept failing for 60 s: ${String(err)}`, { cause: err });
      await sleep(Math.min(100 * 2 ** attempt, 2000));
    }
  }
}

interface Planned { key: string; file: WorkflowFile; runIndex: number }

/**
 * One workflow of the run's own, beside the shared scenarios: the scenario handlers return at
 * once, so a kill rarely lands on a running step. Here a step sleeps longer than the 2 s lease
 * (it lives only through its heartbeats), so kills, stalls and the server restart hit steps
 * in flight and their late reports are rejected.
 */
const slowChain: WorkflowFile = {
  path: '(chaos.ts)',
  definition: {
    namespace: 'chaos', name: 'slow_chain', version: '1.0.0',
    steps: [
      { name: 'warm', handler: 'sleep', args: { ms: 300 } },
      { name: 'long', handler: 'sleep', args: { ms: 2500 }, depends_on: ['warm'] },
      { name: 'done', handler: 'increment', depends_on: ['long'] },
    ],
  },
  runs: [{ context: { n: 7 }, expect: { task_state: 'complete', results: { warm: 7, long: 7, done: 8 }, attempts: { warm: 1, long: 1, done: 1 } } }],
};

/** The task mix: every scenario run equally likely, step_timeout (5 s sleeps) at a quarter weight. */
function plan(files: WorkflowFile[], count: number, seed: number, rnd: () => number): Planned[] {
  const choices: { file: WorkflowFile; runIndex: number; weight: number }[] = [];
  for (const file of files) {
    for (const runIndex of file.runs.keys()) choices.push({ file, runIndex, weight: file.definition.name === 'step_timeout' ? 0.25 : 1 });
  }
  const total = choices.reduce((a, c) => a + c.weight, 0);
  return Array.from({ length: count }, (_, i) => {
    let x = rnd() * total;
    const c = choices.find((ch) => (x -= ch.weight) < 0) ?? choices[choices.length - 1]!;
    return { key: `chaos-${seed}-${i}`, file: c.file, runIndex: c.runIndex };
  });
}

/** Requests the planned tasks spread over `windowMs`, re-requests some keys, cancels a few. */
async function requestAll(sql: Sql, planned: Planned[], windowMs: number, rnd: () => number, out: RequestedTask[]): Promise<{ rerequests: number; mismatches: string[]; cancels: Promise<void>[] }> {
  const started = Date.now();
  const mismatches: string[] = [];
  const cancels: Promise<void>[] = [];
  let rerequests = 0;
  const send = (p: Planned) =>
    persist(`request ${p.key}`, () => requestTask(sql, {
      namespace: p.file.definition.namespace, workflow: p.file.definition.name, version: p.file.definition.version,
      context: p.file.runs[p.runIndex]!.context, idempotencyKey: p.key, requestedBy: 'chaos',
    }));
  for (const [i, p] of planned.entries()) {
    const due = started + (windowMs * i) / planned.length;
    if (due > Date.now()) await sleep(due - Date.now());
    const taskId = await send(p);
    const d = p.file.definition;
    out.push({ key: p.key, taskId, workflow: d.name, namespace: d.namespace, runIndex: p.runIndex, run: p.file.runs[p.runIndex]! });
    if (rnd() < 0.1) {
      const j = Math.floor(rnd() * (i + 1));
      rerequests++;
      const again = await send(planned[j]!);
      if (again !== out[j]!.taskId) mismatches.push(`key ${planned[j]!.key}: first ${out[j]!.taskId}, then ${again}`);
    }
    if (rnd() < 0.04) {
      const delay = rnd() * 2000;
      cancels.push(sleep(delay).then(() => persist(`cancel ${taskId}`, () => cancelTask(sql, taskId, 'chaos', 'chaos')).then(() => undefined)));
    }
  }
  return { rerequests, mismatches, cancels };
}

async function nonTerminal(sql: Sql, ids: string[]): Promise<number> {
  const [r] = await sql<{ n: number }[]>`
    select count(*)::int as n from weft.tasks
    where task_id = any (${ids}::uuid[]) and state not in ('complete', 'error', 'cancelled', 'compensation_failed')`;
  return r!.n;
}

async function main(): Promise<number> {
  const o = options(process.argv.slice(2));
  const rnd = prng(o.seed);
  const files = [...loadWorkflowFiles(scenariosDir), slowChain];
  const started = Date.now();
  const server: ChaosServer = process.env.DATABASE_URL ? await borrowedServer(process.env.DATABASE_URL) : await embeddedServer();
  say(`chaos: ${o.mode} mode, seed ${o.seed}, ${o.tasks} tasks, ${o.chaosMs / 1000} s of chaos, ${o.orchestrators} orchestrators + ${o.workers} workers; ${server.describe()}`);
  if (!server.canRestart) say('chaos: DATABASE_URL is set: using that server, so the PostgreSQL restart is skipped (run without DATABASE_URL to include it)');
  let fleet: Fleet | undefined;
  let ok = false;
  const onSignal = () => {
    void (async () => {
      await fleet?.killAll();
      await server.close({ keep: true });
      process.exit(130);
    })();
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const sql = connect(server.url, { max: 4, applicationName: 'weft-chaos' });
  try {
    await migrateDatabase(server.url, silentLogger());
    for (const f of files) await registerWorkflow(sql, f.definition);
    const activeFleet = new Fleet(chaosEngineEnv(server.url), () => !server.down, o.logs);
    fleet = activeFleet;
    for (let i = 0; i < o.orchestrators; i++) activeFleet.start('orchestrator');
    for (let i = 0; i < o.workers; i++) activeFleet.start('worker');
    await activeFleet.allReady(120_000);

    const requested: RequestedTask[] = [];
    const chaosStart = Date.now();
    const loading = requestAll(sql, plan(files, o.tasks, o.seed, rnd), o.chaosMs * 0.7, rnd, requested);
    let restarts = 0;
    let lastStatus = Date.now();
    const restartAt = Array.from({ length: server.canRestart ? o.restarts : 0 }, (_, i) => chaosStart + (o.chaosMs * (i + 0.5)) / o.restarts);
    while (Date.now() < chaosStart + o.chaosMs) {
      await sleep(1500 + rnd() * 2500);
      if (restartAt.length > 0 && Date.now() >= restartAt[0]!) {
        restartAt.shift();
        say(`chaos: restarting PostgreSQL (t=${((Date.now() - chaosStart) / 1000).toFixed(0)} s, ${activeFleet.running().length} processes running)`);
        const t0 = Date.now();
        await server.restart(2000);
        restarts++;
        say(`chaos: PostgreSQL is back after ${((Date.now() - t0) / 1000).toFixed(1)} s`);
        continue;
      }
      await activeFleet.killOne(rnd(), rnd());
      if (Date.now() - lastStatus > 10_000) {
        lastStatus = Date.now();
        const open = await nonTerminal(sql, requested.map((r) => r.taskId)).catch(() => NaN);
        say(`chaos: t=${((Date.now() - chaosStart) / 1000).toFixed(0)} s: ${requested.length} requested, ${open} not terminal, ${activeFleet.running().length} processes`);
      }
    }
    const load = await loading;
    await Promise.all(load.cancels);
    const ids = requested.map((r) => r.taskId);
    say(`chaos: chaos over after ${((Date.now() - chaosStart) / 1000).toFixed(0)} s (kills: ${activeFleet.kills.orchestrator} orchestrators, ${activeFleet.kills.worker} workers; restarts: ${restarts}); draining`);

    const drainEnd = Date.now() + o.drainMs;
    let left = await persist('count', () => nonTerminal(sql, ids));
    let lastSaid = Date.now();
    while (left > 0 && Date.now() < drainEnd) {
      await sleep(500);
      left = await persist('count', () => nonTerminal(sql, ids));
      if (Date.now() - lastSaid > 10_000) {
        say(`chaos: ${left} of ${ids.length} tasks not terminal yet`);
        lastSaid = Date.now();
      }
    }
    const unclean = await activeFleet.stopAll();
    const { counts: c, failures, stuck } = await checkInvariants(sql, requested);
    for (const u of activeFleet.unexpected) failures.push(`process ${u.id} exited by itself (code ${u.code}):\n${u.output}`);
    for (const u of unclean) failures.push(`process ${u.id} did not stop cleanly on SIGTERM (code ${u.code}):\n${u.output}`);
    for (const m of load.mismatches) failures.push(`idempotency: ${m}`);
    if (stuck.length > 0) failures.push(`${stuck.length} task(s) not terminal after the drain deadline:\n  ${stuck.slice(0, 20).join('\n  ')}`);
    const kills = activeFleet.kills.orchestrator + activeFleet.kills.worker;
    ok = failures.length === 0;
    say(`chaos: details leases_expired=${c.leasesExpired} takeovers=${c.takeovers} exhausted_by_leases=${c.exhaustedByLeases} ` +
      `cancelled=${c.cancelled} rerequests=${load.rerequests} unexpected_exits=${activeFleet.unexpected.length} ` +
      `wrong_results=${c.wrongResults} transition_errors=${c.transitionErrors} unfinalized=${c.unfinalized} leftovers=${c.leftovers} ` +
      `duration=${((Date.now() - started) / 1000).toFixed(0)}s seed=${o.seed} server=${server.kind}`);
    say(`chaos: slowest attempt ${(c.slowestAttemptMs / 1000).toFixed(1)} s: ${c.slowestAttempt}`);
    for (const f of failures.slice(0, 30)) say(`chaos: FAIL ${f}`);
    if (failures.length > 30) say(`chaos: … and ${failures.length - 30} more failures`);
    say(`chaos: tasks=${c.tasks} kills=${kills} (orchestrators ${activeFleet.kills.orchestrator}, workers ${activeFleet.kills.worker}) ` +
      `restarts=${restarts} lost=${c.lost} double_finalized=${c.doubleFinalized} late_applied=${c.lateApplied} ` +
      `late_rejected=${c.lateRejected} ${ok ? 'ok' : 'FAILED'}`);
    return ok ? 0 : 1;
  } finally {
    await fleet?.killAll();
    await sql.end({ timeout: 5 }).catch(() => undefined);
    const keep = o.keep || !ok;
    await server.close({ keep });
    if (keep) say(`chaos: data kept: ${server.describe()}`);
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`chaos: error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
