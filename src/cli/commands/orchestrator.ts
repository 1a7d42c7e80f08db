/**
 * `weft orchestrator`: runs one orchestrator until SIGINT/SIGTERM (see src/orchestrator).
 */
import type { Command } from 'commander';
import { Orchestrator } from '../../orchestrator/orchestrator.js';
import { openRuntime, type GlobalOptions } from '../runtime.js';

export function registerOrchestrator(program: Command): Command {
  return program
    .command('orchestrator')
    .description('run an orchestrator: task-request intake, timers, finalization claims')
    .option('--processor-id <id>', 'name of this orchestrator in claims and transitions')
    .action(async (options: { processorId?: string }, command: Command) => {
      const rt = await openRuntime(command.optsWithGlobals<GlobalOptions>(), { needsDatabase: true, schema: 'current', role: 'orchestrator' });
      try {
        const cfg = rt.config.orchestrator;
        const orchestrator = new Orchestrator({
          sql: rt.sql,
          logger: rt.logger,
          processorId: options.processorId ?? cfg.processor_id ?? 'orchestrator',
          pollIntervalMs: cfg.poll_interval_ms,
          batchSize: cfg.batch_size,
          claimTtlMs: cfg.claim_ttl_ms,
        });
        await orchestrator.start();
        await new Promise<void>((resolve) => rt.signal.addEventListener('abort', () => resolve(), { once: true }));
        await orchestrator.stop();
      } finally {
        await rt.close();
      }
    });
}
