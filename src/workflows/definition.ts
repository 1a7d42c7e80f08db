/**
 * Workflow definitions: the format (the YAML of ../shared/scenarios, also JSON), a loader for
 * files and folders, and a typed TypeScript DSL. The SQL function weft.register_workflow is the
 * authority on validity; the checks here only give earlier, friendlier messages.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { WeftError } from '../db/errors.js';

export interface RetryPolicy {
  strategy?: 'fixed' | 'linear' | 'exponential' | 'random';
  /** Alias of strategy (the scenario format). */
  backoff?: 'fixed' | 'linear' | 'exponential' | 'random';
  base_ms?: number;
  multiplier?: number;
  max_ms?: number;
  jitter?: boolean | number;
  max_attempts?: number;
  retry_on?: string[];
  dont_retry_on?: string[];
}

export interface StepDefinition {
  name: string;
  handler: string;
  args?: Record<string, unknown>;
  depends_on?: string[];
  retry?: RetryPolicy | 'none' | 'aggressive' | 'standard' | 'conservative';
  timeout_ms?: number;
  /** Heartbeat period of this step's attempts (ms); the lease is three beats. Default: the worker's. */
  heartbeat_ms?: number;
  compensate?: string;
  description?: string;
}

export interface WorkflowDefinition {
  namespace: string;
  name: string;
  version: string;
  description?: string;
  steps: StepDefinition[];
}

/** A scenario run: context and what must come out (../shared/scenarios format). */
export interface ScenarioRun {
  context: Record<string, unknown>;
  expect: {
    task_state: string;
    results?: Record<string, unknown>;
    attempts?: Record<string, number>;
    compensated?: string[];
  };
}

export interface WorkflowFile {
  path: string;
  definition: WorkflowDefinition;
  runs: ScenarioRun[];
}

/** Parses YAML or JSON text holding a definition, or `{ workflow: …, runs: … }` (scenario files). */
export function parseWorkflowText(text: string, path = '(text)'): WorkflowFile {
  let doc: unknown;
  try {
    doc = extname(path) === '.json' ? JSON.parse(text) : parseYaml(text);
  } catch (err) {
    throw new WeftError(`${path} is not valid ${extname(path) === '.json' ? 'JSON' : 'YAML'}: ${(err as Error).message}`);
  }
  if (!doc || typeof doc !== 'object' || Array.isArray(doc)) {
    throw new WeftError(`${path} must hold a workflow definition object.`);
  }
  const obj = doc as Record<string, unknown>;
  const definition = (obj.workflow ?? obj) as WorkflowDefinition;
  const runs = Array.isArray(obj.runs) ? (obj.runs as ScenarioRun[]) : [];
  if (typeof definition !== 'object' || !Array.isArray(definition.steps)) {
    throw new WeftError(`${path} has no steps list (expected namespace, name, version and steps).`);
  }
  return { path, definition: normalizeVersion(definition), runs };
}

/** YAML reads `version: 1.0` as a number; versions are strings. */
function normalizeVersion(def: WorkflowDefinition): WorkflowDefinition {
  return typeof def.version === 'number' ? { ...def, version: String(def.version) } : def;
}

/** Loads one file, or every .yaml/.yml/.json file of a folder (sorted by name). */
export function loadWorkflowFiles(path: string): WorkflowFile[] {
  let stat;
  try {
    stat = statSync(path);
  } catch {
    throw new WeftError(`No such file or folder: ${path}`);
  }
  const files = stat.isDirectory()
    ? readdirSync(path)
        .filter((f) => /\.(ya?ml|json)$/.test(f))
        .sort()
        .map((f) => join(path, f))
    : [path];
  if (files.length === 0) throw new WeftError(`${path} holds no .yaml, .yml or .json workflow files.`);
  return files.map((f) => parseWorkflowText(readFileSync(f, 'utf8'), f));
}

interface StepOptions<Deps extends string> {
  handler: string;
  dependsOn?: readonly Deps[];
  args?: Record<string, unknown>;
  retry?: StepDefinition['retry'];
  timeoutMs?: number;
  heartbeatMs?: number;
  compensate?: string;
  description?: string;
}

/**
 * Typed workflow builder: a step may only depend on steps defined before it, which the
 * compiler checks (and which rules out cycles).
 *
 * @example
 *   const diamond = defineWorkflow({ namespace: 'math', name: 'diamond', version: '1.0.0' })
 *     .step('start', { handler: 'square' })
 *     .step('left', { handler: 'square', dependsOn: ['start'] })
 *     .step('right', { handler: 'double', dependsOn: ['start'] })
 *     .step('end', { handler: 'sum_parents', dependsOn: ['left', 'right'] })
 *     .build();
 */
export class WorkflowBuilder<Names extends string = never> {
  private readonly steps: StepDefinition[] = [];
  constructor(private readonly meta: { namespace: string; name: string; version: string; description?: string }) {}

  step<N extends string>(name: N, options: StepOptions<Names>): WorkflowBuilder<Names | N> {
    const step: StepDefinition = { name, handler: options.handler };
    if (options.dependsOn?.length) step.depends_on = [...options.dependsOn];
    if (options.args) step.args = options.args;
    if (options.retry) step.retry = options.retry;
    if (options.timeoutMs !== undefined) step.timeout_ms = options.timeoutMs;
    if (options.heartbeatMs !== undefined) step.heartbeat_ms = options.heartbeatMs;
    if (options.compensate) step.compensate = options.compensate;
    if (options.description) step.description = options.description;
    this.steps.push(step);
    return this as unknown as WorkflowBuilder<Names | N>;
  }

  build(): WorkflowDefinition {
    return { ...this.meta, steps: [...this.steps] };
  }
}

export function defineWorkflow(meta: { namespace: string; name: string; version: string; description?: string }): WorkflowBuilder {
  return new WorkflowBuilder(meta);
}
