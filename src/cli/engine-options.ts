/**
 * Orchestrator and worker options from the configuration — one mapping shared by
 * `weft orchestrator`, `weft worker` and the `weft dev` services.
 */
import type { WeftConfig } from '../config/index.js';
import type { Sql } from '../db/connection.js';
import type { Logger } from '../observability/logger.js';
import type { OrchestratorOptions } from '../orchestrator/orchestrator.js';
import type { WorkerOptions } from '../worker/worker.js';

export function orchestratorOptions(config: WeftConfig, sql: Sql, logger: Logger, processorId: string): OrchestratorOptions {
  const cfg = config.orchestrator;
  return { sql, logger, processorId, pollIntervalMs: cfg.poll_interval_ms, batchSize: cfg.batch_size, claimTtlMs: cfg.claim_ttl_ms };
}

export function workerOptions(
  config: WeftConfig,
  sql: Sql,
  logger: Logger,
  processorId: string,
  overrides: { namespaces?: string[] | undefined; concurrency?: number | undefined } = {},
): WorkerOptions {
  const cfg = config.worker;
  return {
    sql,
    logger,
    processorId,
    namespaces: overrides.namespaces ?? cfg.namespaces,
    concurrency: overrides.concurrency ?? cfg.concurrency,
    batchSize: cfg.batch_size,
    visibilityTimeoutS: cfg.visibility_timeout_s,
    heartbeatIntervalMs: cfg.heartbeat_interval_ms,
    pollIntervalMs: cfg.poll_interval_ms,
    shutdownGraceMs: cfg.shutdown_grace_ms,
  };
}
