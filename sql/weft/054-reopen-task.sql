-- weft._reopen_task(task_id, requested_by, reason) → uuid[] (steps now ready to enqueue)
--
-- Purpose : brings a task that ended in error back to running, for the manual operations:
--           every ordinary step in error or cancelled goes back to pending with a fresh attempt
--           budget (max_attempts = attempts so far + the policy's max_attempts; attempt numbers
--           keep counting, so fencing still holds), pending_parents is recounted, the task's
--           steps_remaining is recounted, and each change is written to weft.transitions with
--           the operator's name. Returns the steps with no pending parent (the caller enqueues
--           them after its own changes).
-- Callers : weft.retry_task, weft.retry_step, weft.resolve_step, weft.skip_step.
-- Locks   : caller holds the task row lock.
-- Errors  : WF008 when the task is not in error, or when its saga was already compensated
--           (re-running compensated steps would repeat effects that were undone).
create function weft._reopen_task(task_id uuid, requested_by text, reason text) returns uuid[]
language plpgsql volatile
set search_path = ''
as $$
#variable_conflict use_column
declare
  v_task record;
  v_ready uuid[];
begin
  select t.state, t.workflow_id into v_task from weft.tasks t where t.task_id = _reopen_task.task_id;
  if v_task.state <> 'error' then
    raise exception 'task % is %; only a task in error can be reopened', task_id, v_task.state using errcode = 'WF008';
  end if;
  if exists (select 1 from weft.steps s where s.task_id = _reopen_task.task_id and s.kind = 'compensation') then
    raise exception 'task % was compensated (saga); it cannot be retried', task_id
      using errcode = 'WF008', hint = 'Request a new task instead.';
  end if;

  with reset as (
    update weft.steps s
    set state = 'pending', error = null, finished_at = null, msg_id = null, deadline_at = null, ready_at = null,
        max_attempts = s.attempt + (s.retry ->> 'max_attempts')::integer, updated_at = pg_catalog.now()
    from (select s2.step_id, s2.state as old_state from weft.steps s2
          where s2.task_id = _reopen_task.task_id and s2.kind = 'step' and s2.state in ('error', 'cancelled') for update) o
    where s.step_id = o.step_id
    returning s.step_id, o.old_state, s.attempt
  )
  insert into weft.transitions (entity, task_id, step_id, from_state, to_state, reason, processor_id, attempt)
  select 'step', _reopen_task.task_id, r.step_id, r.old_state::text, 'pending', reason, requested_by, r.attempt from reset r;

  update weft.steps c
  set pending_parents = (
    select pg_catalog.count(*) from weft.workflow_edges e join weft.steps p on p.task_id = c.task_id and p.name = e.parent
    where e.workflow_id = v_task.workflow_id and e.child = c.name and p.state not in ('complete', 'skipped'))::integer
  where c.task_id = _reopen_task.task_id and c.kind = 'step' and c.state = 'pending';

  update weft.tasks t
  set state = 'running', error = null, result = null, finished_at = null, finalize_requested_at = null, updated_at = pg_catalog.now(),
      steps_remaining = (select pg_catalog.count(*) from weft.steps s where s.task_id = _reopen_task.task_id and s.kind = 'step'
                         and s.state not in ('complete', 'skipped'))::integer
  where t.task_id = _reopen_task.task_id;
  insert into weft.transitions (entity, task_id, from_state, to_state, reason, processor_id)
  values ('task', task_id, 'error', 'running', reason, requested_by);

  select pg_catalog.array_agg(s.step_id) into v_ready from weft.steps s
  where s.task_id = _reopen_task.task_id and s.kind = 'step' and s.state = 'pending' and s.pending_parents = 0;
  return v_ready;
end
$$;
