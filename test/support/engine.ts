/**
 * An in-process engine for tests: orchestrators and workers on a test database, with the
 * scenario handlers, short poll intervals and a silent logger.
 */
import type { Sql } from '../../src/db/connection.js';
import { scenarioHandlers } from '../../src/examples/scenario-handlers.js';
import { silentLogger } from '../../src/observability/logger.js';
import { Orchestrator } from '../../src/orchestrator/orchestrator.js';
import type { StepHandler } from '../../src/worker/handler.js';
import { Worker } from '../../src/worker/worker.js';

export interface TestEngine {
  orchestrators: Orchestrator[];
  workers: Worker[];
  stop(): Promise<void>;
}

export async function startEngine(
  connect: (max?: number) => Sql,
  options: { orchestrators?: number; workers?: number; concurrency?: number; handlers?: Record<string, StepHandler>; visibilityTimeoutS?: number } = {},
): Promise<TestEngine> {
  const logger = silentLogger();
  const orchestrators = Array.from({ length: options.orchestrators ?? 1 }, (_, i) =>
    new Orchestrator({ sql: connect(4), logger, processorId: `test-orch-${i}`, pollIntervalMs: 100, claimTtlMs: 10_000 }),
  );
  const workers = Array.from({ length: options.workers ?? 1 }, (_, i) => {
    const w = new Worker({
      sql: connect(6), logger, processorId: `test-worker-${i}`, concurrency: options.concurrency ?? 8, pollIntervalMs: 100,
      visibilityTimeoutS: options.visibilityTimeoutS ?? 30, shutdownGraceMs: 2000,
    });
    for (const [name, fn] of Object.entries(options.handlers ?? scenarioHandlers)) w.register(name, fn);
    return w;
  });
  for (const o of orchestrators) await o.start();
  for (const w of workers) await w.start();
  return {
    orchestrators,
    workers,
    async stop() {
      await Promise.all(workers.map((w) => w.stop()));
      await Promise.all(orchestrators.map((o) => o.stop()));
    },
  };
}
