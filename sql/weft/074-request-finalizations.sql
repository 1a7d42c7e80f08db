-- weft._request_finalizations(task_ids uuid[], reason text, processor_id text) → uuid[] (tasks moved)
--
-- Purpose : running (or compensating) → finalizing for a set of tasks at once: nothing more
--           will be started for them; an orchestrator claims and finalizes each
--           (weft.claim_tasks_for_finalization, weft.finalize_tasks). Tasks in any other state
--           are left alone. One transition row per task moved, and one throttled wake-up
--           weft_orchestrator 'finalize' (weft._wake) for the whole set.
-- Callers : weft._request_finalization (one task). (weft.complete_steps does the same work in
--           the update of the tasks it already makes.)
-- Locks   : the caller holds the task row locks.
create function weft._request_finalizations(task_ids uuid[], reason text, processor_id text) returns uuid[]
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
  v_moved uuid[];
begin
  with moved as (
    update weft.tasks t set state = 'finalizing', finalize_requested_at = v_now, updated_at = pg_catalog.now()
    from weft.tasks o
    where t.task_id = any (_request_finalizations.task_ids) and o.task_id = t.task_id and t.state in ('running', 'compensating')
    returning t.task_id, o.state as from_state
  ), logged as (
    insert into weft.transitions (entity, task_id, from_state, to_state, reason, processor_id)
    select 'task', m.task_id, m.from_state::text, 'finalizing', _request_finalizations.reason, _request_finalizations.processor_id
    from moved m
  )
  select pg_catalog.array_agg(m.task_id order by m.task_id) into v_moved from moved m;
  if v_moved is not null then
    perform weft._wake('weft_orchestrator', 'finalize');
  end if;
  return v_moved;
end
$$;
