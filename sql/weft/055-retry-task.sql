-- weft.retry_task(task_id, requested_by) → weft.task_state
--
-- Purpose : manual retry of a failed task: its failed steps and the steps that never ran
--           because of them run again (fresh attempt budget), from where the task stopped;
--           completed steps keep their results. Audited: transitions name requested_by.
-- Callers : `weft task retry`, the TS client, the API, SQL users.
-- Locks   : the task row, then its steps.
-- Errors  : WF001 null task_id / requested_by; WF005 unknown task; WF008 task not in error, or
--           compensated.
--
-- Example : select weft.retry_task('0190…', requested_by => 'alice');
create function weft.retry_task(task_id uuid, requested_by text) returns weft.task_state
language plpgsql volatile
set search_path = ''
as $$
#variable_conflict use_column
declare
  v_ready uuid[];
begin
  if task_id is null or requested_by is null or pg_catalog.btrim(requested_by) = '' then
    raise exception 'task_id and requested_by (who asks, for the audit trail) are required' using errcode = 'WF001';
  end if;
  perform 1 from weft.tasks t where t.task_id = retry_task.task_id for no key update;
  if not found then
    raise exception 'task % not found', task_id using errcode = 'WF005';
  end if;
  v_ready := weft._reopen_task(task_id, requested_by, 'manual_retry');
  perform weft._enqueue_steps(v_ready, requested_by, 'manual_retry');
  return 'running';
end
$$;
