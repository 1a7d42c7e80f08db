-- weft.checkpoint_step(step_id, attempt, data) → boolean
--
-- Purpose : stores partial progress of the current attempt; the next attempt's message carries
--           the last checkpoint (field `checkpoint`). Returns false (and records the report in
--           weft.rejected_results) when the attempt is not current.
-- Callers : workers (TS SDK ctx.checkpoint()).
-- Locks   : the step row.
-- Errors  : WF001 null data or data over 1 MiB; WF006; WF007 attempt never started.
create function weft.checkpoint_step(step_id uuid, attempt integer, data jsonb) returns boolean
language plpgsql volatile
set search_path = ''
as $$
#variable_conflict use_column
declare
  v weft._fence_result;
begin
  if data is null then
    raise exception 'checkpoint data must not be null' using errcode = 'WF001';
  end if;
  if pg_catalog.octet_length(data::text) > 1048576 then
    raise exception 'checkpoint data is % bytes; at most 1 MiB is allowed', pg_catalog.octet_length(data::text) using errcode = 'WF001';
  end if;
  v := weft._fence_step(step_id, attempt, 'checkpoint', data, null, false, true);
  if v.verdict <> 'ok' then
    return false;
  end if;
  update weft.steps s set checkpoint = data, updated_at = pg_catalog.now() where s.step_id = checkpoint_step.step_id;
  return true;
end
$$;
