-- weft._request_finalization(task_id, reason, processor_id) → void
--
-- Purpose : running (or compensating) → finalizing: nothing more will be started for the task; an orchestrator
--           claims and finalizes it (weft.claim_task_for_finalization, weft.finalize_task).
--           A wake-up weft_orchestrator 'finalize' (weft._wake) tells orchestrators. The work is
--           weft._request_finalizations, which moves a set of tasks at once.
-- Callers : weft.complete_step (last step done), weft._apply_step_failure (step failed for good),
--           weft.cancel_task.
-- Locks   : caller holds the task row lock.
create function weft._request_finalization(task_id uuid, reason text, processor_id text) returns void
language plpgsql volatile
set search_path = ''
as $$
begin
  perform weft._request_finalizations(array[task_id], reason, processor_id);
end
$$;
