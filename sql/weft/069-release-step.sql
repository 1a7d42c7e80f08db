-- weft.release_step(step_id, attempt, processor_id) → boolean
--
-- Purpose : a worker that stops cleanly (shutdown) hands an unfinished attempt back without
--           charging it: the attempt's message is replaced by a fresh, unread copy (same
--           attempt number, visible at once), so another worker picks it up and the stalled-step
--           sweep (weft.recover_stalled_steps) does not mistake it for a dead worker's lease.
--           Returns false (nothing changed) when the attempt is no longer current.
-- Callers : workers on shutdown (the TS SDK's Worker.stop(), the bash worker).
-- Locks   : the step row, then the message rows.
-- Errors  : WF001 null step_id / bad attempt; WF006 unknown step; WF007 attempt never started.
create function weft.release_step(step_id uuid, attempt integer, processor_id text default null) returns boolean
language plpgsql volatile
set search_path = ''
as $$
#variable_conflict use_column
declare
  v weft._fence_result;
  v_new bigint;
begin
  v := weft._fence_step(step_id, attempt, 'heartbeat', null, processor_id, false, false);
  if v.verdict <> 'ok' or v.msg_id is null then
    return false;
  end if;
  execute pg_catalog.format(
    'with old as (delete from pgmq.%1$I where msg_id = $1 returning message, headers)
     insert into pgmq.%1$I (vt, message, headers) select pg_catalog.clock_timestamp(), old.message, old.headers from old
     returning msg_id', 'q_' || v.namespace)
    into v_new using v.msg_id;
  if v_new is null then
    return false;
  end if;
  update weft.steps s set msg_id = v_new, updated_at = pg_catalog.now() where s.step_id = release_step.step_id;
  insert into weft.transitions (entity, task_id, step_id, from_state, to_state, reason, processor_id, attempt)
  values ('step', v.task_id, step_id, 'enqueued', 'enqueued', 'released', processor_id, attempt);
  perform weft._wake('weft_steps', v.namespace);
  return true;
end
$$;
