/**
 * `weft worker`: runs a worker with handlers from a module (`--handlers ./handlers.js`, which
 * exports `handlers` (name → function), a default export of that shape, or
 * `register(worker)`), or a built-in set (`--builtin scenarios`).
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Command } from 'commander';
import { ConfigError } from '../../db/errors.js';
import { scenarioHandlers } from '../../examples/scenario-handlers.js';
import { exampleHandlers } from '../../examples/order-fulfillment.js';
import type { StepHandler } from '../../worker/handler.js';
import { Worker } from '../../worker/worker.js';
import { workerOptions } from '../engine-options.js';
import { retryTransient } from '../../db/connection.js';
import { openRuntime, type GlobalOptions } from '../runtime.js';

const builtins: Record<string, Record<string, StepHandler>> = { scenarios: scenarioHandlers, examples: exampleHandlers };

/** Loads handlers from a module path into the worker. */
export async function loadHandlerModule(worker: Worker, path: string): Promise<void> {
  const mod = (await import(pathToFileURL(resolve(path)).href)) as {
    handlers?: Record<string, StepHandler>;
    default?: Record<string, StepHandler> | ((w: Worker) => unknown);
    register?: (w: Worker) => unknown;
  };
  if (typeof mod.register === 'function') await mod.register(worker);
  else if (typeof mod.default === 'function') await mod.default(worker);
  const table = mod.handlers ?? (typeof mod.default === 'object' ? mod.default : undefined);
  for (const [name, fn] of Object.entries(table ?? {})) worker.register(name, fn);
  if (worker.handlerNames().length === 0) {
    throw new ConfigError(`Handler module ${path} registered no handlers (export \`handlers\`, a default object, or \`register(worker)\`).`);
  }
}

export function registerWorker(program: Command): Command {
  return program
    .command('worker')
    .description('run a worker for the registered step handlers')
    .option('--handlers <module>', 'module that exports the step handlers')
    .option('--builtin <set>', `built-in handler set: ${Object.keys(builtins).join(', ')}`)
    .option('--namespace <name...>', 'namespaces to work (default: worker.namespaces, or all)')
    .option('--concurrency <n>', 'steps run at once', (v) => Number.parseInt(v, 10))
    .option('--processor-id <id>', 'name of this worker in transitions')
    .action(async (options: { handlers?: string; builtin?: string; namespace?: string[]; concurrency?: number; processorId?: string }, command: Command) => {
      if (!options.handlers && !options.builtin) throw new ConfigError('weft worker needs --handlers <module> or --builtin <set>.');
      if (options.builtin && !builtins[options.builtin]) {
        throw new ConfigError(`Unknown --builtin ${JSON.stringify(options.builtin)}; choose one of ${Object.keys(builtins).join(', ')}.`);
      }
      if (options.concurrency !== undefined && !(options.concurrency >= 1)) {
        throw new ConfigError(`--concurrency must be a whole number >= 1, got ${String(options.concurrency)}.`);
      }
      const rt = await openRuntime(command.optsWithGlobals<GlobalOptions>(), { needsDatabase: true, schema: 'current', role: 'worker' });
      try {
        const worker = new Worker(
          workerOptions(rt.config, rt.sql, rt.logger, options.processorId ?? `worker-${process.pid}`, {
            namespaces: options.namespace,
            concurrency: options.concurrency,
          }),
        );
        if (options.builtin) for (const [name, fn] of Object.entries(builtins[options.builtin]!)) worker.register(name, fn);
        if (options.handlers) await loadHandlerModule(worker, options.handlers);
        // The server can restart while this process starts (a fleet restart): try again.
        await retryTransient(() => worker.start(), { attempts: rt.config.database.connect_attempts });
        await new Promise<void>((r) => rt.signal.addEventListener('abort', () => r(), { once: true }));
        await worker.stop();
      } finally {
        await rt.close();
      }
      // A handler that ignores its AbortSignal must not keep a stopped worker alive past the
      // grace period: its attempt was released (or its lease runs out), so the process ends.
      setTimeout(() => process.exit(process.exitCode ?? 0), 1000).unref();
    });
}
