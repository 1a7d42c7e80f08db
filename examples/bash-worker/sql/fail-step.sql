-- fail-step.sql — report a failed attempt with the error object {message, code, name}.
-- Variables: step_id, attempt, message, code, name, retryable (true/false), worker.
-- Row: outcome US reason US step_state US task_state (reason retry_scheduled or step_failed
-- when applied).
select r.outcome, coalesce(r.reason, ''), r.step_state, r.task_state
from weft.fail_step(step_id => :'step_id'::uuid, attempt => :'attempt'::integer,
                    error => jsonb_build_object('message', :'message', 'code', :'code', 'name', :'name'),
                    retryable => :'retryable'::boolean, processor_id => :'worker') r;
