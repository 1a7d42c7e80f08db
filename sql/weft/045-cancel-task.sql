-- weft.cancel_task(task_id, reason, requested_by) → weft.task_state
--
-- Purpose : cancels a task: nothing more starts; it moves to finalizing with a cancellation
--           marker, and the finalizer ends it as cancelled (pending/queued steps cancelled, their
--           messages deleted). Workers running its steps learn it from weft.heartbeat_step
--           (carry_on = false). A result reported before the orchestrator
--           finalizes the task is still recorded on its step (it did run), but starts nothing
--           more; after finalization the step is cancelled and late results are rejected. The
--           task ends cancelled either way. Cascades to child tasks.
--           Idempotent: cancelling a finished or already cancelling task returns its state.
-- Callers : `weft task cancel`, the TS client, the API, SQL users.
-- Locks   : the task row (and each child task's, recursively).
-- Errors  : WF001 null task_id; WF005 unknown task.
create function weft.cancel_task(task_id uuid, reason text default null, requested_by text default null)
returns weft.task_state
language plpgsql volatile
set search_path = ''
as $$
#variable_conflict use_column
declare
  v_state weft.task_state;
  v_child uuid;
begin
  if task_id is null then
    raise exception 'task_id must not be null' using errcode = 'WF001';
  end if;
  select t.state into v_state from weft.tasks t where t.task_id = cancel_task.task_id for no key update;
  if not found then
    raise exception 'task % not found', task_id using errcode = 'WF005';
  end if;
  if v_state in ('pending', 'running') then
    update weft.tasks t
    set state = 'finalizing', finalize_requested_at = weft.now(), updated_at = pg_catalog.now(),
        -- qualified: inside this UPDATE a bare requested_by is the column weft.tasks.requested_by
        error = pg_catalog.jsonb_build_object('cancelled', pg_catalog.jsonb_build_object('reason', cancel_task.reason, 'by', cancel_task.requested_by))
    where t.task_id = cancel_task.task_id;
    insert into weft.transitions (entity, task_id, from_state, to_state, reason, processor_id, details)
    values ('task', cancel_task.task_id, v_state::text, 'finalizing', 'cancel_requested', requested_by,
            pg_catalog.jsonb_build_object('reason', reason));
    perform weft._wake('weft_orchestrator', 'finalize');
    v_state := 'finalizing';
  end if;
  for v_child in select t.task_id from weft.tasks t where t.parent_task_id = cancel_task.task_id and t.state in ('pending', 'running') loop
    perform weft.cancel_task(v_child, coalesce(reason, 'parent cancelled'), requested_by);
  end loop;
  return v_state;
end
$$;
