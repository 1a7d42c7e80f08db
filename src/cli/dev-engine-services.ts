/**
 * The engine's `weft dev` services: an orchestrator, a worker with the example and scenario
 * handlers, and the example — the order fulfilment workflow (src/examples/order-fulfillment.ts)
 * registered, one order requested, and its DAG printed when it (and its child tasks) finish.
 */
import { Weft } from '../client/client.js';
import { exampleHandlers, exampleWorkflows, sampleOrder } from '../examples/order-fulfillment.js';
import { scenarioHandlers } from '../examples/scenario-handlers.js';
import { Orchestrator } from '../orchestrator/orchestrator.js';
import { defaultProcessorId } from '../util/wake-sleep.js';
import { Worker } from '../worker/worker.js';
import type { DevContext, DevService } from './dev-services.js';
import { formatTask } from './commands/task.js';
import { orchestratorOptions, workerOptions } from './engine-options.js';

export const orchestratorService: DevService = {
  name: 'orchestrator',
  async start(ctx: DevContext) {
    const processorId = ctx.config.orchestrator.processor_id ?? (await defaultProcessorId('orchestrator'));
    const orchestrator = new Orchestrator(orchestratorOptions(ctx.config, ctx.sql, ctx.logger, processorId));
    await orchestrator.start();
    return { stop: () => orchestrator.stop() };
  },
};

export const workerService: DevService = {
  name: 'worker',
  async start(ctx: DevContext) {
    const worker = new Worker(workerOptions(ctx.config, ctx.sql, ctx.logger, await defaultProcessorId('worker')));
    for (const [name, fn] of Object.entries({ ...scenarioHandlers, ...exampleHandlers })) worker.register(name, fn);
    // Register the example workflows before the worker lists namespaces, so it reads their queues.
    const weft = new Weft({ sql: ctx.sql });
    for (const wf of exampleWorkflows) await weft.registerWorkflow(wf);
    await worker.start();
    return { stop: () => worker.stop() };
  },
};

let exampleOutcome: Promise<string> | undefined;

/** Requests one order and prints the finished task with its child tasks. */
async function runExample(ctx: DevContext): Promise<string> {
  const weft = new Weft({ sql: ctx.sql });
  const log = ctx.logger.child({ component: 'example' });
  const taskId = await weft.requestTask({ namespace: 'fulfillment', workflow: 'order_fulfillment', context: { ...sampleOrder() }, requestedBy: 'weft dev' });
  log.info({ taskId }, 'example order requested: fulfillment/order_fulfillment');
  const task = await weft.waitForTask(taskId, { timeoutMs: 60_000 });
  const children = await ctx.sql<{ task_id: string }[]>`select task_id from weft.tasks where parent_task_id = ${taskId} order by task_id`;
  let out = formatTask(task);
  for (const c of children) out += formatTask(await weft.waitForTask(c.task_id, { timeoutMs: 60_000 }));
  process.stdout.write(`\n${out}\n`);
  if (task.state !== 'complete') throw new Error(`the example order ended ${task.state}`);
  return `example order ${taskId} complete with ${children.length} child tasks`;
}

export const exampleService: DevService = {
  name: 'example',
  async start(ctx: DevContext) {
    exampleOutcome = runExample(ctx);
    exampleOutcome.catch((err: unknown) => ctx.logger.error({ err }, 'the example order failed'));
    return { stop: async () => undefined };
  },
  async check() {
    if (!exampleOutcome) throw new Error('the example did not start');
    return exampleOutcome;
  },
};
