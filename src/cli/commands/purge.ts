/**
 * `weft purge`: retention. Deletes finished tasks (with steps and audit rows), frees old
 * idempotency keys, and trims queue archives and dead letters, each by age. Intervals are
 * PostgreSQL intervals ("30 days", "12 hours").
 */
import type { Command } from 'commander';
import { ConfigError } from '../../db/errors.js';
import { openRuntime, type GlobalOptions } from '../runtime.js';

interface PurgeOptions {
  tasksOlderThan: string;
  keysOlderThan: string;
  archivesOlderThan: string;
  deadLettersOlderThan: string;
  batch: number;
}

export function registerPurge(program: Command): Command {
  return program
    .command('purge')
    .description('retention: delete finished tasks, old idempotency keys, queue archives and dead letters')
    .option('--tasks-older-than <interval>', 'finished tasks (and their steps, transitions)', '30 days')
    .option('--keys-older-than <interval>', 'idempotency keys (the dedupe window)', '24 hours')
    .option('--archives-older-than <interval>', 'archived queue messages', '7 days')
    .option('--dead-letters-older-than <interval>', 'dead letters', '30 days')
    .option('--batch <n>', 'tasks deleted per transaction', (v) => Number.parseInt(v, 10), 10_000)
    .action(async (o: PurgeOptions, command: Command) => {
      if (!(o.batch >= 1)) throw new ConfigError(`--batch must be a whole number >= 1, got ${String(o.batch)}.`);
      const rt = await openRuntime(command.optsWithGlobals<GlobalOptions>(), { needsDatabase: true, schema: 'current', role: 'purge' });
      try {
        for (const [flag, value] of Object.entries({ '--tasks-older-than': o.tasksOlderThan, '--keys-older-than': o.keysOlderThan, '--archives-older-than': o.archivesOlderThan, '--dead-letters-older-than': o.deadLettersOlderThan })) {
          try {
            await rt.sql`select ${value}::interval`;
          } catch {
            throw new ConfigError(`${flag} is not a PostgreSQL interval: ${JSON.stringify(value)} (try "30 days").`);
          }
        }
        let tasks = 0;
        for (;;) {
          const [row] = await rt.sql<{ n: number }[]>`select weft.purge_finished_tasks(${o.tasksOlderThan}::interval, ${o.batch}) as n`;
          tasks += row!.n;
          if (process.stderr.isTTY) process.stderr.write(`\rtasks deleted: ${tasks}`);
          if (row!.n < o.batch) break;
        }
        if (process.stderr.isTTY) process.stderr.write('\n');
        const [keys] = await rt.sql<{ n: number }[]>`select weft.purge_idempotency_keys(${o.keysOlderThan}::interval) as n`;
        const [archives] = await rt.sql<{ n: string }[]>`select weft.purge_queue_archives(${o.archivesOlderThan}::interval) as n`;
        const [dead] = await rt.sql<{ n: number }[]>`select weft.purge_dead_letters(${o.deadLettersOlderThan}::interval) as n`;
        process.stdout.write(
          `purged: ${tasks} finished tasks, ${keys!.n} idempotency keys, ${archives!.n} archived messages, ${dead!.n} dead letters\n`,
        );
      } finally {
        await rt.close();
      }
    });
}
