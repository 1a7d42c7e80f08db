/**
 * The task shapes every system runs, the handlers' arithmetic (the scenario handlers of
 * ../shared/scenarios/README.md) and the results a correct run must produce.
 *
 * Every step result is `{ v, s, e }`: the value, and the handler's start and end as epoch
 * milliseconds with sub-millisecond precision. A child reads its parents' `v`, so a wrong
 * hand-over of results shows up as a wrong value downstream, and `s`/`e` give the hand-off
 * latencies without any extra write.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { packageRoot } from '../src/db/paths.js';

export type Shape = 'one' | 'diamond' | 'chain' | 'fan';
export type HandlerName = 'increment' | 'double' | 'square' | 'sum_parents';

export interface StepSpec {
  name: string;
  handler: HandlerName;
  parents: string[];
}

export interface ShapeSpec {
  shape: Shape;
  /** Workflow name (weft) / workflow or job name (peers). */
  name: string;
  /** Steps in a topological order. */
  steps: StepSpec[];
  /** Steps with no children (their completion ends the task). */
  finals: string[];
  /** Step name → names of its children. */
  children: Map<string, string[]>;
}

export interface StepResult {
  v: number;
  s: number;
  e: number;
}

/** Epoch milliseconds with sub-millisecond precision, comparable across processes. */
export function nowMs(): number {
  return performance.timeOrigin + performance.now();
}

/** The task's input: a small n derived from the key, so values stay exact doubles. */
export function inputFor(key: number): number {
  return (key % 7) + 1;
}

/** The value a handler returns for input n (no parents) or its parents' values. */
export function computeValue(handler: HandlerName, n: number, parentValues: number[]): number {
  if (handler === 'sum_parents') return parentValues.reduce((a, v) => a + v, 0);
  if (parentValues.length > 1) throw new Error(`${handler} takes one input, got ${parentValues.length} parents`);
  const x = parentValues.length === 1 ? parentValues[0]! : n;
  switch (handler) {
    case 'increment':
      return x + 1;
    case 'double':
      return x * 2;
    case 'square':
      return x * x;
  }
}

/** Runs one step: its value from the parents' results, timed. */
export function runStep(spec: StepSpec, n: number, parents: Record<string, unknown>): StepResult {
  const s = nowMs();
  const values = spec.parents.map((p) => {
    const r = parents[p] as { v?: unknown } | undefined;
    if (!r || typeof r.v !== 'number') throw new Error(`step ${spec.name}: parent ${p} result missing or malformed`);
    return r.v;
  });
  const v = computeValue(spec.handler, n, values);
  return { v, s, e: nowMs() };
}

function build(shape: Shape, name: string, steps: StepSpec[]): ShapeSpec {
  const children = new Map<string, string[]>(steps.map((s) => [s.name, []]));
  for (const s of steps) for (const p of s.parents) children.get(p)!.push(s.name);
  const finals = steps.filter((s) => children.get(s.name)!.length === 0).map((s) => s.name);
  return { shape, name, steps, finals, children };
}

interface ScenarioStep {
  name: string;
  handler: string;
  depends_on?: string[];
}

/** The diamond of ../shared/scenarios/diamond.yaml (read from there when present). */
function diamondSteps(): StepSpec[] {
  const file = join(packageRoot, '..', 'shared', 'scenarios', 'diamond.yaml');
  const fallback: StepSpec[] = [
    { name: 'start', handler: 'square', parents: [] },
    { name: 'left', handler: 'square', parents: ['start'] },
    { name: 'right', handler: 'double', parents: ['start'] },
    { name: 'end', handler: 'sum_parents', parents: ['left', 'right'] },
  ];
  if (!existsSync(file)) return fallback;
  const doc = parseYaml(readFileSync(file, 'utf8')) as { workflow: { steps: ScenarioStep[] } };
  return doc.workflow.steps.map((s) => ({ name: s.name, handler: s.handler as HandlerName, parents: s.depends_on ?? [] }));
}

/** Builds the shapes for the given chain length and fan width. */
export function shapes(chainSteps: number, fanWidth: number): Record<Shape, ShapeSpec> {
  const pad = (i: number, w: number) => String(i).padStart(w, '0');
  const chain: StepSpec[] = Array.from({ length: chainSteps }, (_, i) => ({
    name: `s${pad(i + 1, 2)}`,
    handler: 'increment' as const,
    parents: i === 0 ? [] : [`s${pad(i, 2)}`],
  }));
  const fanChildren = Array.from({ length: fanWidth }, (_, i) => `c${pad(i + 1, 3)}`);
  const fan: StepSpec[] = [
    { name: 'source', handler: 'increment', parents: [] },
    ...fanChildren.map((c) => ({ name: c, handler: 'double' as const, parents: ['source'] })),
    { name: 'join', handler: 'sum_parents', parents: fanChildren },
  ];
  return {
    one: build('one', 'bench_one', [{ name: 'only', handler: 'increment', parents: [] }]),
    diamond: build('diamond', 'bench_diamond', diamondSteps()),
    chain: build('chain', `bench_chain${chainSteps}`, chain),
    fan: build('fan', `bench_fan${fanWidth}`, fan),
  };
}

/** The value of every step of a task of this shape with input n. */
export function expectedValues(spec: ShapeSpec, n: number): Map<string, number> {
  const out = new Map<string, number>();
  for (const step of spec.steps) {
    out.set(step.name, computeValue(step.handler, n, step.parents.map((p) => out.get(p)!)));
  }
  return out;
}
