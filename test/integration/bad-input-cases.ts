/**
 * The bad-input cases of the CLI (bad-input-cli.test.ts) and of queue messages
 * (bad-input-queues.test.ts), as plain data so that scripts/bad-input-table.ts can print them into
 * docs/errors.md ("The bad-input table") and a test can check that the docs list them all.
 *
 * Placeholders, filled in by the tests:
 *   {dir}      a temporary folder holding `workflowFiles`
 *   {running}  a running task (namespace bad, workflow w: a → b), requested with key "used-key"
 *   {enqueued} a step of a running task on attempt 1 (queue cases: namespace badq)
 *   {retried}  a step whose attempt 1 failed and whose attempt 2 is running (namespace badq)
 *   {wq_step}  a step on attempt 1 in namespace badwq (the worker's queue); {wq_task} its task
 *   {unknown}  a uuid no row has
 */

/** The uuid no task or step has. */
export const UNKNOWN_ID = '00000000-0000-7000-8000-000000000bad';

/** One `weft` command that must fail (or, with exit 0, succeed without changing anything). */
export interface CliCase {
  what: string;
  args: string[];
  exit: number;
  /** A fragment of the one line on stderr (exit ≠ 0) … */
  stderr?: string;
  /** … or of stdout (exit 0). */
  stdout?: string;
}

/** Files written under {dir} before the CLI cases run. */
export const workflowFiles: Record<string, string> = {
  'cycle.yaml': 'namespace: bad\nname: cyc\nversion: "1"\nsteps:\n  - {name: a, handler: h, depends_on: [b]}\n  - {name: b, handler: h, depends_on: [a]}\n',
  'duplicate.yaml': 'namespace: bad\nname: dup\nversion: "1"\nsteps:\n  - {name: a, handler: h}\n  - {name: a, handler: h}\n',
  'invalid.yaml': 'namespace: bad\nname: [oops\n',
  'negative-timeout.yaml': 'namespace: bad\nname: neg\nversion: "1"\nsteps:\n  - {name: a, handler: h, timeout_ms: -5}\n',
  'quoted-namespace.yaml': `namespace: "x'; drop table weft.tasks; --"\nname: q\nversion: "1"\nsteps:\n  - {name: a, handler: h}\n`,
  'mixed/a-valid.yaml': 'namespace: bad\nname: fine\nversion: "1"\nsteps:\n  - {name: a, handler: h}\n',
  'mixed/b-cycle.yaml': 'namespace: bad\nname: loop\nversion: "1"\nsteps:\n  - {name: a, handler: h, depends_on: [a]}\n',
};

const sneaky = "x'; drop table weft.tasks; --";

export const cliCases: CliCase[] = [
  // task request
  { what: 'task request: malformed --context JSON', args: ['task', 'request', 'bad/w', '--context', '{"n": 2'], exit: 2, stderr: '--context is not valid JSON' },
  { what: 'task request: --context is a JSON array', args: ['task', 'request', 'bad/w', '--context', '[1, 2]'], exit: 2, stderr: '--context must be a JSON object, got [1, 2]' },
  { what: 'task request: unknown priority', args: ['task', 'request', 'bad/w', '--priority', 'URGENT'], exit: 1, stderr: 'unknown priority "URGENT"' },
  { what: 'task request: --run-after not a date', args: ['task', 'request', 'bad/w', '--run-after', 'soon'], exit: 2, stderr: '--run-after is not a date: "soon"' },
  { what: 'task request: negative --timeout', args: ['task', 'request', 'bad/w', '--wait', '--timeout', '-5'], exit: 2, stderr: "option '--timeout <ms>' argument '-5' is invalid. It must be a whole number >= 1." },
  { what: 'task request: --timeout not a number', args: ['task', 'request', 'bad/w', '--wait', '--timeout', 'abc'], exit: 2, stderr: "option '--timeout <ms>' argument 'abc' is invalid." },
  { what: 'task request: unknown workflow', args: ['task', 'request', 'bad/nope'], exit: 1, stderr: 'workflow bad/nope not found' },
  { what: 'task request: unknown version', args: ['task', 'request', 'bad/w', '--workflow-version', '9.9.9'], exit: 1, stderr: 'workflow bad/w not found (version 9.9.9)' },
  { what: 'task request: ref without a workflow name', args: ['task', 'request', 'bad/'], exit: 2, stderr: 'Expected namespace/workflow, got "bad/"' },
  { what: 'task request: namespace with a quote and a semicolon', args: ['task', 'request', `${sneaky}/w`], exit: 1, stderr: `workflow ${sneaky}/w not found` },
  { what: 'task request: idempotency key reused for another context', args: ['task', 'request', 'bad/w', '--key', 'used-key', '--context', '{"n": 99}'], exit: 1, stderr: 'idempotency key "used-key" was already used for a different request' },
  // task show / list / cancel / retry / resolve / skip
  { what: 'task show: not a uuid', args: ['task', 'show', 'nope'], exit: 2, stderr: 'Not a task id (a UUID): "nope"' },
  { what: 'task show: unknown task', args: ['task', 'show', '{unknown}'], exit: 1, stderr: 'Task {unknown} not found.' },
  { what: 'task list: --limit 0', args: ['task', 'list', '--limit', '0'], exit: 2, stderr: "option '--limit <n>' argument '0' is invalid." },
  { what: 'task list: unknown --state', args: ['task', 'list', '--state', 'bogus'], exit: 1, stderr: 'invalid input value for enum weft.task_state: "bogus"' },
  { what: 'task list: --namespace with a quote and a semicolon is only data', args: ['task', 'list', '--namespace', sneaky], exit: 0, stdout: 'no tasks' },
  { what: 'task cancel: unknown task', args: ['task', 'cancel', '{unknown}'], exit: 1, stderr: 'task {unknown} not found' },
  { what: 'task cancel: id with a semicolon', args: ['task', 'cancel', '1; drop table weft.tasks'], exit: 2, stderr: 'Not a task id (a UUID): "1; drop table weft.tasks"' },
  { what: 'task retry: a running task', args: ['task', 'retry', '{running}'], exit: 1, stderr: 'task {running} is running; only a task in error can be reopened' },
  { what: 'task retry --step: an enqueued step', args: ['task', 'retry', '{running}', '--step', 'a'], exit: 1, stderr: 'is enqueued; only a step in error or waiting_retry can be retried' },
  { what: 'task resolve: --result not JSON', args: ['task', 'resolve', '{running}', 'a', '--result', '{oops'], exit: 2, stderr: '--result is not valid JSON' },
  { what: 'task skip: unknown step name with a quote', args: ['task', 'skip', '{running}', "a'; --"], exit: 1, stderr: `Task {running} has no step "a'; --".` },
  // workflows
  { what: 'workflows apply: a cycle', args: ['workflows', 'apply', '{dir}/cycle.yaml'], exit: 1, stderr: 'workflow "cyc" has a cycle: a -> b -> a' },
  { what: 'workflows apply: a duplicate step', args: ['workflows', 'apply', '{dir}/duplicate.yaml'], exit: 1, stderr: 'workflow "dup": duplicate step name "a"' },
  { what: 'workflows apply: invalid YAML', args: ['workflows', 'apply', '{dir}/invalid.yaml'], exit: 1, stderr: '{dir}/invalid.yaml is not valid YAML' },
  { what: 'workflows apply: a missing path', args: ['workflows', 'apply', '{dir}/missing.yaml'], exit: 1, stderr: 'No such file or folder: {dir}/missing.yaml' },
  { what: 'workflows apply: a negative timeout', args: ['workflows', 'apply', '{dir}/negative-timeout.yaml'], exit: 1, stderr: 'step "a": timeout_ms must be a positive whole number of milliseconds, got -5' },
  { what: 'workflows apply: namespace with a quote and a semicolon', args: ['workflows', 'apply', '{dir}/quoted-namespace.yaml'], exit: 1, stderr: `workflow namespace must match ^[a-z][a-z0-9_]{0,46}$, got "${sneaky}"` },
  { what: 'workflows apply: a folder with one valid and one cyclic file applies neither', args: ['workflows', 'apply', '{dir}/mixed'], exit: 1, stderr: '{dir}/mixed/b-cycle.yaml: step "a" depends on itself' },
  { what: 'workflows show: ref without a name', args: ['workflows', 'show', 'bad/'], exit: 2, stderr: 'Expected namespace/name, got "bad/"' },
  // worker, purge
  { what: 'worker: no handlers', args: ['worker'], exit: 2, stderr: 'weft worker needs --handlers <module> or --builtin <set>' },
  { what: 'worker: unknown --builtin', args: ['worker', '--builtin', 'nope'], exit: 2, stderr: 'Unknown --builtin "nope"; choose one of scenarios, examples' },
  { what: 'worker: --concurrency 0', args: ['worker', '--builtin', 'scenarios', '--concurrency', '0'], exit: 2, stderr: '--concurrency must be a whole number >= 1, got 0' },
  { what: 'worker: a missing handler module', args: ['worker', '--handlers', '{dir}/missing-handlers.js'], exit: 1, stderr: 'Cannot find module' },
  { what: 'purge: --tasks-older-than not an interval', args: ['purge', '--tasks-older-than', 'soon'], exit: 2, stderr: '--tasks-older-than is not a PostgreSQL interval: "soon"' },
];

/** Size limits: inputs that are accepted, or refused before weft runs. */
export interface LimitCase {
  surface: 'CLI' | 'queue: orchestration_task_requests';
  what: string;
  /** The input, abbreviated (shown as code), and its size. */
  input: string;
  size: string;
  outcome: string;
}

export const limitCases: LimitCase[] = [
  {
    surface: 'CLI',
    what: 'task request: a 100 KB --context',
    input: 'weft task request bad/w --context \'{"blob": "zzz…"}\'',
    size: '100,000 characters',
    outcome: 'accepted: exit 0, the task id on stdout, the context stored whole',
  },
  {
    surface: 'CLI',
    what: 'task request: a 20 MB --context',
    input: 'weft task request bad/w --context \'{"blob": "zzz…"}\'',
    size: '20,000,000 characters',
    outcome:
      'refused by the operating system before weft starts (E2BIG: one argument holds at most 128 KiB on Linux); nothing changed. Big inputs go through SQL, the request queue or the API (at most 5 MiB)',
  },
  {
    surface: 'queue: orchestration_task_requests',
    what: 'task request: a 20 MB context',
    input: '{"namespace": "badq", "workflow": "one", "context": {"blob": "zzz…"}}',
    size: '20 MB',
    outcome: 'accepted: the task is created and its step message carries the whole context (PostgreSQL caps one jsonb value at 255 MB)',
  },
];

/** A queue message weft cannot use, and where it must end. */
export interface QueueCase {
  what: string;
  /** orchestration queues are read by weft.orchestrator_tick; badwq is a namespace queue read by the TS Worker. */
  queue: 'orchestration_task_requests' | 'orchestration_step_results' | 'badwq';
  /** JSON text of the message (placeholders allowed); null sends an SQL NULL. */
  message: string | null;
  /** dead_letter: weft.dead_letters + the queue's archive; rejected: weft.rejected_results + the archive. */
  ends: 'dead_letter' | 'rejected';
  /** SQLSTATE recorded with the dead letter (null: refused by the worker's message parser, no SQL error). */
  sqlstate: string | null;
  /** Fragment of the dead letter's reason (or the rejected result's reason). */
  reason: string;
}

const result = (fields: string): string => `{"step_id": "{enqueued}", ${fields}}`;
/** A step message for badwq that is well formed except where `over` says. */
const stepMessage = (over: Record<string, unknown>, drop: string[] = []): string => {
  const base: Record<string, unknown> = {
    task_id: '{wq_task}', step_id: '{wq_step}', namespace: 'badwq', workflow: { name: 'one', version: '1.0.0' },
    step: 'only', handler: 'echo', attempt: 1, max_attempts: 3,
  };
  for (const k of drop) delete base[k];
  return JSON.stringify({ ...base, ...over });
};

export const queueCases: QueueCase[] = [
  // orchestration_task_requests → weft.intake_task_requests
  { what: 'task request: SQL NULL', queue: 'orchestration_task_requests', message: null, ends: 'dead_letter', sqlstate: 'WF001', reason: 'task request must be a JSON object, got null' },
  { what: 'task request: a JSON array', queue: 'orchestration_task_requests', message: '[1, 2]', ends: 'dead_letter', sqlstate: 'WF001', reason: 'task request must be a JSON object, got array' },
  { what: 'task request: a JSON string', queue: 'orchestration_task_requests', message: '"please run w"', ends: 'dead_letter', sqlstate: 'WF001', reason: 'got string' },
  { what: 'task request: no fields', queue: 'orchestration_task_requests', message: '{}', ends: 'dead_letter', sqlstate: 'WF001', reason: 'namespace and workflow_name are required (got null, null)' },
  { what: 'task request: unknown workflow', queue: 'orchestration_task_requests', message: '{"namespace": "badq", "workflow": "nope"}', ends: 'dead_letter', sqlstate: 'WF002', reason: 'workflow badq/nope not found' },
  { what: 'task request: wrong types (number, object)', queue: 'orchestration_task_requests', message: '{"namespace": 5, "workflow": {"a": 1}}', ends: 'dead_letter', sqlstate: 'WF002', reason: 'workflow 5/{"a": 1} not found' },
  { what: 'task request: context is an array', queue: 'orchestration_task_requests', message: '{"namespace": "badq", "workflow": "one", "context": [1]}', ends: 'dead_letter', sqlstate: 'WF001', reason: 'context must be a JSON object, got a JSON array' },
  { what: 'task request: unknown priority', queue: 'orchestration_task_requests', message: '{"namespace": "badq", "workflow": "one", "priority": "URGENT"}', ends: 'dead_letter', sqlstate: 'WF001', reason: 'unknown priority "URGENT"' },
  { what: 'task request: run_after not a time', queue: 'orchestration_task_requests', message: '{"namespace": "badq", "workflow": "one", "run_after": "soon"}', ends: 'dead_letter', sqlstate: '22007', reason: 'invalid input syntax for type timestamp with time zone: "soon"' },
  { what: 'task request: workflow name with a quote and a semicolon', queue: 'orchestration_task_requests', message: `{"namespace": "badq", "workflow": "${sneaky}"}`, ends: 'dead_letter', sqlstate: 'WF002', reason: `workflow badq/${sneaky} not found` },
  { what: 'task request: empty idempotency key', queue: 'orchestration_task_requests', message: '{"namespace": "badq", "workflow": "one", "idempotency_key": ""}', ends: 'dead_letter', sqlstate: 'WF001', reason: 'idempotency_key must be 1 to 255 characters, got 0 characters' },
  { what: 'task request: idempotency key reused for another context', queue: 'orchestration_task_requests', message: '{"namespace": "badq", "workflow": "one", "context": {"n": 99}, "idempotency_key": "q-used-key"}', ends: 'dead_letter', sqlstate: 'WF009', reason: 'idempotency key "q-used-key" was already used for a different request' },
  // orchestration_step_results → weft.intake_step_results
  { what: 'step result: SQL NULL', queue: 'orchestration_step_results', message: null, ends: 'dead_letter', sqlstate: 'WF001', reason: 'step result must be a JSON object, got null' },
  { what: 'step result: a JSON string', queue: 'orchestration_step_results', message: '"done"', ends: 'dead_letter', sqlstate: 'WF001', reason: 'step result must be a JSON object, got string' },
  { what: 'step result: no step_id', queue: 'orchestration_step_results', message: '{"attempt": 1, "status": "complete"}', ends: 'dead_letter', sqlstate: 'WF001', reason: 'step_id must not be null' },
  { what: 'step result: no attempt', queue: 'orchestration_step_results', message: result('"status": "complete"'), ends: 'dead_letter', sqlstate: 'WF001', reason: 'step result needs a numeric "attempt", got nothing' },
  { what: 'step result: attempt is a string', queue: 'orchestration_step_results', message: result('"attempt": "one", "status": "complete"'), ends: 'dead_letter', sqlstate: 'WF001', reason: 'step result needs a numeric "attempt", got "one"' },
  { what: 'step result: attempt 1.5', queue: 'orchestration_step_results', message: result('"attempt": 1.5, "status": "complete"'), ends: 'dead_letter', sqlstate: '22P02', reason: 'invalid input syntax for type integer: "1.5"' },
  { what: 'step result: attempt 0', queue: 'orchestration_step_results', message: result('"attempt": 0, "status": "complete"'), ends: 'dead_letter', sqlstate: 'WF001', reason: 'attempt must be a positive integer, got 0' },
  { what: 'step result: attempt beyond integer range', queue: 'orchestration_step_results', message: result('"attempt": 99999999999, "status": "complete"'), ends: 'dead_letter', sqlstate: '22003', reason: 'value "99999999999" is out of range for type integer' },
  { what: 'step result: attempt never started', queue: 'orchestration_step_results', message: result('"attempt": 7, "status": "complete", "result": 1'), ends: 'dead_letter', sqlstate: 'WF007', reason: 'attempt 7 of step {enqueued} was never started (current attempt is 1)' },
  { what: 'step result: unknown status', queue: 'orchestration_step_results', message: result('"attempt": 1, "status": "done"'), ends: 'dead_letter', sqlstate: 'WF001', reason: 'step result "status" must be "complete" or "failed", got "done"' },
  { what: 'step result: retryable is not a boolean', queue: 'orchestration_step_results', message: result('"attempt": 1, "status": "failed", "retryable": "maybe"'), ends: 'dead_letter', sqlstate: '22P02', reason: 'invalid input syntax for type boolean: "maybe"' },
  { what: 'step result: step_id not a uuid', queue: 'orchestration_step_results', message: '{"step_id": "step-1; --", "attempt": 1, "status": "complete"}', ends: 'dead_letter', sqlstate: '22P02', reason: 'invalid input syntax for type uuid: "step-1; --"' },
  { what: 'step result: unknown step', queue: 'orchestration_step_results', message: '{"step_id": "{unknown}", "attempt": 1, "status": "complete"}', ends: 'dead_letter', sqlstate: 'WF006', reason: 'step {unknown} not found' },
  { what: 'step result: stale attempt (attempt 1 after attempt 2 started)', queue: 'orchestration_step_results', message: '{"step_id": "{retried}", "attempt": 1, "status": "complete", "result": 1}', ends: 'rejected', sqlstate: null, reason: 'superseded_attempt' },
  // namespace queue badwq → the TS Worker
  { what: 'step message: not an object', queue: 'badwq', message: '"run only"', ends: 'dead_letter', sqlstate: null, reason: 'not a weft step message: (root):' },
  { what: 'step message: no step_id', queue: 'badwq', message: stepMessage({}, ['step_id']), ends: 'dead_letter', sqlstate: null, reason: 'not a weft step message: step_id:' },
  { what: 'step message: task_id not a uuid', queue: 'badwq', message: stepMessage({ task_id: "t'; --" }), ends: 'dead_letter', sqlstate: null, reason: 'not a weft step message: task_id:' },
  { what: 'step message: attempt is a string', queue: 'badwq', message: stepMessage({ attempt: 'one' }), ends: 'dead_letter', sqlstate: null, reason: 'not a weft step message: attempt:' },
  { what: 'step message: attempt 0', queue: 'badwq', message: stepMessage({ attempt: 0 }), ends: 'dead_letter', sqlstate: null, reason: 'not a weft step message: attempt:' },
  { what: 'step message: unknown kind', queue: 'badwq', message: stepMessage({ kind: 'undo' }), ends: 'dead_letter', sqlstate: null, reason: 'not a weft step message: kind:' },
  { what: 'step message: workflow is a string', queue: 'badwq', message: stepMessage({ workflow: 'one' }), ends: 'dead_letter', sqlstate: null, reason: 'not a weft step message: workflow:' },
  { what: 'step message: unknown step (handler runs, the report is refused)', queue: 'badwq', message: stepMessage({ step_id: '{unknown}' }), ends: 'dead_letter', sqlstate: 'WF006', reason: 'step {unknown} not found' },
  { what: 'step message: unknown step and unregistered handler', queue: 'badwq', message: stepMessage({ step_id: '00000000-0000-7000-8000-00000000beef', handler: 'nobody' }), ends: 'dead_letter', sqlstate: 'WF006', reason: 'step 00000000-0000-7000-8000-00000000beef not found' },
  { what: 'step message: attempt never started', queue: 'badwq', message: stepMessage({ attempt: 7 }), ends: 'dead_letter', sqlstate: 'WF007', reason: 'attempt 7 of step {wq_step} was never started' },
];

/** Replaces every {placeholder} of `text` with its value. */
export function fill(text: string, values: Record<string, string>): string {
  return text.replace(/\{([a-z_]+)\}/g, (whole, key: string) => values[key] ?? whole);
}
