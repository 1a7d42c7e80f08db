-- weft._request_finalization(task_id, reason, processor_id) → void
--
-- Purpose : running (or compensating) → finalizing: nothing more will be started for the task; an orchestrator
--           claims and finalizes it (weft.claim_task_for_finalization, weft.finalize_task).
--           NOTIFY weft_orchestrator 'finalize' wakes orchestrators.
-- Callers : weft.complete_step (last step done), weft._apply_step_failure (step failed for good),
--           weft.cancel_task.
-- Locks   : caller holds the task row lock.
create function weft._request_finalization(task_id uuid, reason text, processor_id text) returns void
language plpgsql volatile
set search_path = ''
as $$
#variable_conflict use_column
declare
  v_from weft.task_state;
begin
  select t.state into v_from from weft.tasks t where t.task_id = _request_finalization.task_id;
  update weft.tasks t set state = 'finalizing', finalize_requested_at = weft.now(), updated_at = pg_catalog.now()
  where t.task_id = _request_finalization.task_id and t.state in ('running', 'compensating');
  if found then
    insert into weft.transitions (entity, task_id, from_state, to_state, reason, processor_id)
    values ('task', _request_finalization.task_id, v_from::text, 'finalizing', reason, processor_id);
    perform weft._wake('weft_orchestrator', 'finalize');
  end if;
end
$$;
