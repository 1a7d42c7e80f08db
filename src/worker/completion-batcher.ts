/**
 * Write-behind step completions for a busy worker: reports that arrive while a call is in
 * flight wait for it and then go together in one call (one transaction, one round trip). An
 * idle worker's report goes at once: batching adds no wait, it only gathers what would
 * otherwise queue up for connections.
 *
 * With a `readAlong`, each call also reads the worker's next messages in the same transaction
 * (weft.complete_steps_and_read): the children a completion made ready come back in its answer,
 * so a parent → child hand-off costs no wake-up and no extra read.
 *
 * Up to `parallel` calls (default 2) are in flight at once, so the database can work on one
 * while the next is sent and its commit flushed. Each batch locks its tasks in task id order
 * (weft.complete_steps), so concurrent batches wait for each other rather than deadlock.
 *
 * A batch is all or nothing on errors (a deadlock, a step that does not exist…): then each of
 * its reports is sent on its own through weft.complete_step, so each gets its own answer or
 * error and one bad report cannot take the others with it.
 *
 * @example
 *   const batcher = new CompletionBatcher(sql, 'worker-1');
 *   const report = await batcher.complete({ stepId, attempt: 1, result: 42 });
 */
import type { Sql } from '../db/connection.js';
import { completeStep, completeSteps, completeStepsAndRead, type Completion, type ReadMessage, type StepReport } from '../db/weft-api.js';

interface Pending {
  completion: Completion;
  /** The queue the step's message came from (where its children go). */
  queue: string | undefined;
  resolve: (report: StepReport) => void;
  reject: (err: unknown) => void;
}

/** How a worker takes messages along with its reports. */
export interface ReadAlong {
  /** Messages wanted from `queue` now (the worker's free slots, which it then holds for them). */
  reserve(queue: string): { vt: number; qty: number };
  /** The messages read (maybe fewer than reserved; none when the call failed). */
  deliver(queue: string, reserved: number, messages: ReadMessage[]): void;
}

export class CompletionBatcher {
  private queue: Pending[] = [];
  private flushing = 0;
  /** Calls made with more than one report, and messages read along, for tests and metrics. */
  batches = 0;
  readAlongMessages = 0;
  batchErrors = 0;

  constructor(
    private readonly sql: Sql,
    private readonly processorId: string,
    private readonly options: {
      maxBatch?: number;
      parallel?: number;
      readAlong?: ReadAlong;
      /** A batch call failed and its reports go one by one (the worker logs it). */
      onBatchError?: (err: unknown, reports: number) => void;
    } = {},
  ) {}

  /** Reports one completion; resolves with its own report. `queue`: where the step came from. */
  complete(completion: Completion, queue?: string): Promise<StepReport> {
    return new Promise<StepReport>((resolve, reject) => {
      this.queue.push({ completion, queue, resolve, reject });
      if (this.flushing < (this.options.parallel ?? 2)) void this.flush();
    });
  }

  private async flush(): Promise<void> {
    this.flushing++;
    try {
      // Reports of handlers that finish in this same turn of the event loop go in this call.
      await new Promise<void>((resolve) => setImmediate(resolve));
      while (this.queue.length > 0) {
        const batch = this.queue.splice(0, this.options.maxBatch ?? 100);
        await this.send(batch);
      }
    } finally {
      this.flushing--;
    }
  }

  private async send(batch: Pending[]): Promise<void> {
    const completions = batch.map((p) => p.completion);
    const queue = batch[batch.length - 1]!.queue;
    const readAlong = this.options.readAlong;
    const read = readAlong && queue !== undefined ? { queue, ...readAlong.reserve(queue) } : undefined;
    let messages: ReadMessage[] = [];
    try {
      if (read && read.qty > 0) {
        const out = await completeStepsAndRead(this.sql, completions, this.processorId, read);
        messages = out.messages;
        this.readAlongMessages += messages.length;
        if (batch.length > 1) this.batches++;
        batch.forEach((p, i) => p.resolve(out.reports[i]!));
        return;
      }
      if (batch.length === 1) return await this.one(batch[0]!);
      const reports = await completeSteps(this.sql, completions, this.processorId);
      this.batches++;
      batch.forEach((p, i) => p.resolve(reports[i]!));
    } catch (err) {
      this.batchErrors++;
      this.options.onBatchError?.(err, batch.length);
      await Promise.all(batch.map((p) => this.one(p)));
    } finally {
      if (read) readAlong!.deliver(read.queue, read.qty, messages);
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
