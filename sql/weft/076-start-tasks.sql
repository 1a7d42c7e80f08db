-- weft._start_tasks(task_ids uuid[], processor_id text, reason text) → void
--
-- Purpose : pending → running for a set of tasks at once: one transition row each, and the root
--           steps of all of them (no parents) enqueued by one weft._enqueue_steps call. Tasks
--           not pending are left alone.
-- Callers : weft._start_task (one task: weft.fire_timers); any caller starting several tasks.
-- Locks   : the task rows (FOR NO KEY UPDATE, via the UPDATE, in task id order), then the root
--           step rows (weft._enqueue_steps).
create function weft._start_tasks(task_ids uuid[], processor_id text, reason text) returns void
language plpgsql volatile
set search_path = ''
-- Plans cached once per session (see 030-enqueue-steps.sql): costed for a typical array, the
-- custom plans look cheaper, and PL/pgSQL would plan every statement again at every call.
set plan_cache_mode = force_generic_plan
as $$
#variable_conflict use_column
declare
  -- one reading of the engine clock per call: weft.now() in a statement runs once per row
  v_now timestamptz := weft.now();
  v_started uuid[];
  v_roots uuid[];
begin
  with locked as (
    select t.task_id from weft.tasks t
    where t.task_id = any (_start_tasks.task_ids) and t.state::text = 'pending' -- as text: by primary key, not by a partial index
    order by t.task_id
    for no key update of t
  ), started as (
    update weft.tasks t set state = 'running', started_at = v_now, updated_at = pg_catalog.now()
    from locked l where t.task_id = l.task_id
    returning t.task_id
  ), logged as (
    insert into weft.transitions (entity, task_id, from_state, to_state, reason, processor_id)
    select 'task', s.task_id, 'pending', 'running', _start_tasks.reason, _start_tasks.processor_id from started s
  )
  select pg_catalog.array_agg(s.task_id) into v_started from started s;
  if v_started is null then
    return;
  end if;
  select pg_catalog.array_agg(s.step_id) into v_roots
  from weft.steps s where s.task_id = any (v_started) and s.pending_parents = 0 and s.state = 'pending';
  perform weft._enqueue_steps(v_roots, processor_id, reason);
end
$$;
