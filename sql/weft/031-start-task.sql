-- weft._start_task(task_id uuid, processor_id text, reason text) → void
--
-- Purpose : pending → running, and enqueues the steps that have no parents: weft._start_tasks
--           for one task.
-- Callers : weft.fire_timers (run_after reached).
-- Locks   : caller holds the task row lock.
create function weft._start_task(task_id uuid, processor_id text, reason text) returns void
language plpgsql volatile
set search_path = ''
as $$
begin
  perform weft._start_tasks(array[task_id], processor_id, reason);
end
$$;
