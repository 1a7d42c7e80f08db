-- weft.finalize_tasks(task_ids uuid[], processor_id text) → table(task_id uuid, state weft.task_state)
--
-- Purpose : finalizes a batch of tasks the caller has claimed, in one transaction: the same
--           outcome as weft.finalize_task for each, with one commit and one update of the
--           processor's counter for the whole batch. The common case is done set-based: tasks
--           whose steps all completed (or were skipped), with no cancellation requested, become
--           complete together — leaf results gathered, task rows, transitions, claims released
--           and weft_task_finished notifications in one statement each. Every other task
--           (a failed step, a cancellation, a saga to compensate, steps still open) goes through
--           weft._finalize_task, one by one, in task id order. Tasks the
--           caller does not hold a live claim on, or that are no longer finalizing, are left
--           alone and returned with state null (the claim expired and another processor took
--           the task over, or it was finalized already) — the rest of the batch still goes in.
-- Callers : orchestrators, with the task ids weft.claim_tasks_for_finalization gave them.
-- Locks   : the task rows (FOR NO KEY UPDATE, in task id order, the order claims take them),
--           then the caller's claim rows (renewed: a live claim cannot expire mid-batch), then,
--           task by task, the step rows of the tasks that are not simple; the processor_stats
--           row once, at the end.
-- Errors  : WF001 task_ids or processor_id null, more than 1000 task ids.
--
-- Example : select * from weft.finalize_tasks(array['0190…'::uuid], 'orchestrator-1');
create function weft.finalize_tasks(task_ids uuid[], processor_id text)
returns table (task_id uuid, state weft.task_state)
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
  v_id uuid;
  v_final weft.task_state;
  v_held uuid[];
  v_simple uuid[];
  v_done integer := 0;
begin
  if task_ids is null or processor_id is null then
    raise exception 'task_ids and processor_id must not be null' using errcode = 'WF001';
  end if;
  if pg_catalog.cardinality(task_ids) > 1000 then
    raise exception 'at most 1000 tasks per call, got %', pg_catalog.cardinality(task_ids) using errcode = 'WF001';
  end if;

  -- The finalizing tasks, locked in task id order; then the caller's live claims on them,
  -- locked and renewed for a few seconds (a holder may renew its claim), so that none expires
  -- before this transaction ends.
  perform from weft.tasks t
  where t.task_id = any (finalize_tasks.task_ids) and t.state::text = 'finalizing' -- as text: by primary key, not by a partial index
  order by t.task_id
  for no key update of t;
  with renewed as (
    update weft.finalization_claims c set expires_at = greatest(c.expires_at, v_now + interval '5 seconds')
    from weft.tasks t
    where c.task_id = any (finalize_tasks.task_ids) and c.processor_id = finalize_tasks.processor_id and c.expires_at > v_now
      and t.task_id = c.task_id and t.state::text = 'finalizing'
    returning c.task_id
  )
  select pg_catalog.array_agg(r.task_id order by r.task_id) into v_held from renewed r;
  if v_held is null then
    return query select distinct u.id, null::weft.task_state from pg_catalog.unnest(task_ids) as u (id) where u.id is not null order by 1;
    return;
  end if;

  -- The common case, set-based: every step complete or skipped, no cancellation requested.
  select pg_catalog.array_agg(t.task_id order by t.task_id) into v_simple
  from weft.tasks t
  where t.task_id = any (v_held) and not (coalesce(t.error, '{}'::jsonb) ? 'cancelled')
    and not exists (select from weft.steps s where s.task_id = t.task_id and s.state not in ('complete', 'skipped'));
  if v_simple is not null then
    with results as (
      select t.task_id, coalesce((
        select pg_catalog.jsonb_object_agg(s.name, s.result order by s.position)
        from weft.steps s
        where s.task_id = t.task_id and s.state = 'complete'
          and not exists (select from weft.workflow_edges e where e.workflow_id = t.workflow_id and e.parent = s.name)
      ), '{}'::jsonb) as result
      from weft.tasks t where t.task_id = any (v_simple)
    ), finished as (
      update weft.tasks t set state = 'complete', result = r.result, error = null, finished_at = v_now, updated_at = pg_catalog.now()
      from results r where t.task_id = r.task_id
      returning t.task_id
    ), logged as (
      insert into weft.transitions (entity, task_id, from_state, to_state, reason, processor_id)
      select 'task', f.task_id, 'finalizing', 'complete', 'finalized', finalize_tasks.processor_id from finished f
    ), released as (
      delete from weft.finalization_claims c using finished f where c.task_id = f.task_id
    )
    select pg_catalog.count(*)::integer into v_done from finished;
    perform pg_catalog.pg_notify('weft_task_finished', u.id::text) from pg_catalog.unnest(v_simple) as u (id);
  end if;

  -- The rest, one by one; tasks not held come back with state null.
  for v_id in select distinct u.id from pg_catalog.unnest(task_ids) as u (id) where u.id is not null order by 1 loop
    if v_id = any (v_simple) then
      v_final := 'complete';
    elsif v_id = any (v_held) then
      v_final := weft._finalize_task(v_id, processor_id);
      if v_final <> 'compensating' then
        v_done := v_done + 1;
      end if;
    else
      v_final := null;
    end if;
    task_id := v_id;
    state := v_final;
    return next;
  end loop;
  if v_done > 0 then
    insert into weft.processor_stats as ps (processor_id, tasks_finalized, last_seen_at) values (processor_id, v_done, pg_catalog.now())
    on conflict on constraint processor_stats_pkey do update set tasks_finalized = ps.tasks_finalized + excluded.tasks_finalized, last_seen_at = excluded.last_seen_at;
  end if;
end
$$;
