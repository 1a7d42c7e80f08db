/**
 * The contract between the workloads and each system under test (weft, graphile-worker,
 * pg-boss, DBOS): set up a database, start and stop workers at a given concurrency, request
 * tasks of a shape, report progress, and hand back what happened to each task so the
 * workload can verify it and compute its figures.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../src/db/paths.js';
import type { ConfigName, SystemName } from './options.js';
import type { Shape, ShapeSpec, StepResult } from './shapes.js';

/** What one step did, as the system recorded it. */
export interface StepRecord extends StepResult {
  /** How many times the handler ran for this step (1 in a correct, crash-free run). */
  runs: number;
}

/** What one task did. */
export interface TaskRecord {
  key: number;
  /** The system's own word for the task's state (`complete` when it finished well). */
  state: string;
  /** When the system recorded the task as finished (epoch ms), or null. */
  finishedAt: number | null;
  steps: Map<string, StepRecord>;
}

export interface SystemAdapter {
  readonly system: SystemName;
  readonly config: ConfigName;
  /** `weft`, `pg-boss (tuned)`, … */
  readonly label: string;
  /** How this configuration is set up (for the report). */
  readonly description: string;
  /** Package version under test. */
  readonly version: string;
  /** False when the system has no bulk enqueue API (W1 bulk is then reported as n/a). */
  readonly bulkEnqueue: boolean;
  /** How DAGs run on this system (e.g. "weft workflow", "hand-chained jobs"). */
  readonly dagMethod: string;

  /** Installs the system's schema in its (fresh) database and registers the shapes. */
  setup(shapes: Record<Shape, ShapeSpec>): Promise<void>;
  /** Starts the worker side (and orchestrators, for weft) at this concurrency. */
  startWorkers(concurrency: number): Promise<void>;
  /** Stops the worker side; idempotent. */
  stopWorkers(): Promise<void>;
  /** Requests one task per key, one request after the other; returns one handle per key. */
  requestEach(shape: Shape, keys: number[]): Promise<string[]>;
  /** Requests all tasks in one bulk call (only when bulkEnqueue). */
  requestBulk(shape: Shape, keys: number[]): Promise<void>;
  /** Tasks of this shape finished so far (a counter; workloads take differences). */
  finishedCount(shape: Shape): Promise<number>;
  /** Of these handles, the ones whose task has finished. */
  finishedHandles(handles: string[]): Promise<Set<string>>;
  /** What happened to the tasks with these keys (missing keys are simply absent). */
  collect(shape: Shape, keys: number[]): Promise<Map<number, TaskRecord>>;
  /**
   * Throws away work still queued (after stopWorkers), so that a measurement that ran out of
   * time does not leave a backlog behind for the next one.
   */
  discardPending(): Promise<void>;
  /**
   * Problems visible in the system's own tables since the previous call (failed jobs, jobs left
   * behind…); empty when fine. With unfinishedExpected (a measurement that ran out of time),
   * work still queued is not a problem.
   */
  systemProblems(shape: Shape, options?: { unfinishedExpected?: boolean }): Promise<string[]>;
  /** Stops everything and closes connections (the database itself is dropped by the runner). */
  close(): Promise<void>;
}

/** Inclusive range of keys [from, from + count). */
export function keyRange(from: number, count: number): number[] {
  return Array.from({ length: count }, (_, i) => from + i);
}

/** Sleeps for ms. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Version of an installed package (from its package.json; weft's own for "weft"), or "?". */
export function packageVersion(name: string): string {
  const file = name === 'weft' ? join(packageRoot, 'package.json') : join(packageRoot, 'node_modules', name, 'package.json');
  try {
    return (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version;
  } catch {
    return '?';
  }
}
