-- weft.resolve_step(step_id, result, requested_by) → weft.task_state
--
-- Purpose : an operator completes a step by hand with a supplied result — for a step in error
--           (its task is reopened first), waiting_retry, enqueued (the worker's later report is
--           rejected: the step has moved on) or pending. Its children then run as if it had
--           completed. Audited: the transition's reason is manual_resolve, details hold the
--           result, processor_id is requested_by.
-- Callers : `weft task resolve`, the TS client, the API, SQL users.
-- Locks   : the task row, then the step.
-- Errors  : WF001 nulls; WF006 unknown step; WF008 step already complete/skipped/cancelled, or
--           its task is neither running nor reopenable.
create function weft.resolve_step(step_id uuid, result jsonb, requested_by text) returns weft.task_state
language plpgsql volatile
set search_path = ''
as $$
#variable_conflict use_column
begin
  return weft._finish_step_by_hand(step_id, coalesce(result, 'null'::jsonb), 'complete', requested_by, 'manual_resolve');
end
$$;
