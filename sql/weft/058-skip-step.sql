-- weft.skip_step(step_id, requested_by) → weft.task_state
--
-- Purpose : an operator skips a step: it ends 'skipped' with a null result and its children run
--           as if it had completed (their `parents` show null for it). Same rules as
--           weft.resolve_step; audited with reason manual_skip.
-- Callers : `weft task skip`, the TS client, the API, SQL users.
-- Errors  : as weft.resolve_step.
create function weft.skip_step(step_id uuid, requested_by text) returns weft.task_state
language plpgsql volatile
set search_path = ''
as $$
#variable_conflict use_column
begin
  return weft._finish_step_by_hand(step_id, null, 'skipped', requested_by, 'manual_skip');
end
$$;
