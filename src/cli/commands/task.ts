/**
 * `weft task request|show|list|cancel`.
 */
import { InvalidArgumentError, type Command } from 'commander';
import { Weft } from '../../client/client.js';
import type { TaskView } from '../../client/tasks.js';
import type { Sql } from '../../db/connection.js';
import { ConfigError, WeftError } from '../../db/errors.js';
import type { PriorityName, TaskState } from '../../db/weft-api.js';
import { openRuntime, type GlobalOptions } from '../runtime.js';

const stateMark: Record<string, string> = {
  complete: '✔', error: '✖', cancelled: '⊘', enqueued: '…', waiting_retry: '↻', pending: '·', skipped: '»',
};

/** The DAG of a task, one line per step. */
export function formatTask(task: TaskView): string {
  const lines = [
    `task ${task.task_id}  ${task.namespace}/${task.workflow_name}@${task.workflow_version}  ${task.state}  priority ${task.priority}`,
    `  context ${JSON.stringify(task.context)}`,
  ];
  for (const s of task.steps) {
    const detail = s.state === 'complete' ? `→ ${JSON.stringify(s.result)}` : s.error ? `! ${JSON.stringify(s.error)}` : '';
    lines.push(`  ${stateMark[s.state] ?? '?'} ${s.name.padEnd(20)} ${s.state.padEnd(13)} attempt ${s.attempt}/${s.max_attempts}${s.depends_on.length ? `  after ${s.depends_on.join(', ')}` : ''}  ${detail}`);
  }
  if (task.result !== null) lines.push(`  result ${JSON.stringify(task.result)}`);
  if (task.error !== null) lines.push(`  error  ${JSON.stringify(task.error)}`);
  return lines.join('\n') + '\n';
}

function parseJsonObject(text: string, what: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new ConfigError(`${what} is not valid JSON: ${(err as Error).message}`);
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) throw new ConfigError(`${what} must be a JSON object, got ${text}`);
  return value as Record<string, unknown>;
}

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A task id argument, checked before any database work (exit 2 when it is not a UUID). */
function taskIdArg(text: string): string {
  if (!uuidPattern.test(text)) throw new ConfigError(`Not a task id (a UUID): ${JSON.stringify(text)}`);
  return text;
}

/** Commander parser of a flag that must be a whole number >= 1; anything else is a usage error (exit 2). */
function wholeNumber(value: string): number {
  const n = Number(value);
  if (!/^\s*\d+\s*$/.test(value) || n < 1) throw new InvalidArgumentError('It must be a whole number >= 1.');
  return n;
}

export function registerTask(program: Command): Command {
  const cmd = program.command('task').description('request, show, list and cancel tasks');
  cmd
    .command('request')
    .description('request a task of a workflow')
    .argument('<ref>', 'namespace/workflow')
    .option('--context <json>', 'the task input, a JSON object', '{}')
    // not --version: the program's own --version is recognised after the subcommand too and would win
    .option('--workflow-version <v>', 'workflow version (default: latest)')
    .option('--key <idempotency-key>', 'idempotency key')
    .option('--priority <name>', 'critical, high, normal, low or background', 'normal')
    .option('--run-after <iso-time>', 'start no earlier than this time')
    .option('--wait', 'wait until the task finishes and show it')
    .option('--timeout <ms>', 'with --wait: give up after this many ms', wholeNumber, 60_000)
    .action(async (ref: string, o: { context: string; workflowVersion?: string; key?: string; priority: string; runAfter?: string; wait?: boolean; timeout: number }, command: Command) => {
      const [namespace, workflow] = ref.split('/');
      if (!namespace || !workflow) throw new ConfigError(`Expected namespace/workflow, got ${JSON.stringify(ref)}.`);
      const context = parseJsonObject(o.context, '--context');
      const runAfter = o.runAfter ? new Date(o.runAfter) : undefined;
      if (runAfter && Number.isNaN(runAfter.getTime())) throw new ConfigError(`--run-after is not a date: ${JSON.stringify(o.runAfter)}`);
      const rt = await openRuntime(command.optsWithGlobals<GlobalOptions>(), { needsDatabase: true, schema: 'current', role: 'cli' });
      const weft = new Weft({ sql: rt.sql });
      try {
        const taskId = await weft.requestTask({
          namespace, workflow, context, version: o.workflowVersion, idempotencyKey: o.key, priority: o.priority as PriorityName, runAfter, requestedBy: 'cli',
        });
        if (!o.wait) {
          process.stdout.write(`${taskId}\n`);
          return;
        }
        const task = await weft.waitForTask(taskId, { timeoutMs: o.timeout });
        process.stdout.write(formatTask(task));
        if (task.state !== 'complete') process.exitCode = 1;
      } finally {
        await rt.close();
      }
    });
  cmd
    .command('show')
    .description('show a task: each step with its state, attempts, result or error')
    .argument('<task-id>')
    .option('--json', 'print JSON')
    .action(async (taskId: string, o: { json?: boolean }, command: Command) => {
      taskIdArg(taskId);
      const rt = await openRuntime(command.optsWithGlobals<GlobalOptions>(), { needsDatabase: true, schema: 'current', role: 'cli' });
      try {
        const task = await new Weft({ sql: rt.sql }).getTask(taskId);
        if (!task) throw new WeftError(`Task ${taskId} not found.`);
        process.stdout.write(o.json ? JSON.stringify(task, null, 2) + '\n' : formatTask(task));
      } finally {
        await rt.close();
      }
    });
  cmd
    .command('list')
    .description('list tasks, newest first')
    .option('--state <state>', 'pending, running, finalizing, complete, error or cancelled')
    .option('--namespace <name>')
    .option('--workflow <name>')
    .option('--limit <n>', 'at most this many', wholeNumber, 20)
    .action(async (o: { state?: TaskState; namespace?: string; workflow?: string; limit: number }, command: Command) => {
      const rt = await openRuntime(command.optsWithGlobals<GlobalOptions>(), { needsDatabase: true, schema: 'current', role: 'cli' });
      try {
        const rows = await new Weft({ sql: rt.sql }).listTasks({ state: o.state, namespace: o.namespace, workflow: o.workflow, limit: o.limit });
        if (rows.length === 0) process.stdout.write('no tasks\n');
        for (const r of rows) {
          process.stdout.write(`${r.task_id}  ${`${r.namespace}/${r.workflow_name}`.padEnd(32)} ${r.state.padEnd(10)} ${r.steps_done}/${r.steps_total} steps  ${r.created_at.toISOString()}\n`);
        }
      } finally {
        await rt.close();
      }
    });
  const who = (o: { by?: string }) => o.by ?? process.env.USER ?? 'cli';
  /** Resolves `<task-id> <step-name>` to a step id. */
  const stepIdOf = async (sql: Sql, taskId: string, step: string): Promise<string> => {
    const [row] = await sql<{ step_id: string }[]>`select step_id from weft.steps where task_id = ${taskId} and name = ${step}`;
    if (!row) throw new WeftError(`Task ${taskId} has no step ${JSON.stringify(step)}.`);
    return row.step_id;
  };
  cmd
    .command('retry')
    .description('run a failed task again from where it failed (or one step: --step)')
    .argument('<task-id>')
    .option('--step <name>', 'retry only this step (due now if waiting for its backoff)')
    .option('--by <name>', 'who asks (audited; default $USER)')
    .action(async (taskId: string, o: { step?: string; by?: string }, command: Command) => {
      taskIdArg(taskId);
      const rt = await openRuntime(command.optsWithGlobals<GlobalOptions>(), { needsDatabase: true, schema: 'current', role: 'cli' });
      try {
        const weft = new Weft({ sql: rt.sql });
        const state = o.step ? await weft.retryStep(await stepIdOf(rt.sql, taskId, o.step), who(o)) : await weft.retryTask(taskId, who(o));
        process.stdout.write(`${taskId}${o.step ? ` ${o.step}` : ''} ${state}\n`);
      } finally {
        await rt.close();
      }
    });
  cmd
    .command('resolve')
    .description('complete a step by hand with a result (its children then run)')
    .argument('<task-id>')
    .argument('<step>', 'step name')
    .option('--result <json>', 'the step result, JSON', 'null')
    .option('--by <name>', 'who resolves (audited; default $USER)')
    .action(async (taskId: string, step: string, o: { result: string; by?: string }, command: Command) => {
      taskIdArg(taskId);
      let result: unknown;
      try {
        result = JSON.parse(o.result);
      } catch (err) {
        throw new ConfigError(`--result is not valid JSON: ${(err as Error).message}`);
      }
      const rt = await openRuntime(command.optsWithGlobals<GlobalOptions>(), { needsDatabase: true, schema: 'current', role: 'cli' });
      try {
        const state = await new Weft({ sql: rt.sql }).resolveStep(await stepIdOf(rt.sql, taskId, step), result, who(o));
        process.stdout.write(`${taskId} ${step} resolved; task ${state}\n`);
      } finally {
        await rt.close();
      }
    });
  cmd
    .command('skip')
    .description('skip a step (null result; its children run)')
    .argument('<task-id>')
    .argument('<step>', 'step name')
    .option('--by <name>', 'who skips (audited; default $USER)')
    .action(async (taskId: string, step: string, o: { by?: string }, command: Command) => {
      taskIdArg(taskId);
      const rt = await openRuntime(command.optsWithGlobals<GlobalOptions>(), { needsDatabase: true, schema: 'current', role: 'cli' });
      try {
        const state = await new Weft({ sql: rt.sql }).skipStep(await stepIdOf(rt.sql, taskId, step), who(o));
        process.stdout.write(`${taskId} ${step} skipped; task ${state}\n`);
      } finally {
        await rt.close();
      }
    });
  cmd
    .command('cancel')
    .description('cancel a task (and its child tasks)')
    .argument('<task-id>')
    .option('--reason <text>')
    .action(async (taskId: string, o: { reason?: string }, command: Command) => {
      taskIdArg(taskId);
      const rt = await openRuntime(command.optsWithGlobals<GlobalOptions>(), { needsDatabase: true, schema: 'current', role: 'cli' });
      try {
        const state = await new Weft({ sql: rt.sql }).cancelTask(taskId, o.reason, 'cli');
        process.stdout.write(`${taskId} ${state}\n`);
      } finally {
        await rt.close();
      }
    });
  return cmd;
}
