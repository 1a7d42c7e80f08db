/**
 * DBOS worker process for the benchmark (run by child.ts). Each shape is one DBOS workflow whose
 * steps run as DBOS steps (DBOS.runStep) in topological waves: the steps of a wave run in
 * parallel (Promise.all), so the diamond is A, then B and C in parallel, then D. Tasks arrive
 * through the database-backed queue `bench`, which this process serves.
 *   default: DBOS.setConfig({ name, systemDatabaseUrl }); queue with workerConcurrency c, every
 *            other parameter at its default (the dispatcher polls the queue every 1 s at most).
 *   tuned:   the documented knobs for a busy queue: minPollingIntervalMs 50 (QueueParameters:
 *            "Base (minimum) polling interval") and a system-database pool of c + 10
 *            (systemDatabasePoolSize), so c workflows and the dispatcher are not starved.
 */
import { DBOS } from '@dbos-inc/dbos-sdk';
import { inputFor, runStep, type Shape, type ShapeSpec, type StepResult, type StepSpec } from '../shapes.js';
import type { PeerWorker, RecordStep } from './child.js';
import type { ChildSettings } from './worker-process.js';

export const APP = 'weft-bench';
export const QUEUE = 'bench';

/** The steps of a shape grouped in waves: each wave's parents are all in earlier waves. */
export function waves(spec: ShapeSpec): StepSpec[][] {
  const level = new Map<string, number>();
  for (const step of spec.steps) level.set(step.name, step.parents.length === 0 ? 0 : 1 + Math.max(...step.parents.map((p) => level.get(p)!)));
  const out: StepSpec[][] = [];
  for (const step of spec.steps) (out[level.get(step.name)!] ??= []).push(step);
  return out;
}

/** The queue parameters of a configuration. */
export function queueParameters(settings: Pick<ChildSettings, 'config' | 'concurrency'>): { workerConcurrency: number; minPollingIntervalMs?: number } {
  return settings.config === 'tuned' ? { workerConcurrency: settings.concurrency, minPollingIntervalMs: 50 } : { workerConcurrency: settings.concurrency };
}

function registerShape(spec: ShapeSpec, record: RecordStep): void {
  const plan = waves(spec);
  const workflow = async (key: number): Promise<number> => {
    const n = inputFor(key);
    const results: Record<string, StepResult> = {};
    for (const wave of plan) {
      const out = await Promise.all(
        wave.map((step) =>
          DBOS.runStep(
            async () => {
              const r = runStep(step, n, results);
              record(spec.shape, key, step.name, r);
              return r;
            },
            { name: step.name },
          ),
        ),
      );
      wave.forEach((step, i) => (results[step.name] = out[i]!));
    }
    return results[spec.finals[0]!]!.v;
  };
  DBOS.registerWorkflow(workflow, { name: spec.name });
}

/** Launches DBOS with the bench workflows and serves the bench queue. */
export async function startWorker(settings: ChildSettings, shapes: Record<Shape, ShapeSpec>, record: RecordStep): Promise<PeerWorker> {
  DBOS.setConfig({
    name: APP,
    systemDatabaseUrl: settings.url,
    logLevel: 'error',
    ...(settings.config === 'tuned' ? { systemDatabasePoolSize: settings.concurrency + 10 } : {}),
  });
  for (const spec of Object.values(shapes)) registerShape(spec, record);
  await DBOS.launch();
  await DBOS.registerQueue(QUEUE, { ...queueParameters(settings), onConflict: 'always_update' });
  // The dispatcher picks up database-backed queues on its next reconcile (every 1 s).
  await new Promise((r) => setTimeout(r, 1500));
  return { stop: () => DBOS.shutdown({ workflowCompletionTimeoutMS: 20_000 }) };
}
