-- complete-step.sql — report a successful attempt. Variables: step_id, attempt, result (JSON
-- text), worker.   Row: outcome US reason US step_state US task_state
-- (outcome applied | duplicate | rejected; a rejected one also raises WARNING WF007).
select r.outcome, coalesce(r.reason, ''), r.step_state, r.task_state
from weft.complete_step(step_id => :'step_id'::uuid, attempt => :'attempt'::integer, result => :'result'::jsonb,
                        processor_id => :'worker') r;
