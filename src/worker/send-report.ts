/**
 * How the worker SDK sends a step report (complete or fail): retries transient failures and
 * gives up after a few tries (the lease then expires and the step is redone). A message naming
 * a step that does not exist (WF006) or an attempt never started (WF007 raised) can never be
 * applied: it is dead-lettered (archived, with the SQLSTATE) instead of coming back after
 * every lease.
 */
import type { Sql } from '../db/connection.js';
import { WeftSqlState, coerceError, sqlStateOf } from '../db/errors.js';
import type { Logger } from '../observability/logger.js';

/** The step whose report is sent, and where its failures are counted and logged. */
export interface ReportTarget {
  sql: Sql;
  processorId: string;
  stats: { deadLettered: number; errors: number };
  log: Logger;
  /** The queue and message the step came from (dead letters name them). */
  queue: string;
  msgId: string;
}

/** Sends `send()` with retries; undefined when it gave up or dead-lettered the message. */
export async function sendReport<T>(target: ReportTarget, send: () => Promise<T>): Promise<T | undefined> {
  const { sql, log } = target;
  for (let attempt = 1; ; attempt++) {
    try {
      return await send();
    } catch (err) {
      const e = coerceError(err);
      const code = sqlStateOf(err);
      if (code === WeftSqlState.stepNotFound || code === WeftSqlState.staleAttempt) {
        target.stats.deadLettered++;
        log.error({ err: e, queue: target.queue, msgId: target.msgId }, 'step message names no such step or attempt; dead-lettered');
        await sql`select weft.dead_letter_message(queue_name => ${target.queue}, msg_id => ${target.msgId}::bigint, reason => ${e.message}, processor_id => ${target.processorId}, sqlstate => ${code})`.catch(
          (dlErr: unknown) => log.error({ err: coerceError(dlErr) }, 'could not dead-letter the step message'),
        );
        return undefined;
      }
      if (attempt >= 5 || code?.startsWith('WF')) {
        target.stats.errors++;
        log.error({ err: e }, 'could not report the step result');
        return undefined;
      }
      await new Promise((r) => setTimeout(r, 100 * 2 ** attempt));
    }
  }
}
