-- weft.claim_task_for_finalization(task_id, processor_id, ttl_ms) → table(outcome, expires_at)
--
-- Purpose : claims one task for finalization (see weft.claim_tasks_for_finalization for the
--           rules). outcome: won | taken_over | contended | not_finalizing.
-- Callers : orchestrators, operators, tests.
-- Errors  : WF001 null task_id / processor_id; WF005 unknown task.
--
-- Example : select * from weft.claim_task_for_finalization('0190…', 'orch-a');
create function weft.claim_task_for_finalization(task_id uuid, processor_id text, ttl_ms integer default 30000)
returns table (outcome text, expires_at timestamptz)
language plpgsql volatile
set search_path = ''
as $$
#variable_conflict use_column
begin
  if task_id is null then
    raise exception 'task_id must not be null' using errcode = 'WF001';
  end if;
  if not exists (select 1 from weft.tasks t where t.task_id = claim_task_for_finalization.task_id) then
    raise exception 'task % not found', task_id using errcode = 'WF005';
  end if;
  return query select c.outcome, c.expires_at
  from weft.claim_tasks_for_finalization(processor_id, array[task_id], ttl_ms) c;
end
$$;
