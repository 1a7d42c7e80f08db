/**
 * The worker SDK: reads step messages from namespace queues with ordinary PGMQ calls, runs
 * the registered handler with bounded concurrency, heartbeats long steps, and reports through
 * weft.complete_step / weft.fail_step. pg-boss-style loop: fetch a batch sized by the free
 * slots → run → sleep until a slot frees, a NOTIFY weft_steps names one of our namespaces, or
 * the poll interval passes.
 *
 * @example
 *   const worker = new Worker({ sql, logger, processorId: 'w1', namespaces: ['math'] });
 *   worker.register('square', ({ context }) => (context.n as number) ** 2);
 *   await worker.start();   …   await worker.stop();
 */
import type { Sql } from '../db/connection.js';
import { coerceError } from '../db/errors.js';
import { checkpointStep, failStep, heartbeatStep, requestTask } from '../db/weft-api.js';
import type { Logger } from '../observability/logger.js';
import { WAKE_WINDOW_MS, WakeableSleep } from '../util/wake-sleep.js';
import { CompletionBatcher } from './completion-batcher.js';
import { sendReport, type ReportTarget } from './send-report.js';
import { describeError, type StepContext, type StepHandler } from './handler.js';
import { parseStepMessage, type StepMessage } from './step-message.js';

export interface WorkerOptions {
  sql: Sql;
  logger: Logger;
  processorId: string;
  /** Namespaces to read; empty or absent = every namespace known at start (and new ones announced by NOTIFY). */
  namespaces?: string[];
  /** Steps run at once (default 4). */
  concurrency?: number;
  /** Most messages one read takes (default 50; never more than the free slots). */
  batchSize?: number;
  /** Visibility timeout of a read message = the lease, seconds (default 30). */
  visibilityTimeoutS?: number;
  /** Heartbeat period for a running step (default a third of the lease). */
  heartbeatIntervalMs?: number;
  /** Longest idle sleep (default 1000 ms). */
  pollIntervalMs?: number;
  /** How long stop() waits for running steps before releasing them (default 10 s). */
  shutdownGraceMs?: number;
  listen?: boolean;
}

interface InFlight {
  message: StepMessage;
  /** The queue the message was read from (dead letters name it). */
  queue: string;
  msgId: string;
  controller: AbortController;
  done: Promise<void>;
  /** Frees the concurrency slot (once): when the handler returns, before its report commits. */
  free: () => void;
}

/** Reports written behind (handler done, report not yet committed) before reading stops. */
const MAX_PENDING_REPORTS = 200;

export interface WorkerStats {
  completed: number;
  failed: number;
  rejected: number;
  deadLettered: number;
  errors: number;
}

export class Worker {
  readonly processorId: string;
  readonly stats: WorkerStats = { completed: 0, failed: 0, rejected: 0, deadLettered: 0, errors: 0 };
  private readonly handlers = new Map<string, StepHandler<unknown, never, never, never>>();
  private readonly sql: Sql;
  private readonly log: Logger;
  private readonly concurrency: number;
  private readonly batchSize: number;
  private readonly vt: number;
  private readonly heartbeatMs: number;
  private readonly pollIntervalMs: number;
  private readonly graceMs: number;
  private readonly listen: boolean;
  private namespaces: string[];
  private readonly allNamespaces: boolean;
  private readonly inFlight = new Map<string, InFlight>();
  /** Every step from read to report committed (inFlight holds only those whose handler runs). */
  private readonly unfinished = new Set<Promise<void>>();
  private readonly sleeper = new WakeableSleep();
  private readonly controller = new AbortController();
  private loop: Promise<void> | undefined;
  private unlisten: (() => Promise<void>) | undefined;
  private nextNamespace = 0;
  private readonly completions: CompletionBatcher;
  /** Slots held for messages a report call is reading along (weft.complete_steps_and_read). */
  private reserved = 0;
  /** Queues whose last read returned all it asked for: more is waiting there. */
  private readonly backlogged = new Set<string>();

  constructor(options: WorkerOptions) {
    this.sql = options.sql;
    this.processorId = options.processorId;
    this.log = options.logger.child({ component: 'worker', processorId: options.processorId });
    this.concurrency = Math.max(1, options.concurrency ?? 4);
    this.batchSize = Math.max(1, options.batchSize ?? 50);
    this.vt = Math.max(1, options.visibilityTimeoutS ?? 30);
    this.heartbeatMs = options.heartbeatIntervalMs ?? Math.floor((this.vt * 1000) / 3);
    this.pollIntervalMs = options.pollIntervalMs ?? 1000;
    this.graceMs = options.shutdownGraceMs ?? 10_000;
    this.listen = options.listen ?? true;
    this.namespaces = [...(options.namespaces ?? [])];
    this.allNamespaces = this.namespaces.length === 0;
    this.completions = new CompletionBatcher(this.sql, this.processorId, {
      readAlong: {
        reserve: (queue) => {
          // A queue with a backlog is read by the loop, which does not wait for reports to commit;
          // reading along pays off when the queue is drained (a parent's children come back in
          // its report's answer instead of after a wake-up).
          if (this.controller.signal.aborted || !this.namespaces.includes(queue) || this.backlogged.has(queue)) return { vt: this.vt, qty: 0 };
          const qty = Math.max(0, Math.min(this.batchSize, this.concurrency - this.inFlight.size - this.reserved));
          this.reserved += qty;
          return { vt: this.vt, qty };
        },
        deliver: (queue, reserved, messages) => {
          this.reserved -= reserved;
          for (const m of messages) this.takeReadAlong(queue, m.msg_id, m.message);
          if (reserved > messages.length) this.sleeper.wake();
        },
      },
      onBatchError: (err, reports) =>
        this.log.warn({ err: coerceError(err), reports }, 'batched report failed; sending its reports one by one'),
    });
  }

  /** Registers a handler under the name workflow steps use. */
  register<TOut, TContext = Record<string, unknown>, TParents = Record<string, unknown>, TArgs = Record<string, unknown>>(
    name: string,
    handler: StepHandler<TOut, TContext, TParents, TArgs>,
  ): this {
    this.handlers.set(name, handler as unknown as StepHandler<unknown, never, never, never>);
    return this;
  }

  /** Handler names registered so far. */
  handlerNames(): string[] {
    return [...this.handlers.keys()];
  }

  async start(): Promise<void> {
    if (this.loop) return;
    if (this.allNamespaces) {
      const rows = await this.sql<{ queue_name: string }[]>`select queue_name from weft.namespaces order by name`;
      this.namespaces = rows.map((r) => r.queue_name);
    }
    if (this.listen) {
      const sub = await this.sql.listen('weft_steps', (payload) => {
        if (this.allNamespaces && payload && !this.namespaces.includes(payload)) this.namespaces.push(payload);
        if (this.namespaces.includes(payload)) this.sleeper.wake(true);
      });
      this.unlisten = () => sub.unlisten();
    }
    this.log.info({ namespaces: this.namespaces, handlers: this.handlerNames(), concurrency: this.concurrency }, 'worker started');
    this.loop = this.run();
  }

  /**
   * Stops reading, waits up to the grace period for running steps, then aborts the rest and
   * releases them (weft.release_step: the same attempt, visible again at once, not charged) so
   * another worker takes them.
   */
  async stop(): Promise<void> {
    this.controller.abort();
    this.sleeper.wake();
    await this.loop;
    const running = [...this.inFlight.values()];
    if (running.length > 0) {
      const timeout = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), this.graceMs).unref());
      const finished = await Promise.race([Promise.all(running.map((f) => f.done)).then(() => 'done' as const), timeout]);
      if (finished === 'timeout') {
        for (const f of this.inFlight.values()) {
          f.controller.abort(new Error('worker shutting down'));
          // Hand the attempt back uncharged (a fresh copy of its message), not as an expired lease.
          await this.sql`select weft.release_step(step_id => ${f.message.step_id}::uuid, attempt => ${f.message.attempt}::int, processor_id => ${this.processorId})`.catch(
            (err: unknown) => this.log.warn({ err: coerceError(err), stepId: f.message.step_id }, 'could not release the step; its lease will expire'),
          );
        }
        this.log.warn({ released: this.inFlight.size }, 'released unfinished steps to other workers');
      }
    }
    // Reports written behind: let them commit (each gives up after a few tries).
    const stillRunning = new Set([...this.inFlight.values()].map((f) => f.done));
    await Promise.allSettled([...this.unfinished].filter((p) => !stillRunning.has(p)));
    await this.unlisten?.().catch(() => undefined);
    this.log.info({ stats: this.stats }, 'worker stopped');
  }

  /** Where a report's failures go (see sendReport). */
  private reportTarget(entry: InFlight, log: Logger): ReportTarget {
    return { sql: this.sql, processorId: this.processorId, stats: this.stats, log, queue: entry.queue, msgId: entry.msgId };
  }

  private async run(): Promise<void> {
    const signal = this.controller.signal;
    let failures = 0;
    while (!signal.aborted) {
      try {
        // A handler that returned frees its slot at once; its report is written behind, up to
        // MAX_PENDING_REPORTS (then reading waits for the database to catch up).
        const backlog = this.unfinished.size - this.inFlight.size;
        const free = backlog >= MAX_PENDING_REPORTS ? 0 : Math.max(0, this.concurrency - this.inFlight.size - this.reserved);
        let got = 0;
        if (free > 0 && this.namespaces.length > 0) got = await this.fetchAndStart(free);
        failures = 0;
        if (got === 0 || free === 0 || this.inFlight.size >= this.concurrency) {
          // A slot freeing wakes the sleep; after a NOTIFY, read again once its window has passed.
          await this.sleeper.sleep(this.sleeper.capAfterWake(this.pollIntervalMs, WAKE_WINDOW_MS), signal);
        }
      } catch (err) {
        failures++;
        this.stats.errors++;
        const backoff = Math.min(100 * 2 ** Math.min(failures, 8), 10_000);
        this.log.error({ err: coerceError(err), failures, backoffMs: backoff }, 'worker poll failed; backing off');
        await this.sleeper.sleep(backoff, signal);
      }
    }
  }

  /** Reads up to `free` messages across namespaces (round robin) and starts them. */
  private async fetchAndStart(free: number): Promise<number> {
    let started = 0;
    for (let i = 0; i < this.namespaces.length && started < free; i++) {
      const ns = this.namespaces[(this.nextNamespace + i) % this.namespaces.length]!;
      const qty = Math.min(free - started, this.batchSize);
      const rows = await this.sql<{ msg_id: string; message: unknown }[]>`
        select msg_id, message from pgmq.read(queue_name => ${ns}::text, vt => ${this.vt}::integer, qty => ${qty}::integer)`;
      if (rows.length === qty) this.backlogged.add(ns);
      else this.backlogged.delete(ns);
      for (const row of rows) {
        await this.startOne(ns, row.msg_id, row.message);
        started++;
      }
    }
    this.nextNamespace = (this.nextNamespace + 1) % Math.max(1, this.namespaces.length);
    return started;
  }

  /** A message read along with a report: started, or handed back at once if we are stopping. */
  private takeReadAlong(queue: string, msgId: string, body: unknown): void {
    if (this.controller.signal.aborted) {
      void this.sql`select pgmq.set_vt(queue_name => ${queue}, msg_id => ${msgId}::bigint, vt => 0)`.catch((err: unknown) =>
        this.log.warn({ err: coerceError(err), queue, msgId }, 'could not hand back a message read while stopping; it shows again after its visibility timeout'),
      );
      return;
    }
    this.startOne(queue, msgId, body).catch((err: unknown) => {
      this.stats.errors++;
      this.log.error({ err: coerceError(err), queue, msgId }, 'could not start a message read along with a report; it shows again after its visibility timeout');
    });
  }

  private async startOne(queue: string, msgId: string, body: unknown): Promise<void> {
    const parsed = parseStepMessage(body);
    if (!parsed.ok) {
      this.stats.deadLettered++;
      this.log.error({ queue, msgId, reason: parsed.error }, 'malformed step message archived');
      await this.sql`select weft.dead_letter_message(queue_name => ${queue}, msg_id => ${msgId}::bigint, reason => ${parsed.error}, processor_id => ${this.processorId})`;
      return;
    }
    const message = parsed.message;
    const controller = new AbortController();
    let freed = false;
    const entry: InFlight = {
      message,
      queue,
      msgId,
      controller,
      done: Promise.resolve(),
      free: () => {
        if (freed) return;
        freed = true;
        this.inFlight.delete(message.step_id);
        this.sleeper.wake();
      },
    };
    this.inFlight.set(message.step_id, entry);
    const done = this.execute(entry).finally(() => {
      entry.free();
      this.unfinished.delete(done);
      this.sleeper.wake();
    });
    entry.done = done;
    this.unfinished.add(done);
  }

  private async execute(entry: InFlight): Promise<void> {
    const m = entry.message;
    const log = this.log.child({ taskId: m.task_id, stepId: m.step_id, step: m.step, attempt: m.attempt, namespace: m.namespace });
    const handler = this.handlers.get(m.handler);
    if (!handler) {
      await sendReport(this.reportTarget(entry, log), () =>
        failStep(this.sql, m.step_id, m.attempt, { code: 'handler_not_registered', message: `no handler "${m.handler}" is registered on worker ${this.processorId}` }, true, this.processorId),
      );
      return;
    }
    let abortReason: string | undefined;
    const abort = (reason: string) => {
      if (!abortReason) {
        abortReason = reason;
        entry.controller.abort(new Error(reason));
      }
    };
    let progress: { percent: number; message?: string } | null = null;
    // The step's own heartbeat period when its definition sets heartbeat_ms (lease = 3 beats),
    // else the worker's; a step lease longer than the read's is set at once.
    const beatMs = m.heartbeat_ms ?? this.heartbeatMs;
    const leaseS = m.heartbeat_ms ? Math.ceil((3 * m.heartbeat_ms) / 1000) : this.vt;
    if (leaseS !== this.vt) {
      await heartbeatStep(this.sql, m.step_id, m.attempt, leaseS, null).catch((err: unknown) =>
        log.warn({ err: coerceError(err) }, 'could not set the step lease'),
      );
    }
    const heartbeat = setInterval(() => {
      heartbeatStep(this.sql, m.step_id, m.attempt, leaseS, progress)
        .then((a) => {
          if (!a.carry_on) abort(a.reason);
        })
        .catch((err: unknown) => log.warn({ err: coerceError(err) }, 'heartbeat failed'));
    }, beatMs);
    const deadline = m.deadline ? new Date(m.deadline) : null;
    const deadlineTimer = deadline ? setTimeout(() => abort('deadline'), Math.max(0, deadline.getTime() - Date.now())) : undefined;
    const ctx: StepContext = {
      taskId: m.task_id,
      stepId: m.step_id,
      step: m.step,
      handler: m.handler,
      namespace: m.namespace,
      workflow: m.workflow,
      attempt: m.attempt,
      maxAttempts: m.max_attempts,
      context: m.context,
      parents: m.parents,
      args: m.args,
      compensates: m.compensates ? { step: m.compensates.step, stepId: m.compensates.step_id, result: m.compensates.result } : null,
      lastCheckpoint: m.checkpoint ?? null,
      deadline,
      signal: entry.controller.signal,
      logger: log,
      checkpoint: async (data: unknown) => {
        const ok = await checkpointStep(this.sql, m.step_id, m.attempt, data);
        if (ok) ctx.lastCheckpoint = data;
      },
      progress: async (percent: number, message?: string) => {
        progress = message === undefined ? { percent } : { percent, message };
        const a = await heartbeatStep(this.sql, m.step_id, m.attempt, leaseS, progress);
        if (!a.carry_on) abort(a.reason);
      },
      requestChildTask: (input) =>
        requestTask(this.sql, {
          namespace: input.namespace,
          workflow: input.workflow,
          context: input.context ?? {},
          version: input.version,
          idempotencyKey: `${m.task_id}/${m.step}/${input.key}`,
          parentTaskId: m.task_id,
          requestedBy: this.processorId,
        }),
    };
    try {
      const result = await (handler as unknown as StepHandler)(ctx);
      entry.free();
      if (abortReason && abortReason !== 'deadline') {
        log.info({ reason: abortReason }, 'step abandoned; result not reported');
        return;
      }
      if (abortReason === 'deadline') throw Object.assign(new Error(`attempt ${m.attempt} passed its deadline`), { code: 'timeout' });
      const report = await sendReport(this.reportTarget(entry, log), () => this.completions.complete({ stepId: m.step_id, attempt: m.attempt, result: result ?? null }, entry.queue));
      if (report?.outcome === 'applied' || report?.outcome === 'duplicate') this.stats.completed++;
      else if (report) this.stats.rejected++;
    } catch (err) {
      entry.free();
      if (abortReason && abortReason !== 'deadline') {
        log.info({ reason: abortReason }, 'step aborted');
        return;
      }
      const { error, retryable } = describeError(abortReason === 'deadline' ? Object.assign(coerceError(err), { code: 'timeout' }) : err);
      log.warn({ err: coerceError(err), retryable }, 'step failed');
      const report = await sendReport(this.reportTarget(entry, log), () => failStep(this.sql, m.step_id, m.attempt, error, retryable, this.processorId));
      if (report?.outcome === 'applied') this.stats.failed++;
      else if (report) this.stats.rejected++;
    } finally {
      clearInterval(heartbeat);
      if (deadlineTimer) clearTimeout(deadlineTimer);
    }
  }
}
