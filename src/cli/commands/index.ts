/**
 * The index of `weft` commands: one file per command in this folder, each exporting
 * `register<Name>(program)`. The order here is the order of `weft --help`.
 *
 * Places kept for the commands other parts of weft add (file → registrar):
 *   orchestrator.ts → registerOrchestrator   `weft orchestrator`   (src/orchestrator)
 *   worker.ts       → registerWorker         `weft worker`         (src/worker)
 *   api.ts          → registerApi            `weft api`            (src/api)
 *   task.ts         → registerTask           `weft task request|show|list|cancel|retry`
 *   workflows.ts    → registerWorkflows      `weft workflows apply|list|show`
 *   queues.ts       → registerQueues         `weft queues`
 *   claims.ts       → registerClaims         `weft claims`
 *   bench.ts        → registerBench          `weft bench`
 * Add the registrar below; the placeholder of the same name in `plannedCommands` then
 * disappears by itself (program.ts registers a placeholder only for names no registrar took).
 * A long-running command opens its runtime with
 * `openRuntime(command.optsWithGlobals(), { needsDatabase: true, schema: 'current', role: '<name>' })`
 * and stops when `runtime.signal` aborts.
 */
import type { Command } from 'commander';
import { registerApi } from './api.js';
import { registerBench } from './bench.js';
import { registerConfig } from './config.js';
import { registerDev } from './dev.js';
import { registerDoctor } from './doctor.js';
import { registerMigrate } from './migrate.js';
import { registerOrchestrator } from './orchestrator.js';
import { registerPurge } from './purge.js';
import { registerClaims, registerQueues } from './queues.js';
import { registerTask } from './task.js';
import { registerWorker } from './worker.js';
import { registerWorkflows } from './workflows.js';
import type { PlannedCommand } from './planned.js';

/** Adds one command (with its subcommands) to the program. */
export type RegisterCommand = (program: Command) => Command;

export const commandRegistry: RegisterCommand[] = [
  registerDev,
  registerMigrate,
  registerOrchestrator,
  registerWorker,
  registerApi,
  registerTask,
  registerWorkflows,
  registerQueues,
  registerClaims,
  registerBench,
  registerPurge,
  registerDoctor,
  registerConfig,
];

/** Commands named by the design and docker-compose.yml that other parts of weft will provide. */
export const plannedCommands: PlannedCommand[] = [
  { name: 'orchestrator', description: 'run an orchestrator: intake, finalization, timers, recovery' },
  { name: 'worker', description: 'run a worker for the registered step handlers' },
  { name: 'api', description: 'serve the REST API, health and metrics' },
  { name: 'task', description: 'request, show, list, cancel and retry tasks' },
  { name: 'workflows', description: 'apply and list workflow definitions' },
  { name: 'queues', description: 'show the namespace queues' },
  { name: 'claims', description: 'show finalization claims' },
  { name: 'bench', description: 'run the benchmark' },
];
