/**
 * The orchestrator: a stateless loop over weft's SQL functions. Each tick it takes task
 * requests and step results from the orchestration queues, fires due timers (delayed starts,
 * retry backoff, attempt deadlines) — all in one call, weft.orchestrator_tick — and then
 * claims and finalizes the tasks that are ready. Readiness itself is computed in the
 * transactions that complete steps; the orchestrator owns what must be singular or timed.
 *
 * Any number may run. Wakes on NOTIFY weft_orchestrator, polls as the fallback, and sleeps
 * until the next timer is due.
 */
import type { Sql } from '../db/connection.js';
import { coerceError } from '../db/errors.js';
import { claimTasksForFinalization, finalizeTask, finalizeTasks, orchestratorTick, type TickResult } from '../db/weft-api.js';
import type { Logger } from '../observability/logger.js';
import { WakeableSleep, WAKE_WINDOW_MS } from '../util/wake-sleep.js';

export interface OrchestratorOptions {
  sql: Sql;
  logger: Logger;
  processorId: string;
  /** Longest sleep when idle (ms). */
  pollIntervalMs?: number;
  /** Rows per tick (requests, results, claims). */
  batchSize?: number;
  /** How long a finalization claim lasts (ms). */
  claimTtlMs?: number;
  /** Listen for NOTIFY wake-ups (default true). */
  listen?: boolean;
}

/** Shortest idle sleep (ms) between ticks. */
const MIN_IDLE_SLEEP_MS = 50;

/**
 * After a 'finalize' wake-up the loop reads once more when the wake-up window has passed (see
 * WAKE_WINDOW_MS); that read is a claim too, not the periodic duties, if it comes within this
 * many ms past the window.
 */
const FINALIZE_RECHECK_SLACK_MS = 40;

export interface OrchestratorStats {
  ticks: number;
  finalized: number;
  claimsContended: number;
  errors: number;
}

export class Orchestrator {
  readonly processorId: string;
  readonly stats: OrchestratorStats = { ticks: 0, finalized: 0, claimsContended: 0, errors: 0 };
  private readonly sql: Sql;
  private readonly log: Logger;
  private readonly pollIntervalMs: number;
  private readonly batchSize: number;
  private readonly claimTtlMs: number;
  private readonly listen: boolean;
  private readonly sleeper = new WakeableSleep();
  private readonly controller = new AbortController();
  private loop: Promise<void> | undefined;
  private unlisten: (() => Promise<void>) | undefined;
  /** The last batch finalized something (more is probably coming). */
  private finalizing = false;
  /** A 'finalize' wake-up arrived: claim, without the periodic duties. */
  private finalizeHint = false;
  /** When the last 'finalize' wake-up arrived (performance.now() ms). */
  private finalizeWakeAt = -Infinity;
  /** Another wake-up arrived (a timer set, a queue message): run the periodic duties. */
  private dutiesHint = false;
  /** When the duties last ran, and when the next timer is due (performance.now() ms). */
  private lastTickAt = -Infinity;
  private nextDueAt = Infinity;

  constructor(options: OrchestratorOptions) {
    this.sql = options.sql;
    this.processorId = options.processorId;
    this.log = options.logger.child({ component: 'orchestrator', processorId: options.processorId });
    this.pollIntervalMs = options.pollIntervalMs ?? 1000;
    this.batchSize = options.batchSize ?? 100;
    this.claimTtlMs = options.claimTtlMs ?? 30_000;
    this.listen = options.listen ?? true;
  }

  /** Starts the loop (returns once LISTEN is set up). */
  async start(): Promise<void> {
    if (this.loop) return;
    if (this.listen) {
      // weft's own wake-ups, and PGMQ insert notifications of the two orchestration queues
      // (services and workers that only send PGMQ messages).
      // 'finalize' asks only for a claim; anything else (a timer set, a queue message) for the
      // periodic duties too.
      const channels = ['weft_orchestrator', 'pgmq.q_orchestration_task_requests.INSERT', 'pgmq.q_orchestration_step_results.INSERT'];
      const settled = await Promise.allSettled(channels.map((c) => this.sql.listen(c, (payload) => {
        if (c === 'weft_orchestrator' && payload === 'finalize') {
          this.finalizeHint = true;
          this.finalizeWakeAt = performance.now();
        } else this.dutiesHint = true;
        this.sleeper.wake(true);
      })));
      const subs = settled.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
      const failed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed) {
        // Start again from nothing (the caller may retry start()): no listener left behind.
        await Promise.all(subs.map((sub) => sub.unlisten().catch(() => undefined)));
        throw failed.reason;
      }
      this.unlisten = async () => {
        await Promise.all(subs.map((s) => s.unlisten()));
      };
    }
    this.log.info('orchestrator started');
    this.loop = this.run();
  }

  /** Stops fetching work, waits for the current tick, releases LISTEN. */
  async stop(): Promise<void> {
    this.controller.abort();
    this.sleeper.wake();
    await this.loop;
    await this.unlisten?.().catch(() => undefined);
    this.log.info({ stats: this.stats }, 'orchestrator stopped');
  }

  /**
   * One tick: the periodic duties (weft.orchestrator_tick: intake, timers, recovery, "anything
   * to finalize?"), then claim + finalize. Returns whether it did any work.
   * The duties run when they may have work: at start, on a wake-up other than 'finalize', when
   * the next timer is due, and at least every poll interval. Otherwise — a 'finalize' wake-up,
   * the read again after its window, or finalizations still coming — the loop only claims: the
   * duties' fixed cost is not paid again for every batch by every orchestrator.
   */
  async tick(): Promise<{ busy: boolean; sleepMs: number }> {
    const now = performance.now();
    const dutiesDue = this.dutiesHint || now >= this.nextDueAt || now - this.lastTickAt >= this.pollIntervalMs;
    const recheck = now - this.finalizeWakeAt <= WAKE_WINDOW_MS + FINALIZE_RECHECK_SLACK_MS;
    if (!dutiesDue && (this.finalizing || this.finalizeHint || recheck)) {
      this.finalizeHint = false;
      const finalized = await this.finalizeReady();
      this.finalizing = finalized > 0;
      const untilDuties = Math.min(this.nextDueAt, this.lastTickAt + this.pollIntervalMs) - performance.now();
      return { busy: finalized > 0, sleepMs: Math.max(MIN_IDLE_SLEEP_MS, Math.min(this.pollIntervalMs, untilDuties)) };
    }
    this.dutiesHint = false;
    this.finalizeHint = false;
    const t: TickResult = await orchestratorTick(this.sql, this.processorId, this.batchSize);
    this.lastTickAt = performance.now();
    this.stats.ticks++;
    let finalized = 0;
    if (t.finalizable > 0) finalized = await this.finalizeReady();
    this.finalizing = finalized > 0;
    const busy =
      t.requests_accepted + t.requests_rejected + t.results_applied + t.results_rejected + t.results_dead +
        t.started_tasks + t.retried_steps + t.timed_out_steps + t.recovered_steps + finalized > 0;
    if (t.requests_rejected + t.results_dead > 0) {
      this.log.warn({ requestsRejected: t.requests_rejected, resultsDead: t.results_dead }, 'queue messages dead-lettered (see weft.dead_letters)');
    }
    if (t.recovered_steps > 0) this.log.warn({ recovered: t.recovered_steps }, 'attempts failed as stalled: their lease expired');
    const dueIn = t.next_due_in_ms === null ? Infinity : Number(t.next_due_in_ms);
    this.nextDueAt = this.lastTickAt + dueIn;
    // A timer that is due but was not fired (its task is locked by another orchestrator right
    // now) must not turn the idle loop into a spin: never sleep less than MIN_IDLE_SLEEP_MS.
    return { busy, sleepMs: Math.max(MIN_IDLE_SLEEP_MS, Math.min(this.pollIntervalMs, dueIn)) };
  }

  private async finalizeReady(): Promise<number> {
    let total = 0;
    for (;;) {
      const claims = await claimTasksForFinalization(this.sql, this.processorId, this.claimTtlMs, this.batchSize);
      const won = claims.filter((c) => c.outcome === 'won' || c.outcome === 'taken_over');
      this.stats.claimsContended += claims.length - won.length;
      if (won.length === 0) return total;
      const done = await this.finalizeWon(won.map((c) => c.task_id));
      total += done;
      this.stats.finalized += done;
      if (claims.length < this.batchSize) return total;
    }
  }

  /**
   * The won tasks in one transaction (weft.finalize_tasks). If the batch fails, each task in its
   * own transaction, so one bad task cannot hold back the others; a task that fails alone keeps
   * its claim until it expires and is taken over.
   */
  private async finalizeWon(taskIds: string[]): Promise<number> {
    try {
      const rows = await finalizeTasks(this.sql, taskIds, this.processorId);
      return rows.filter((r) => r.state !== null).length;
    } catch (err) {
      this.log.warn({ err: coerceError(err), tasks: taskIds.length }, 'batch finalization failed; finalizing one by one');
    }
    const results = await Promise.allSettled(taskIds.map((id) => finalizeTask(this.sql, id, this.processorId)));
    let done = 0;
    for (const [i, r] of results.entries()) {
      if (r.status === 'fulfilled') done++;
      else {
        this.stats.errors++;
        this.log.error({ taskId: taskIds[i], err: coerceError(r.reason) }, 'finalization failed; the claim will expire and be retried');
      }
    }
    return done;
  }

  private async run(): Promise<void> {
    const signal = this.controller.signal;
    let failures = 0;
    while (!signal.aborted) {
      try {
        const { busy, sleepMs } = await this.tick();
        failures = 0;
        if (!busy) await this.sleeper.sleep(this.sleeper.capAfterWake(sleepMs, WAKE_WINDOW_MS), signal);
      } catch (err) {
        failures++;
        this.stats.errors++;
        const backoff = Math.min(100 * 2 ** Math.min(failures, 8), 10_000);
        this.log.error({ err: coerceError(err), failures, backoffMs: backoff }, 'orchestrator tick failed; backing off');
        await this.sleeper.sleep(backoff, signal);
      }
    }
  }
}
