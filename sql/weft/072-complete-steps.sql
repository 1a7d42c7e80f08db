-- weft.complete_steps(step_ids uuid[], attempts integer[], results jsonb[], processor_id text)
--   → setof weft.step_report (one per step, in the order given)
--
-- Purpose : a batch of worker reports of success, applied set-based in one transaction and one
--           round trip — what a busy worker sends instead of one call per step (the TS SDK
--           batches the reports that pile up while a call is in flight). Each element means
--           exactly weft.complete_step(step_ids[i], attempts[i], results[i], processor_id):
--           fenced by its attempt, applied, duplicate or rejected on its own, with the same
--           rows written (steps, transitions, rejected_results, queue messages, children,
--           tasks). The work is done once per batch, not once per step: one statement locks the
--           tasks, one locks and fences the steps, one completes them, one decrements every
--           child, one weft._enqueue_steps sends the ready children, one updates the tasks
--           (steps remaining, and finalizing for those with none left).
--           A batch naming one step twice, or with a null element, is applied element by
--           element (weft.complete_step in a loop), as are the errors it raises.
--           The batch is all or nothing only for errors (WF001/WF006/WF007 raised, WF012, a
--           deadlock): then no element is applied and the caller reports them one by one.
--           A report's task_state is the task's state after the whole batch.
-- Callers : worker SDKs (weft_worker role); weft.complete_steps_and_read; any worker that
--           reports several results at once.
-- Locks   : the tasks (FOR NO KEY UPDATE, in task id order), then the steps (FOR UPDATE, in
--           task id then step id order), then the children rows — the engine's lock order
--           (task → steps), so concurrent batches and single reports cannot deadlock.
-- Errors  : WF001 arrays null, of different lengths, or longer than 1000, a null step id or an
--           attempt below 1; WF006 unknown step; WF007 an attempt never started; WF012 the
--           calling role may not act on a step's namespace.
--
-- Example : select * from weft.complete_steps(array[$1, $2]::uuid[], array[1, 1], array['1', '2']::jsonb[], 'w1');
create function weft.complete_steps(step_ids uuid[], attempts integer[], results jsonb[], processor_id text default null)
returns setof weft.step_report
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
  v record;
  v_n integer := pg_catalog.cardinality(step_ids);
  v_out weft.step_report[] := '{}';
  v_namespace text;
  v_fence weft._fence_result[]; -- element k fences step_ids[k]
  v_ok integer[];               -- the elements to apply
  v_ready uuid[];
  v_namespaces text[] := '{}';
  v_task_ids uuid[];
  v_task_states weft.task_state[];
  v_moved integer;
begin
  if step_ids is null or attempts is null or results is null then
    raise exception 'step_ids, attempts and results must not be null' using errcode = 'WF001';
  end if;
  if pg_catalog.cardinality(attempts) <> v_n or pg_catalog.cardinality(results) <> v_n then
    raise exception 'step_ids, attempts and results must have the same length (got %, %, %)',
      v_n, pg_catalog.cardinality(attempts), pg_catalog.cardinality(results) using errcode = 'WF001';
  end if;
  if v_n > 1000 then
    raise exception 'at most 1000 steps per call, got %', v_n using errcode = 'WF001';
  end if;
  if v_n = 0 then
    return;
  end if;

  -- Irregular batches (a step twice, a null element, an attempt below 1): element by element,
  -- the reference meaning, and weft.complete_step's errors.
  if pg_catalog.array_position(step_ids, null) is not null or pg_catalog.array_position(attempts, null) is not null
     or exists (select from pg_catalog.unnest(attempts) a where a < 1)
     or (select pg_catalog.count(distinct u) from pg_catalog.unnest(step_ids) u) <> v_n then
    for v in
      select u.i, u.step_id, attempts[u.i] as attempt, results[u.i] as result
      from pg_catalog.unnest(step_ids) with ordinality as u (step_id, i)
      left join weft.steps s on s.step_id = u.step_id
      order by s.task_id, u.i
    loop
      v_out[v.i] := weft.complete_step(v.step_id, v.attempt, v.result, processor_id);
    end loop;
    return query select * from pg_catalog.unnest(v_out);
    return;
  end if;

  -- Lock order: the tasks, in task id order, then their steps. Then the namespaces' access
  -- (WF012, 070-privileges.sql): the whole batch is refused when one step is out of reach.
  for v_namespace in
    select t.namespace from weft.tasks t
    where t.task_id in (select s.task_id from weft.steps s where s.step_id = any (step_ids))
    order by t.task_id
    for no key update of t
  loop
    if not v_namespace = any (v_namespaces) then
      v_namespaces := v_namespaces || v_namespace;
      perform weft._assert_namespace_access(v_namespace);
    end if;
  end loop;

  -- Fence every element at once (weft._fence_step's verdicts), its step row locked; the task
  -- rows are locked, so their state read here holds until commit.
  select pg_catalog.array_agg(row(
           case
             when f.attempt < f.cur_attempt then 'stale'
             when f.step_state = 'complete' then 'duplicate'
             when f.step_state <> 'enqueued' or f.task_state in ('complete', 'error', 'cancelled', 'compensation_failed')
                  or f.deadline_at <= v_now then 'stale'
             else 'ok'
           end,
           case
             when f.attempt < f.cur_attempt then 'superseded_attempt'
             when f.step_state = 'complete' then 'already_complete'
             when f.step_state <> 'enqueued' then 'step_' || f.step_state::text
             when f.task_state in ('complete', 'error', 'cancelled', 'compensation_failed') then 'task_' || f.task_state::text
             when f.deadline_at <= v_now then 'deadline_passed'
           end,
           f.task_id, f.namespace, f.workflow_id, f.task_state, f.step_name, f.step_state, f.cur_attempt, f.max_attempts,
           null, f.msg_id)::weft._fence_result order by f.i)
  into v_fence
  from (
    select u.i, u.attempt, s.task_id, t.namespace, t.workflow_id, t.state as task_state, s.name as step_name,
           s.state as step_state, s.attempt as cur_attempt, s.max_attempts, s.msg_id, s.deadline_at
    from rows from (pg_catalog.unnest(step_ids), pg_catalog.unnest(attempts)) with ordinality as u (step_id, attempt, i)
    join weft.steps s on s.step_id = u.step_id
    join weft.tasks t on t.task_id = s.task_id
    order by s.task_id, s.step_id
    for update of s
  ) f;

  if coalesce(pg_catalog.cardinality(v_fence), 0) < v_n then
    select u.step_id into v from pg_catalog.unnest(step_ids) with ordinality as u (step_id, i)
    where not exists (select from weft.steps s where s.step_id = u.step_id) order by u.i limit 1;
    raise exception 'step % not found', v.step_id using errcode = 'WF006';
  end if;
  select k into v from pg_catalog.generate_subscripts(v_fence, 1) as k where attempts[k] > (v_fence[k]).current_attempt order by k limit 1;
  if found then
    raise exception 'attempt % of step % was never started (current attempt is %)', attempts[v.k], step_ids[v.k], (v_fence[v.k]).current_attempt
      using errcode = 'WF007', hint = 'Report with the attempt number from the step message.';
  end if;

  -- Not applied: duplicates and stale reports are recorded, stale ones with a warning each.
  for v in select k, (v_fence[k]).* from pg_catalog.generate_subscripts(v_fence, 1) as k where (v_fence[k]).verdict <> 'ok' loop
    insert into weft.rejected_results (task_id, step_id, attempt, current_attempt, step_state, kind, reason, payload, processor_id)
    values (v.task_id, step_ids[v.k], attempts[v.k], v.current_attempt, v.step_state::text, 'complete', v.reason, results[v.k], processor_id);
    if v.verdict = 'stale' then
      raise warning 'weft: complete of step % attempt % rejected (%); current attempt is %, step is %',
        step_ids[v.k], attempts[v.k], v.reason, v.current_attempt, v.step_state
        using errcode = 'WF007';
    end if;
    v_out[v.k] := row(case v.verdict when 'duplicate' then 'duplicate' else 'rejected' end, v.reason, step_ids[v.k],
      v.step_state, v.current_attempt, v.task_id, v.task_state)::weft.step_report;
  end loop;

  select pg_catalog.array_agg(k order by k) into v_ok from pg_catalog.generate_subscripts(v_fence, 1) as k where (v_fence[k]).verdict = 'ok';
  if v_ok is null then
    return query select * from pg_catalog.unnest(v_out);
    return;
  end if;

  -- The steps complete, one transition each; their messages go.
  with done as (
    update weft.steps s
    set state = 'complete', result = results[k], error = null, finished_at = v_now, msg_id = null,
        deadline_at = null, ready_at = null, updated_at = pg_catalog.now()
    from pg_catalog.unnest(v_ok) as k
    where s.step_id = step_ids[k]
    returning s.step_id, s.task_id, s.attempt
  )
  insert into weft.transitions (entity, task_id, step_id, from_state, to_state, reason, processor_id, attempt)
  select 'step', d.task_id, d.step_id, 'enqueued', 'complete', 'completed', complete_steps.processor_id, d.attempt from done d;
  for v in
    select (v_fence[k]).namespace as namespace, pg_catalog.array_agg((v_fence[k]).msg_id) as msg_ids
    from pg_catalog.unnest(v_ok) as k where (v_fence[k]).msg_id is not null group by 1
  loop
    -- the namespace's delete function: static SQL, its plan kept (029-queue-functions.sql)
    execute pg_catalog.format('select weft.%I($1)', '_q_delete_' || v.namespace) using v.msg_ids;
  end loop;

  -- Children: one fewer pending parent for each parent completed here; those at zero are
  -- ready while their task runs or compensates.
  with parents as (
    select step_ids[k] as step_id, (v_fence[k]).* from pg_catalog.unnest(v_ok) as k
  ), children as (
    select c.step_id, p.task_state
    from parents p
    join weft.workflow_edges e on e.workflow_id = p.workflow_id and e.parent = p.step_name
    join weft.steps c on c.task_id = p.task_id and c.name = e.child and c.kind = 'step'
    union all
    select d.child_step_id, p.task_state from parents p join weft.step_dependencies d on d.parent_step_id = p.step_id
  ), counted as (
    select ch.step_id, pg_catalog.count(*)::integer as n, pg_catalog.min(ch.task_state::text) as task_state
    from children ch group by ch.step_id
  ), dec as (
    update weft.steps c set pending_parents = c.pending_parents - k.n, updated_at = pg_catalog.now()
    from counted k
    where c.step_id = k.step_id
    returning c.step_id, c.pending_parents, c.state, k.task_state
  )
  select pg_catalog.array_agg(dec.step_id order by dec.step_id) into v_ready from dec
  where dec.pending_parents = 0 and dec.state = 'pending' and dec.task_state in ('running', 'compensating');
  if v_ready is not null then
    perform weft._enqueue_steps(v_ready, processor_id, 'parents_complete');
  end if;

  -- Tasks: fewer steps remaining; those at none move to finalizing in the same row write
  -- (weft._request_finalizations' work: transition, one wake-up of the orchestrators).
  with per_task as (
    select (v_fence[k]).task_id as task_id, pg_catalog.min((v_fence[k]).task_state::text) as old_state,
           pg_catalog.count(*)::integer as n
    from pg_catalog.unnest(v_ok) as k group by 1
  ), upd as (
    update weft.tasks t
    set steps_remaining = t.steps_remaining - p.n,
        state = case when t.steps_remaining = p.n and t.state in ('running', 'compensating') then 'finalizing' else t.state end,
        finalize_requested_at = case when t.steps_remaining = p.n and t.state in ('running', 'compensating') then v_now
                                     else t.finalize_requested_at end,
        updated_at = pg_catalog.now()
    from per_task p where t.task_id = p.task_id
    returning t.task_id, t.state, p.old_state
  ), logged as (
    insert into weft.transitions (entity, task_id, from_state, to_state, reason, processor_id)
    select 'task', u.task_id, u.old_state, 'finalizing', 'all_steps_complete', complete_steps.processor_id
    from upd u where u.state = 'finalizing' and u.old_state <> 'finalizing'
  )
  select pg_catalog.array_agg(u.task_id), pg_catalog.array_agg(u.state),
         pg_catalog.count(*) filter (where u.state = 'finalizing' and u.old_state <> 'finalizing')
  into v_task_ids, v_task_states, v_moved
  from upd u;
  if v_moved > 0 then
    perform weft._wake('weft_orchestrator', 'finalize');
  end if;

  for v in
    select k, x.state from pg_catalog.unnest(v_ok) as k
    join rows from (pg_catalog.unnest(v_task_ids), pg_catalog.unnest(v_task_states)) as x (task_id, state)
      on x.task_id = (v_fence[k]).task_id
  loop
    v_out[v.k] := row('applied', null, step_ids[v.k], 'complete'::weft.step_state, attempts[v.k], (v_fence[v.k]).task_id, v.state)::weft.step_report;
  end loop;
  return query select * from pg_catalog.unnest(v_out);
end
$$;
