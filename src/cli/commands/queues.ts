/**
 * `weft queues` (depth of every weft queue) and `weft claims` (finalization claims and the
 * per-processor claim counters): what a DBA would read from weft.queue_depths, weft.claims and
 * weft.processor_stats.
 */
import type { Command } from 'commander';
import { openRuntime, type GlobalOptions } from '../runtime.js';

export function registerQueues(program: Command): Command {
  return program
    .command('queues')
    .description('show the namespace queues: depth, visible messages, oldest message age')
    .option('--json', 'print JSON')
    .action(async (o: { json?: boolean }, command: Command) => {
      const rt = await openRuntime(command.optsWithGlobals<GlobalOptions>(), { needsDatabase: true, schema: 'current', role: 'cli' });
      try {
        const rows = await rt.sql<{ queue_name: string; queue_length: string; queue_visible_length: string; oldest_msg_age_sec: number | null }[]>`
          select queue_name, queue_length, queue_visible_length, oldest_msg_age_sec from weft.queue_depths
          union all
          select m.queue_name, m.queue_length, m.queue_visible_length, m.oldest_msg_age_sec
          from pgmq.metrics('orchestration_task_requests') m
          union all
          select m.queue_name, m.queue_length, m.queue_visible_length, m.oldest_msg_age_sec
          from pgmq.metrics('orchestration_step_results') m
          order by 1`;
        if (o.json) {
          process.stdout.write(JSON.stringify(rows, null, 2) + '\n');
          return;
        }
        process.stdout.write(`${'queue'.padEnd(32)} ${'depth'.padStart(8)} ${'visible'.padStart(8)} ${'oldest (s)'.padStart(10)}\n`);
        for (const r of rows) {
          process.stdout.write(`${r.queue_name.padEnd(32)} ${String(r.queue_length).padStart(8)} ${String(r.queue_visible_length).padStart(8)} ${String(r.oldest_msg_age_sec ?? '-').padStart(10)}\n`);
        }
      } finally {
        await rt.close();
      }
    });
}

export function registerClaims(program: Command): Command {
  return program
    .command('claims')
    .description('show finalization claims (holder, expiry) and the claim counters of each orchestrator')
    .option('--json', 'print JSON')
    .action(async (o: { json?: boolean }, command: Command) => {
      const rt = await openRuntime(command.optsWithGlobals<GlobalOptions>(), { needsDatabase: true, schema: 'current', role: 'cli' });
      try {
        const claims = await rt.sql<{ task_id: string; processor_id: string; expires_at: Date; live: boolean; takeovers: number }[]>`
          select task_id, processor_id, expires_at, live, takeovers from weft.claims order by expires_at`;
        const stats = await rt.sql<{ processor_id: string; claims_attempted: string; claims_won: string; claims_contended: string; claims_taken_over: string; tasks_finalized: string; last_seen_at: Date }[]>`
          select processor_id, claims_attempted, claims_won, claims_contended, claims_taken_over, tasks_finalized, last_seen_at
          from weft.processor_stats order by processor_id`;
        if (o.json) {
          process.stdout.write(JSON.stringify({ claims, processors: stats }, null, 2) + '\n');
          return;
        }
        process.stdout.write(claims.length === 0 ? 'no claims held\n' : `${claims.length} claims:\n`);
        for (const c of claims) {
          process.stdout.write(`  ${c.task_id}  ${c.processor_id.padEnd(28)} ${c.live ? 'live' : 'EXPIRED'} until ${c.expires_at.toISOString()}${c.takeovers ? `  (${c.takeovers} takeovers)` : ''}\n`);
        }
        process.stdout.write('processors:\n');
        for (const s of stats) {
          process.stdout.write(`  ${s.processor_id.padEnd(32)} attempted ${s.claims_attempted}, won ${s.claims_won}, contended ${s.claims_contended}, taken over ${s.claims_taken_over}, finalized ${s.tasks_finalized}, last seen ${s.last_seen_at.toISOString()}\n`);
        }
      } finally {
        await rt.close();
      }
    });
}
