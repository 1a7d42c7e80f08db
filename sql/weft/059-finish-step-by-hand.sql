-- weft._finish_step_by_hand(step_id, result, to_state, requested_by, reason) → weft.task_state
--
-- Purpose : the body of weft.resolve_step and weft.skip_step: checks, reopens a task in error,
--           then applies the completion (weft._apply_step_completion) and enqueues what became
--           ready.
-- Locks   : the task row, then the step.
create function weft._finish_step_by_hand(step_id uuid, result jsonb, to_state weft.step_state, requested_by text, reason text)
returns weft.task_state
language plpgsql volatile
set search_path = ''
as $$
#variable_conflict use_column
declare
  v_task_id uuid;
  v_task_state weft.task_state;
  v_state weft.step_state;
  v_kind text;
  v_ready uuid[];
begin
  if step_id is null or requested_by is null or pg_catalog.btrim(requested_by) = '' then
    raise exception 'step_id and requested_by (who asks, for the audit trail) are required' using errcode = 'WF001';
  end if;
  select s.task_id into v_task_id from weft.steps s where s.step_id = _finish_step_by_hand.step_id;
  if v_task_id is null then
    raise exception 'step % not found', step_id using errcode = 'WF006';
  end if;
  select t.state into v_task_state from weft.tasks t where t.task_id = v_task_id for no key update;
  select s.state, s.kind into v_state, v_kind from weft.steps s where s.step_id = _finish_step_by_hand.step_id for update;
  if v_state in ('complete', 'skipped', 'cancelled') and not (v_state = 'cancelled' and v_task_state = 'error') then
    raise exception 'step % is already %', step_id, v_state using errcode = 'WF008';
  end if;
  if v_kind <> 'step' then
    raise exception 'step % is a compensation step; resolve or skip the task''s ordinary steps', step_id using errcode = 'WF008';
  end if;
  if v_task_state = 'error' then
    v_ready := weft._reopen_task(v_task_id, requested_by, reason);
  elsif v_task_state not in ('running') then
    raise exception 'task % is %; steps can be resolved or skipped while it runs or after it failed', v_task_id, v_task_state
      using errcode = 'WF008';
  end if;
  v_task_state := weft._apply_step_completion(v_task_id, step_id, result, to_state, requested_by, reason,
                                              pg_catalog.jsonb_build_object('result', result));
  -- steps that were ready before this completion (reopened roots); the completion enqueued its own children
  select pg_catalog.array_agg(s.step_id) into v_ready from weft.steps s
  where s.step_id = any (coalesce(v_ready, '{}')) and s.state = 'pending' and s.pending_parents = 0;
  perform weft._enqueue_steps(v_ready, requested_by, reason);
  return v_task_state;
end
$$;
