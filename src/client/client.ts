/**
 * The application-facing client: `import { Weft } from 'weft'`.
 *
 * @example
 *   const weft = new Weft({ databaseUrl: process.env.DATABASE_URL! });
 *   await weft.registerWorkflow(diamond);
 *   const taskId = await weft.requestTask({ namespace: 'math', workflow: 'diamond', context: { n: 2 } });
 *   const task = await weft.waitForTask(taskId);
 *   await weft.close();
 */
import { connect, type Sql } from '../db/connection.js';
import { WeftError } from '../db/errors.js';
import {
  cancelTask, registerWorkflow, requestTask, requestTasks, resolveStep, retryStep, retryTask, skipStep,
  type RequestTaskInput, type RequestTasksInput, type StepState, type TaskState,
} from '../db/weft-api.js';
import type { WorkflowDefinition } from '../workflows/definition.js';
import { getTask, listTasks, type TaskListFilter, type TaskSummary, type TaskView } from './tasks.js';

const terminal: ReadonlySet<TaskState> = new Set(['complete', 'error', 'cancelled', 'compensation_failed']);

export class Weft {
  readonly sql: Sql;
  private readonly owned: boolean;

  constructor(options: { databaseUrl: string; applicationName?: string } | { sql: Sql }) {
    if ('sql' in options) {
      this.sql = options.sql;
      this.owned = false;
    } else {
      this.sql = connect(options.databaseUrl, { applicationName: options.applicationName ?? 'weft-client', max: 5 });
      this.owned = true;
    }
  }

  /** Registers (or finds the identical) workflow version; returns its id. */
  registerWorkflow(definition: WorkflowDefinition): Promise<string> {
    return registerWorkflow(this.sql, definition);
  }

  /** Requests a task; returns its id. */
  requestTask(input: RequestTaskInput): Promise<string> {
    return requestTask(this.sql, input);
  }

  /**
   * Requests many tasks of one workflow in one statement (up to 10000; all are created or none);
   * returns their ids in the order of `contexts`. `idempotencyKeys`, when given, holds one key
   * (or null) per context: a key already used for the same request returns its existing task.
   *
   * @example
   *   const ids = await weft.requestTasks({ namespace: 'math', workflow: 'diamond', contexts: [{ n: 1 }, { n: 2 }] });
   */
  requestTasks(input: RequestTasksInput): Promise<string[]> {
    return requestTasks(this.sql, input);
  }

  getTask(taskId: string): Promise<TaskView | null> {
    return getTask(this.sql, taskId);
  }

  listTasks(filter?: TaskListFilter): Promise<TaskSummary[]> {
    return listTasks(this.sql, filter);
  }

  cancelTask(taskId: string, reason?: string, requestedBy?: string): Promise<TaskState> {
    return cancelTask(this.sql, taskId, reason ?? null, requestedBy ?? 'client');
  }

  /** Runs a failed task's failed steps (and those after them) again; `requestedBy` is audited. */
  retryTask(taskId: string, requestedBy: string): Promise<TaskState> {
    return retryTask(this.sql, taskId, requestedBy);
  }

  /** Retries one step now (waiting_retry) or reopens its failed task (error). */
  retryStep(stepId: string, requestedBy: string): Promise<StepState> {
    return retryStep(this.sql, stepId, requestedBy);
  }

  /** Completes a step by hand with the given result. */
  resolveStep(stepId: string, result: unknown, requestedBy: string): Promise<TaskState> {
    return resolveStep(this.sql, stepId, result, requestedBy);
  }

  /** Skips a step (null result); its children run. */
  skipStep(stepId: string, requestedBy: string): Promise<TaskState> {
    return skipStep(this.sql, stepId, requestedBy);
  }

  /**
   * Waits until the task is terminal (woken by NOTIFY weft_task_finished, polling as the
   * fallback) and returns it.
   */
  async waitForTask(taskId: string, options: { timeoutMs?: number; pollMs?: number } = {}): Promise<TaskView> {
    const deadline = Date.now() + (options.timeoutMs ?? 60_000);
    let wake: (() => void) | undefined;
    const sub = await this.sql.listen('weft_task_finished', (payload) => {
      if (payload === taskId) wake?.();
    });
    try {
      for (;;) {
        const task = await this.getTask(taskId);
        if (!task) throw new WeftError(`Task ${taskId} not found.`);
        if (terminal.has(task.state)) return task;
        const left = deadline - Date.now();
        if (left <= 0) throw new WeftError(`Task ${taskId} is still ${task.state} after ${options.timeoutMs ?? 60_000} ms.`);
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, Math.min(left, options.pollMs ?? 1000));
          wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
      }
    } finally {
      await sub.unlisten().catch(() => undefined);
    }
  }

  /** Closes the pool if this client opened it. */
  async close(): Promise<void> {
    if (this.owned) await this.sql.end({ timeout: 5 });
  }
}
