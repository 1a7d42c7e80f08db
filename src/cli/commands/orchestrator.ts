/**
 * `weft orchestrator`: runs one orchestrator until SIGINT/SIGTERM (see src/orchestrator).
 */
import type { Command } from 'commander';
import { Orchestrator } from '../../orchestrator/orchestrator.js';
import { orchestratorOptions } from '../engine-options.js';
import { retryTransient } from '../../db/connection.js';
import { openRuntime, type GlobalOptions } from '../runtime.js';

export function registerOrchestrator(program: Command): Command {
  return program
    .command('orchestrator')
    .description('run an orchestrator: task-request intake, timers, finalization claims')
    .option('--processor-id <id>', 'name of this orchestrator in claims and transitions')
    .action(async (options: { processorId?: string }, command: Command) => {
      const rt = await openRuntime(command.optsWithGlobals<GlobalOptions>(), { needsDatabase: true, schema: 'current', role: 'orchestrator' });
      try {
        const processorId = options.processorId ?? rt.config.orchestrator.processor_id ?? 'orchestrator';
        const orchestrator = new Orchestrator(orchestratorOptions(rt.config, rt.sql, rt.logger, processorId));
        // The server can restart while this process starts (a fleet restart): try again.
        await retryTransient(() => orchestrator.start(), { attempts: rt.config.database.connect_attempts });
        await new Promise<void>((resolve) => rt.signal.addEventListener('abort', () => resolve(), { once: true }));
        await orchestrator.stop();
      } finally {
        await rt.close();
      }
    });
}
