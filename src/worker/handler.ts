/**
 * What a step handler sees and returns, and the errors it throws to steer retries.
 */
import type { Logger } from '../observability/logger.js';

export interface StepContext<TContext = Record<string, unknown>, TParents = Record<string, unknown>, TArgs = Record<string, unknown>> {
  taskId: string;
  stepId: string;
  step: string;
  handler: string;
  namespace: string;
  workflow: { name: string; version: string };
  /** This attempt's number (1 = first run). */
  attempt: number;
  maxAttempts: number;
  /** The task's input. */
  context: TContext;
  /** Results of the step's parents, by step name. */
  parents: TParents;
  /** Static configuration from the workflow definition. */
  args: TArgs;
  /** For a compensation (saga undo) step: the step it undoes and that step's result; else null. */
  compensates: { step: string; stepId: string; result: unknown } | null;
  /** The last checkpoint stored by an earlier attempt (or this one), if any. */
  lastCheckpoint: unknown;
  /** When this attempt times out, or null. */
  deadline: Date | null;
  /** Aborted when the task is cancelled, the attempt is superseded, its deadline passes or the worker shuts down. */
  signal: AbortSignal;
  logger: Logger;
  /** Stores partial progress; the next attempt gets it as lastCheckpoint. */
  checkpoint(data: unknown): Promise<void>;
  /** Reports progress (0–100) with an optional message; sent with the next heartbeat. */
  progress(percent: number, message?: string): Promise<void>;
  /**
   * Requests a child task (parent_task_id = this task; cancelled with it). The idempotency key
   * defaults to `<task>/<step>/<key>`, so a retried attempt does not request it twice.
   */
  requestChildTask(input: { namespace: string; workflow: string; context?: Record<string, unknown>; key: string; version?: string }): Promise<string>;
}

export type StepHandler<TOut = unknown, TContext = Record<string, unknown>, TParents = Record<string, unknown>, TArgs = Record<string, unknown>> = (
  ctx: StepContext<TContext, TParents, TArgs>,
) => Promise<TOut> | TOut;

/** Throw to fail the step at once, without retries (a permanent error). */
export class PermanentError extends Error {
  override name = 'PermanentError';
  readonly code: string | undefined;
  constructor(message: string, options?: { code?: string; cause?: unknown }) {
    super(message, { cause: options?.cause });
    this.code = options?.code;
  }
}

/** Throw to fail the attempt with a code that retry_on / dont_retry_on filters can match. */
export class StepError extends Error {
  override name = 'StepError';
  readonly code: string | undefined;
  readonly retryable: boolean;
  constructor(message: string, options?: { code?: string; retryable?: boolean; cause?: unknown }) {
    super(message, { cause: options?.cause });
    this.code = options?.code;
    this.retryable = options?.retryable ?? true;
  }
}

/** The error object sent to weft.fail_step, and whether it may be retried. */
export function describeError(err: unknown): { error: Record<string, unknown>; retryable: boolean } {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    const retryableFlag = (err as { retryable?: unknown }).retryable;
    return {
      error: {
        name: err.name,
        message: err.message,
        ...(typeof code === 'string' || typeof code === 'number' ? { code: String(code) } : {}),
        ...(err.stack ? { stack: err.stack.split('\n').slice(0, 8).join('\n') } : {}),
      },
      retryable: !(err instanceof PermanentError) && retryableFlag !== false,
    };
  }
  return { error: { message: String(err) }, retryable: true };
}
