/**
 * Write-behind step completions for a busy worker: reports that arrive while a call is in
 * flight wait for it and then go together in one weft.complete_steps call (one transaction,
 * one round trip). An idle worker's report goes at once, alone, through weft.complete_step:
 * batching adds no wait, it only gathers what would otherwise queue up for connections.
 *
 * A batch is all or nothing on errors (a deadlock, a step that does not exist…): then each of
 * its reports is sent on its own, so each gets its own answer or error and one bad report
 * cannot take the others with it.
 *
 * @example
 *   const batcher = new CompletionBatcher(sql, 'worker-1');
 *   const report = await batcher.complete({ stepId, attempt: 1, result: 42 });
 */
import type { Sql } from '../db/connection.js';
import { completeStep, completeSteps, type Completion, type StepReport } from '../db/weft-api.js';

interface Pending {
  completion: Completion;
  resolve: (report: StepReport) => void;
  reject: (err: unknown) => void;
}

export class CompletionBatcher {
  private queue: Pending[] = [];
  private flushing = false;
  /** Batches sent (more than one report each), for tests and metrics. */
  batches = 0;

  constructor(
    private readonly sql: Sql,
    private readonly processorId: string,
    private readonly maxBatch = 100,
  ) {}

  /** Reports one completion; resolves with its own report. */
  complete(completion: Completion): Promise<StepReport> {
    return new Promise<StepReport>((resolve, reject) => {
      this.queue.push({ completion, resolve, reject });
      if (!this.flushing) void this.flush();
    });
  }

  private async flush(): Promise<void> {
    this.flushing = true;
    try {
      while (this.queue.length > 0) {
        const batch = this.queue.splice(0, this.maxBatch);
        if (batch.length === 1) {
          await this.one(batch[0]!);
          continue;
        }
        try {
          const reports = await completeSteps(this.sql, batch.map((p) => p.completion), this.processorId);
          this.batches++;
          batch.forEach((p, i) => p.resolve(reports[i]!));
        } catch {
          await Promise.all(batch.map((p) => this.one(p)));
        }
      }
    } finally {
      this.flushing = false;
    }
  }

  private async one(p: Pending): Promise<void> {
    const c = p.completion;
    try {
      p.resolve(await completeStep(this.sql, c.stepId, c.attempt, c.result, this.processorId));
    } catch (err) {
      p.reject(err);
    }
  }
}
