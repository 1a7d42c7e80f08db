-- weft.complete_step(step_id, attempt, result, processor_id) → weft.step_report
--
-- Purpose : a worker reports that attempt `attempt` of a step succeeded with `result`. In one
--           transaction: the step becomes complete, its queue message is deleted, each child's
--           count of pending parents drops, children that reach 0 are enqueued (if the task is
--           still running), and when no step remains the task moves to finalizing.
--           A report for a superseded attempt, or for a step that moved on, is recorded in
--           weft.rejected_results and not applied (outcome 'rejected', WARNING WF007); the same
--           attempt reported twice gives outcome 'duplicate'.
-- Callers : workers (TS SDK, bash+psql, any language), weft.intake_step_results.
-- Locks   : task row, then the step row, then the child rows (lock order: task → steps), so two
--           parents of one join completing at once serialize on the task row and the join is
--           enqueued exactly once.
-- Errors  : WF001 null step_id / bad attempt; WF006 unknown step; WF007 attempt never started.
--
-- Example : select * from weft.complete_step('0190…'::uuid, 1, '42'::jsonb);
create function weft.complete_step(step_id uuid, attempt integer, result jsonb default null, processor_id text default null)
returns weft.step_report
language plpgsql volatile
set search_path = ''
as $$
#variable_conflict use_column
declare
  v weft._fence_result;
  v_ready uuid[];
  v_remaining integer;
  v_task_state weft.task_state;
begin
  v := weft._fence_step(step_id, attempt, 'complete', result, processor_id, true, true);
  if v.verdict <> 'ok' then
    return row(case v.verdict when 'duplicate' then 'duplicate' else 'rejected' end, v.reason, step_id, v.step_state,
               v.current_attempt, v.task_id, v.task_state)::weft.step_report;
  end if;

  update weft.steps s
  set state = 'complete', result = complete_step.result, error = null, finished_at = weft.now(), msg_id = null,
      deadline_at = null, updated_at = pg_catalog.now()
  where s.step_id = complete_step.step_id;
  if v.msg_id is not null then
    perform pgmq.delete(v.namespace, v.msg_id);
  end if;
  insert into weft.transitions (entity, task_id, step_id, from_state, to_state, reason, processor_id, attempt)
  values ('step', v.task_id, step_id, 'enqueued', 'complete', 'completed', processor_id, attempt);

  -- Children: one fewer pending parent each; those at zero are ready. Ordinary steps take their
  -- children from the workflow's edges, compensation steps from weft.step_dependencies.
  with children as (
    select c.step_id from weft.workflow_edges e join weft.steps c on c.task_id = v.task_id and c.name = e.child
    where e.workflow_id = v.workflow_id and e.parent = v.step_name and c.kind = 'step'
    union all
    select d.child_step_id from weft.step_dependencies d where d.parent_step_id = complete_step.step_id
  ), dec as (
    update weft.steps c set pending_parents = c.pending_parents - 1, updated_at = pg_catalog.now()
    from children ch
    where c.step_id = ch.step_id
    returning c.step_id, c.pending_parents, c.state
  )
  select pg_catalog.array_agg(dec.step_id) filter (where dec.pending_parents = 0 and dec.state = 'pending') into v_ready from dec;
  if v.task_state in ('running', 'compensating') then
    perform weft._enqueue_steps(v_ready, processor_id, 'parents_complete');
  end if;

  update weft.tasks t set steps_remaining = t.steps_remaining - 1, updated_at = pg_catalog.now()
  where t.task_id = v.task_id
  returning t.steps_remaining, t.state into v_remaining, v_task_state;
  if v_remaining = 0 then
    perform weft._request_finalization(v.task_id, 'all_steps_complete', processor_id);
    v_task_state := 'finalizing';
  end if;
  return row('applied', null, step_id, 'complete'::weft.step_state, attempt, v.task_id, v_task_state)::weft.step_report;
end
$$;
