-- weft.retry_step(step_id, requested_by) → weft.step_state
--
-- Purpose : manual retry of one step. A step waiting out its retry backoff is made due now.
--           A failed step of a task in error reopens the task (weft._reopen_task: the failed
--           step and the steps that never ran because of it go back to pending) and runs again.
--           Audited with requested_by.
-- Callers : `weft task retry --step`, the TS client, the API, SQL users.
-- Locks   : the task row, then the step.
-- Errors  : WF001 nulls; WF006 unknown step; WF008 the step is neither waiting_retry nor in error
--           (or its task cannot be reopened).
create function weft.retry_step(step_id uuid, requested_by text) returns weft.step_state
language plpgsql volatile
set search_path = ''
as $$
#variable_conflict use_column
declare
  v_task_id uuid;
  v_state weft.step_state;
  v_ready uuid[];
begin
  if step_id is null or requested_by is null or pg_catalog.btrim(requested_by) = '' then
    raise exception 'step_id and requested_by (who asks, for the audit trail) are required' using errcode = 'WF001';
  end if;
  select s.task_id into v_task_id from weft.steps s where s.step_id = retry_step.step_id;
  if v_task_id is null then
    raise exception 'step % not found', step_id using errcode = 'WF006';
  end if;
  perform 1 from weft.tasks t where t.task_id = v_task_id for no key update;
  select s.state into v_state from weft.steps s where s.step_id = retry_step.step_id for update;
  if v_state = 'waiting_retry' then
    update weft.steps s set ready_at = weft.now(), updated_at = pg_catalog.now() where s.step_id = retry_step.step_id;
    insert into weft.transitions (entity, task_id, step_id, from_state, to_state, reason, processor_id)
    values ('step', v_task_id, step_id, 'waiting_retry', 'waiting_retry', 'manual_retry_now', requested_by);
    perform weft._wake('weft_orchestrator', 'timer');
    return 'waiting_retry';
  elsif v_state = 'error' then
    v_ready := weft._reopen_task(v_task_id, requested_by, 'manual_retry_step');
    perform weft._enqueue_steps(v_ready, requested_by, 'manual_retry_step');
    select s.state into v_state from weft.steps s where s.step_id = retry_step.step_id;
    return v_state;
  end if;
  raise exception 'step % is %; only a step in error or waiting_retry can be retried', step_id, v_state using errcode = 'WF008';
end
$$;
