/**
 * The rows of the SQL bad-input table (test/sql/weft/bad-input.test.ts), kept apart from the test so that
 * scripts/bad-input-table.ts can print them into docs/errors.md. Each row is [what, SQL call, expected
 * SQLSTATE, message fragment]. Placeholders: :enqueued (a step on attempt 1), :pending (a step never
 * started), :running (a running task), :unknown (a uuid no row has).
 */
const def = (steps: string): string => `'{"namespace": "bad", "name": "v", "version": "1", "steps": ${steps}}'`;

export const badInputSqlRows: [string, string, string, string][] = [
  // request_task
  ['request_task: null namespace', `select weft.request_task(null, 'w')`, 'WF001', 'namespace and workflow_name are required'],
  ['request_task: null workflow', `select weft.request_task('bad', null)`, 'WF001', 'namespace and workflow_name are required'],
  ['request_task: unknown workflow', `select weft.request_task('bad', 'nope')`, 'WF002', 'workflow bad/nope not found'],
  ['request_task: unknown version', `select weft.request_task('bad', 'w', version => '0.0.0')`, 'WF002', '(version 0.0.0)'],
  ['request_task: namespace with a semicolon', `select weft.request_task('x; drop table y', 'w')`, 'WF002', 'workflow x; drop table y/w not found'],
  ['request_task: workflow name with a quote', `select weft.request_task('bad', 'w''); delete from weft.tasks; --')`, 'WF002', "w'); delete from weft.tasks; --"],
  ['request_task: context is an array', `select weft.request_task('bad', 'w', '[1, 2]')`, 'WF001', 'context must be a JSON object, got a JSON array'],
  ['request_task: context is a number', `select weft.request_task('bad', 'w', '42')`, 'WF001', 'got a JSON number'],
  ['request_task: malformed context JSON', `select weft.request_task('bad', 'w', '{"n": 2')`, '22P02', 'invalid input syntax for type json'],
  ['request_task: unknown priority', `select weft.request_task('bad', 'w', priority => 'URGENT')`, 'WF001', 'unknown priority "URGENT"'],
  ['request_task: oversize idempotency key', `select weft.request_task('bad', 'w', idempotency_key => repeat('k', 256))`, 'WF001', 'got 256 characters'],
  ['request_task: key reused for another request', `select weft.request_task('bad', 'w', '{"n": 3}', idempotency_key => 'used-key')`, 'WF009', 'idempotency key "used-key"'],
  // register_workflow
  ['register_workflow: null', `select weft.register_workflow(null)`, 'WF001', 'got null'],
  ['register_workflow: an array', `select weft.register_workflow('[]')`, 'WF001', 'must be a JSON object, got array'],
  ['register_workflow: a cycle', `select weft.register_workflow(${def('[{"name": "a", "handler": "h", "depends_on": ["b"]}, {"name": "b", "handler": "h", "depends_on": ["a"]}]')})`, 'WF003', 'has a cycle: a -> b -> a'],
  ['register_workflow: namespace with a quote and a semicolon', `select weft.register_workflow('{"namespace": "x''; drop table y", "name": "v", "version": "1", "steps": [{"name": "a", "handler": "h"}]}')`, 'WF003', `got "x'; drop table y"`],
  ['register_workflow: handler with a semicolon', `select weft.register_workflow(${def('[{"name": "a", "handler": "h; drop table y"}]')})`, 'WF003', 'handler name "h; drop table y" has characters outside'],
  ['register_workflow: negative timeout', `select weft.register_workflow(${def('[{"name": "a", "handler": "h", "timeout_ms": -5}]')})`, 'WF003', 'timeout_ms must be a positive whole number of milliseconds, got -5'],
  ['register_workflow: oversize workflow name', `select weft.register_workflow(jsonb_build_object('namespace', 'bad', 'name', repeat('n', 200), 'version', '1', 'steps', '[{"name": "a", "handler": "h"}]'::jsonb))`, 'WF003', 'workflow name must match'],
  [
    'register_workflow: 10001 steps',
    `select weft.register_workflow(jsonb_build_object('namespace', 'bad', 'name', 'huge', 'version', '1', 'steps',
       (select jsonb_agg(jsonb_build_object('name', 's' || i, 'handler', 'h')) from generate_series(1, 10001) i)))`,
    'WF003',
    'has 10001 steps; at most 10000 are allowed',
  ],
  ['register_workflow: bad retry', `select weft.register_workflow(${def('[{"name": "a", "handler": "h", "retry": {"max_attempts": 0}}]')})`, 'WF003', 'retry.max_attempts is out of range: 0'],
  ['register_workflow: other content, same version', `select weft.register_workflow('{"namespace": "bad", "name": "w", "version": "1.0.0", "steps": [{"name": "a", "handler": "h"}]}')`, 'WF004', 'bad/w version 1.0.0 already exists with different content'],
  // complete_step / fail_step
  ['complete_step: null step', `select * from weft.complete_step(null, 1, '1')`, 'WF001', 'step_id must not be null'],
  ['complete_step: attempt 0', `select * from weft.complete_step(':enqueued', 0, '1')`, 'WF001', 'attempt must be a positive integer, got 0'],
  ['complete_step: attempt never started', `select * from weft.complete_step(':enqueued', 2, '1')`, 'WF007', 'attempt 2 of step :enqueued was never started'],
  ['complete_step: step never started', `select * from weft.complete_step(':pending', 1, '1')`, 'WF007', 'current attempt is 0'],
  ['complete_step: unknown step', `select * from weft.complete_step(':unknown', 1, '1')`, 'WF006', 'step :unknown not found'],
  ['complete_step: step id not a uuid', `select * from weft.complete_step('step-1', 1, '1')`, '22P02', 'invalid input syntax for type uuid: "step-1"'],
  ['fail_step: error is an array', `select * from weft.fail_step(':enqueued', 1, '[1]')`, 'WF001', 'error must be a JSON object or string, got a JSON array'],
  ['fail_step: attempt never started', `select * from weft.fail_step(':enqueued', 3, '{}')`, 'WF007', 'attempt 3 of step'],
  ['fail_step: unknown step', `select * from weft.fail_step(':unknown', 1, '{}')`, 'WF006', 'not found'],
  // heartbeat_step / checkpoint_step
  ['heartbeat_step: extend_seconds 0', `select * from weft.heartbeat_step(':enqueued', 1, 0)`, 'WF001', 'extend_seconds must be from 1 to 43200, got 0'],
  ['heartbeat_step: extend_seconds negative', `select * from weft.heartbeat_step(':enqueued', 1, -30)`, 'WF001', 'got -30'],
  ['heartbeat_step: progress is a string', `select * from weft.heartbeat_step(':enqueued', 1, 30, '"half"')`, 'WF001', 'progress must be a JSON object'],
  ['heartbeat_step: unknown step', `select * from weft.heartbeat_step(':unknown', 1)`, 'WF006', 'not found'],
  ['checkpoint_step: null data', `select weft.checkpoint_step(':enqueued', 1, null)`, 'WF001', 'checkpoint data must not be null'],
  ['checkpoint_step: oversize data', `select weft.checkpoint_step(':enqueued', 1, jsonb_build_object('blob', repeat('z', 1100000)))`, 'WF001', 'at most 1 MiB is allowed'],
  ['checkpoint_step: attempt never started', `select weft.checkpoint_step(':enqueued', 5, '{}')`, 'WF007', 'attempt 5'],
  // claims, finalization, cancellation, clock, dead letters
  ['finalize_task: no claim', `select weft.finalize_task(':running', 'orch-1')`, 'WF011', 'processor "orch-1" holds no live finalization claim on task :running'],
  ['finalize_task: unknown task', `select weft.finalize_task(':unknown', 'orch-1')`, 'WF005', 'task :unknown not found'],
  ['claim_task_for_finalization: blank processor', `select * from weft.claim_task_for_finalization(':running', ' ')`, 'WF001', 'processor_id must be a non-empty string'],
  ['claim_tasks_for_finalization: ttl 0', `select * from weft.claim_tasks_for_finalization('orch-1', ttl_ms => 0)`, 'WF001', 'ttl_ms must be from 100 to 3600000, got 0'],
  ['claim_task_for_finalization: unknown task', `select * from weft.claim_task_for_finalization(':unknown', 'orch-1')`, 'WF005', 'not found'],
  ['cancel_task: null', `select weft.cancel_task(null)`, 'WF001', 'task_id must not be null'],
  ['cancel_task: unknown task', `select weft.cancel_task(':unknown')`, 'WF005', 'task :unknown not found'],
  ['shift_clock: null', `select weft.shift_clock(null)`, 'WF001', 'by_interval must not be null'],
  ['dead_letter_message: not a weft queue', `select weft.dead_letter_message('x; drop table y', 1, 'bad')`, 'WF010', 'queue "x; drop table y" is not a weft queue'],
];
