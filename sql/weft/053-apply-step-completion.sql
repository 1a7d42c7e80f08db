-- weft._apply_step_completion(task_id, step_id, result, to_state, processor_id, reason, details)
--   → weft.task_state (the task's state afterwards)
--
-- Purpose : what a step finishing successfully leads to — shared by weft.complete_step (a
--           worker's report), weft.resolve_step (an operator supplies the result) and
--           weft.skip_step (to_state 'skipped', result null): the step gets its final state and
--           result, its queue message (if any) is deleted, each child's count of pending parents
--           drops and children at zero are enqueued (while the task runs or compensates), and
--           when no step remains the task moves to finalizing.
-- Callers : weft.complete_step, weft.resolve_step, weft.skip_step.
-- Locks   : caller holds the task row lock and the step row lock.
create function weft._apply_step_completion(
  task_id uuid, step_id uuid, result jsonb, to_state weft.step_state, processor_id text, reason text, details jsonb default null
) returns weft.task_state
language plpgsql volatile
set search_path = ''
as $$
#variable_conflict use_column
declare
  v_step record;
  v_ready uuid[];
  v_remaining integer;
  v_task_state weft.task_state;
begin
  -- The step's new state, reading its old one in the same statement (the FROM row is the
  -- version before the update).
  update weft.steps s
  set state = to_state, result = _apply_step_completion.result, error = null, finished_at = weft.now(), msg_id = null,
      deadline_at = null, ready_at = null, updated_at = pg_catalog.now()
  from weft.steps o join weft.tasks t on t.task_id = o.task_id
  where s.step_id = _apply_step_completion.step_id and o.step_id = s.step_id
  returning o.name, o.state, o.attempt, o.msg_id, t.namespace, t.workflow_id, t.state as task_state into v_step;
  if v_step.msg_id is not null then
    perform pgmq.delete(v_step.namespace, v_step.msg_id);
  end if;
  insert into weft.transitions (entity, task_id, step_id, from_state, to_state, reason, processor_id, attempt, details)
  values ('step', task_id, step_id, v_step.state::text, to_state::text, reason, processor_id, v_step.attempt, details);

  -- Children: one fewer pending parent each; those at zero are ready. Ordinary steps take their
  -- children from the workflow's edges, compensation steps from weft.step_dependencies.
  with children as (
    select c.step_id from weft.workflow_edges e join weft.steps c on c.task_id = _apply_step_completion.task_id and c.name = e.child
    where e.workflow_id = v_step.workflow_id and e.parent = v_step.name and c.kind = 'step'
    union all
    select d.child_step_id from weft.step_dependencies d where d.parent_step_id = _apply_step_completion.step_id
  ), dec as (
    update weft.steps c set pending_parents = c.pending_parents - 1, updated_at = pg_catalog.now()
    from children ch
    where c.step_id = ch.step_id
    returning c.step_id, c.pending_parents, c.state
  )
  select pg_catalog.array_agg(dec.step_id) filter (where dec.pending_parents = 0 and dec.state = 'pending') into v_ready from dec;
  if v_ready is not null and v_step.task_state in ('running', 'compensating') then
    perform weft._enqueue_steps(v_ready, processor_id, 'parents_complete');
  end if;

  update weft.tasks t set steps_remaining = t.steps_remaining - 1, updated_at = pg_catalog.now()
  where t.task_id = _apply_step_completion.task_id
  returning t.steps_remaining, t.state into v_remaining, v_task_state;
  if v_remaining = 0 then
    perform weft._request_finalization(task_id, 'all_steps_complete', processor_id);
    v_task_state := 'finalizing';
  end if;
  return v_task_state;
end
$$;
