-- weft.complete_step(step_id, attempt, result, processor_id) → weft.step_report
--
-- Purpose : a worker reports that attempt `attempt` of a step succeeded with `result`. In one
--           transaction: the step becomes complete, its queue message is deleted, each child's
--           count of pending parents drops, children that reach 0 are enqueued (if the task is
--           still running), and when no step remains the task moves to finalizing.
--           A report for a superseded attempt, or for a step that moved on, is recorded in
--           weft.rejected_results and not applied (outcome 'rejected', WARNING WF007); the same
--           attempt reported twice gives outcome 'duplicate'.
--           (The state changes themselves are weft._apply_step_completion, shared with the manual
--           operations resolve_step and skip_step.)
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
  v_task_state weft.task_state;
begin
  v := weft._fence_step(step_id, attempt, 'complete', result, processor_id, true, true);
  if v.verdict <> 'ok' then
    return row(case v.verdict when 'duplicate' then 'duplicate' else 'rejected' end, v.reason, step_id, v.step_state,
               v.current_attempt, v.task_id, v.task_state)::weft.step_report;
  end if;

  v_task_state := weft._apply_step_completion(v.task_id, step_id, result, 'complete', processor_id, 'completed');
  return row('applied', null, step_id, 'complete'::weft.step_state, attempt, v.task_id, v_task_state)::weft.step_report;
end
$$;
