-- weft._start_task(task_id uuid, processor_id text, reason text) → void
--
-- Purpose : pending → running, and enqueues the steps that have no parents.
-- Callers : weft.request_task (no run_after), weft.fire_timers (run_after reached).
-- Locks   : caller holds the task row lock.
create function weft._start_task(task_id uuid, processor_id text, reason text) returns void
language plpgsql volatile
set search_path = ''
as $$
#variable_conflict use_column
declare
  v_roots uuid[];
begin
  update weft.tasks t set state = 'running', started_at = weft.now(), updated_at = pg_catalog.now()
  where t.task_id = _start_task.task_id and t.state = 'pending';
  if not found then
    return;
  end if;
  insert into weft.transitions (entity, task_id, from_state, to_state, reason, processor_id)
  values ('task', _start_task.task_id, 'pending', 'running', reason, processor_id);
  select pg_catalog.array_agg(s.step_id) into v_roots
  from weft.steps s where s.task_id = _start_task.task_id and s.pending_parents = 0 and s.state = 'pending';
  perform weft._enqueue_steps(v_roots, processor_id, reason);
end
$$;
