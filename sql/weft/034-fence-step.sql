-- weft._fence_step(step_id, attempt, kind, payload, processor_id, lock_task, record) → weft._fence_result
--
-- Purpose : the fencing check every worker report goes through. The attempt number is the
--           fencing token: only the step's current attempt, while the step is enqueued, may
--           report. Verdicts:
--             ok         current attempt, step enqueued, task not terminal
--             duplicate  current attempt, step already complete (kind complete only)
--             stale      anything else: an older attempt, the step/task moved on, or the
--                        attempt's deadline (timeout_ms) has passed; recorded
--                        in weft.rejected_results (when `record`) with a WARNING, SQLSTATE WF007
-- Callers : weft.complete_step, weft.fail_step, weft.heartbeat_step, weft.checkpoint_step.
-- Locks   : with lock_task, the task row (FOR NO KEY UPDATE) and then the step row (FOR UPDATE)
--           — the engine's lock order. Without, the step row only.
-- Errors  : WF001 null step_id / attempt < 1; WF006 unknown step; WF007 (exception) when the
--           attempt is higher than any attempt started — that is bad input, nothing is recorded;
--           WF012 when the calling role may not act on the step's namespace (weft._assert_namespace_access).
create function weft._fence_step(
  step_id uuid, attempt integer, kind text, payload jsonb, processor_id text, lock_task boolean, record boolean
) returns weft._fence_result
language plpgsql volatile
set search_path = ''
as $$
#variable_conflict use_column
declare
  v_task_id uuid;
  v_namespace text;
  v_task record;
  v_step record;
  v_out weft._fence_result;
begin
  if step_id is null then
    raise exception 'step_id must not be null' using errcode = 'WF001';
  end if;
  if attempt is null or attempt < 1 then
    raise exception 'attempt must be a positive integer, got %', coalesce(attempt::text, 'null') using errcode = 'WF001';
  end if;
  select s.task_id, t.namespace into v_task_id, v_namespace
  from weft.steps s join weft.tasks t on t.task_id = s.task_id where s.step_id = _fence_step.step_id;
  if v_task_id is null then
    raise exception 'step % not found', step_id using errcode = 'WF006';
  end if;
  perform weft._assert_namespace_access(v_namespace); -- WF012 (070-privileges.sql)
  if lock_task then
    select t.state, t.namespace, t.workflow_id into v_task from weft.tasks t where t.task_id = v_task_id for no key update;
  else
    select t.state, t.namespace, t.workflow_id into v_task from weft.tasks t where t.task_id = v_task_id;
  end if;
  select s.name, s.state, s.attempt, s.max_attempts, s.retry, s.msg_id, s.deadline_at into v_step
  from weft.steps s where s.step_id = _fence_step.step_id for update;

  if attempt > v_step.attempt then
    raise exception 'attempt % of step % was never started (current attempt is %)', attempt, step_id, v_step.attempt
      using errcode = 'WF007', hint = 'Report with the attempt number from the step message.';
  end if;

  v_out := row('ok', null, v_task_id, v_task.namespace, v_task.workflow_id, v_task.state, v_step.name, v_step.state,
               v_step.attempt, v_step.max_attempts, v_step.retry, v_step.msg_id)::weft._fence_result;
  if attempt < v_step.attempt then
    v_out.verdict := 'stale';
    v_out.reason := 'superseded_attempt';
  elsif v_step.state = 'complete' and kind = 'complete' then
    v_out.verdict := 'duplicate';
    v_out.reason := 'already_complete';
  elsif v_step.state <> 'enqueued' then
    v_out.verdict := 'stale';
    v_out.reason := 'step_' || v_step.state::text;
  elsif v_task.state in ('complete', 'error', 'cancelled', 'compensation_failed') then
    v_out.verdict := 'stale';
    v_out.reason := 'task_' || v_task.state::text;
  elsif v_step.deadline_at is not null and v_step.deadline_at <= weft.now() then
    -- past its timeout the attempt is over, even before the timer sweep has failed it
    v_out.verdict := 'stale';
    v_out.reason := 'deadline_passed';
  end if;

  if v_out.verdict <> 'ok' and record then
    insert into weft.rejected_results (task_id, step_id, attempt, current_attempt, step_state, kind, reason, payload, processor_id)
    values (v_task_id, step_id, attempt, v_step.attempt, v_step.state::text, kind, v_out.reason, payload, processor_id);
    if v_out.verdict = 'stale' then
      raise warning 'weft: % of step % attempt % rejected (%); current attempt is %, step is %', kind, step_id, attempt,
        v_out.reason, v_step.attempt, v_step.state
        using errcode = 'WF007';
    end if;
  end if;
  return v_out;
end
$$;
