/**
 * Randomised DAGs (up to 50 steps, random edges, many seeds) run by the engine and checked
 * against a reference evaluator: every step ran exactly once and every result matches.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Weft } from '../../src/client/client.js';
import type { StepContext } from '../../src/worker/handler.js';
import type { WorkflowDefinition } from '../../src/workflows/definition.js';
import { testDatabase, type TestDatabase } from '../support/db.js';
import { startEngine, type TestEngine } from '../support/engine.js';

/** Small deterministic PRNG (mulberry32). */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const MOD = 1_000_003;

/** The step function both the handler and the reference use. */
function mix(k: number, seed: number, parents: number[]): number {
  const sum = parents.reduce((a, b) => a + b, 0);
  return (sum * 31 + k * 7 + seed) % MOD;
}

function randomDag(seed: number): { def: WorkflowDefinition; parents: number[][] } {
  const r = rng(seed);
  const n = 1 + Math.floor(r() * 50);
  const density = r() * 0.3;
  const parents: number[][] = [];
  const steps = [];
  for (let i = 0; i < n; i++) {
    const ps: number[] = [];
    for (let j = 0; j < i; j++) if (r() < density) ps.push(j);
    parents.push(ps);
    steps.push({ name: `s${i}`, handler: 'mix', args: { k: i }, depends_on: ps.map((p) => `s${p}`) });
  }
  return { def: { namespace: 'random', name: `dag_${seed}`, version: '1', steps }, parents };
}

function evaluate(parents: number[][], seed: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < parents.length; i++) out.push(mix(i, seed, parents[i]!.map((p) => out[p]!)));
  return out;
}

let db: TestDatabase;
let engine: TestEngine;
let weft: Weft;

beforeAll(async () => {
  db = await testDatabase('random_dags');
  weft = new Weft({ sql: db.sql });
  engine = await startEngine(db.connect, {
    workers: 2,
    handlers: {
      mix: (ctx: StepContext) =>
        mix(Number(ctx.args.k), Number(ctx.context.seed), Object.values(ctx.parents).map(Number)),
    },
  });
});
afterAll(async () => {
  await engine?.stop();
  await db?.drop();
});

describe('random DAGs against a reference evaluator', () => {
  const seeds = Array.from({ length: 40 }, (_, i) => 1000 + i * 7919);
  it(`${seeds.length} seeds: every step exactly once, every result as the evaluator says`, async () => {
    const tasks: { seed: number; taskId: string; parents: number[][] }[] = [];
    for (const seed of seeds) {
      const { def, parents } = randomDag(seed);
      await weft.registerWorkflow(def);
      tasks.push({ seed, parents, taskId: await weft.requestTask({ namespace: 'random', workflow: def.name, context: { seed } }) });
    }
    for (const t of tasks) {
      const task = await weft.waitForTask(t.taskId, { timeoutMs: 120_000 });
      expect(task.state, `seed ${t.seed}`).toBe('complete');
      const expected = evaluate(t.parents, t.seed);
      const got = new Map(task.steps.map((s) => [s.name, s]));
      expect(task.steps.length).toBe(expected.length);
      expected.forEach((value, i) => {
        expect(got.get(`s${i}`)?.result, `seed ${t.seed} step s${i}`).toBe(value);
        expect(got.get(`s${i}`)?.attempt, `seed ${t.seed} step s${i} attempts`).toBe(1);
      });
      const [runs] = await db.sql<{ enqueued: number; completed: number }[]>`
        select count(*) filter (where to_state = 'enqueued')::int as enqueued, count(*) filter (where to_state = 'complete')::int as completed
        from weft.transitions where task_id = ${t.taskId} and entity = 'step'`;
      expect(runs, `seed ${t.seed}: each step enqueued and completed once`).toEqual({ enqueued: expected.length, completed: expected.length });
    }
    const [rejected] = await db.sql<{ n: number }[]>`select count(*)::int as n from weft.rejected_results`;
    expect(rejected!.n).toBe(0);
  });
});
