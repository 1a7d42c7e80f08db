-- weft.finalize_task(task_id, processor_id) → weft.task_state (the final state)
--
-- Purpose : the single place a task becomes terminal. The caller must hold a live claim
--           (weft.claim_task_for_finalization). From finalizing:
--             cancellation requested       → cancelled
--             some step in error, and completed steps declare a compensation handler, not yet
--               compensated                 → compensating: the saga's compensation steps are
--                                               created and started (weft._start_compensation);
--                                               the task comes back here when they are done
--             compensation step in error    → compensation_failed
--             some step in error            → error (error = {step, error} of the first failed
--                                               step, and the steps compensated, in order)
--             otherwise (every step done)   → complete (result = results of the leaf steps)
--           Steps not yet terminal are cancelled and their messages deleted. The claim row is
--           deleted (released), the processor's counter goes up, and NOTIFY weft_task_finished
--           (payload: task id) tells waiting clients.
--           A task is finalized exactly once: only a finalizing task can be claimed, and only
--           the claim holder can finalize it.
-- Callers : orchestrators, right after winning the claim (one task); weft.finalize_tasks (a
--           batch in one transaction, the orchestrator's usual path). The work itself is
--           weft._finalize_task; this wrapper adds the processor's counter.
-- Locks   : task row, then its step rows.
-- Errors  : WF001 nulls; WF005 unknown task; WF011 the caller holds no live claim;
--           WF008 the task is not finalizing.
create function weft._finalize_task(task_id uuid, processor_id text) returns weft.task_state
language plpgsql volatile
set search_path = ''
as $$
#variable_conflict use_column
declare
  v_task record;
  v_claim record;
  v_failed record;
  v_final weft.task_state;
  v_result jsonb;
  v_error jsonb;
  v_step record;
  v_compensated jsonb;
  v_comp_failed record;
begin
  if task_id is null or processor_id is null then
    raise exception 'task_id and processor_id must not be null' using errcode = 'WF001';
  end if;
  select t.state, t.namespace, t.workflow_id, t.error into v_task from weft.tasks t
  where t.task_id = _finalize_task.task_id for no key update;
  if not found then
    raise exception 'task % not found', task_id using errcode = 'WF005';
  end if;
  select c.processor_id, c.expires_at into v_claim from weft.finalization_claims c where c.task_id = _finalize_task.task_id for update;
  if not found or v_claim.processor_id <> _finalize_task.processor_id or v_claim.expires_at <= weft.now() then
    raise exception 'processor "%" holds no live finalization claim on task %', processor_id, task_id
      using errcode = 'WF011', detail = coalesce('claim held by ' || v_claim.processor_id || ' until ' || v_claim.expires_at, 'no claim'),
            hint = 'Claim it first with weft.claim_task_for_finalization.';
  end if;
  if v_task.state <> 'finalizing' then
    raise exception 'task % is %, not finalizing', task_id, v_task.state using errcode = 'WF008';
  end if;

  select s.name, s.error into v_failed from weft.steps s
  where s.task_id = _finalize_task.task_id and s.state = 'error' and s.kind = 'step'
  order by s.finished_at, s.position limit 1;
  select o.name, s.error into v_comp_failed from weft.steps s join weft.steps o on o.step_id = s.compensates
  where s.task_id = _finalize_task.task_id and s.state = 'error' and s.kind = 'compensation'
  order by s.finished_at limit 1;
  -- the compensated steps, in the order their compensations completed
  select pg_catalog.jsonb_agg(o.name order by s.finished_at, s.step_id) into v_compensated
  from weft.steps s join weft.steps o on o.step_id = s.compensates
  where s.task_id = _finalize_task.task_id and s.kind = 'compensation' and s.state = 'complete';

  if v_task.error ? 'cancelled' then
    v_final := 'cancelled';
    v_error := v_task.error;
  elsif v_comp_failed.name is not null then
    v_final := 'compensation_failed';
    v_error := pg_catalog.jsonb_build_object('step', v_failed.name, 'error', v_failed.error,
      'compensation_failed', pg_catalog.jsonb_build_object('step', v_comp_failed.name, 'error', v_comp_failed.error),
      'compensated', coalesce(v_compensated, '[]'::jsonb));
  elsif v_failed.name is not null then
    if not exists (select 1 from weft.steps s where s.task_id = _finalize_task.task_id and s.kind = 'compensation')
       and exists (select 1 from weft.steps s where s.task_id = _finalize_task.task_id and s.kind = 'step'
                   and s.state = 'complete' and s.compensate is not null) then
      v_final := 'compensating';
    else
      v_final := 'error';
      v_error := pg_catalog.jsonb_build_object('step', v_failed.name, 'error', v_failed.error);
      if v_compensated is not null then
        v_error := v_error || pg_catalog.jsonb_build_object('compensated', v_compensated);
      end if;
    end if;
  else
    v_final := 'complete';
    select coalesce(pg_catalog.jsonb_object_agg(s.name, s.result order by s.position), '{}'::jsonb) into v_result
    from weft.steps s
    where s.task_id = _finalize_task.task_id and s.state = 'complete'
      and not exists (select 1 from weft.workflow_edges e where e.workflow_id = v_task.workflow_id and e.parent = s.name);
  end if;

  -- Steps still open never run: cancel them and drop their messages.
  for v_step in
    update weft.steps s set state = 'cancelled', msg_id = null, finished_at = weft.now(), updated_at = pg_catalog.now()
    from (select s2.step_id, s2.state as old_state, s2.msg_id as old_msg from weft.steps s2
          where s2.task_id = _finalize_task.task_id and s2.state in ('pending', 'enqueued', 'waiting_retry') for update) o
    where s.step_id = o.step_id
    returning s.step_id, o.old_state, o.old_msg, s.attempt
  loop
    if v_step.old_msg is not null then
      perform pgmq.delete(v_task.namespace, v_step.old_msg);
    end if;
    insert into weft.transitions (entity, task_id, step_id, from_state, to_state, reason, processor_id, attempt)
    values ('step', _finalize_task.task_id, v_step.step_id, v_step.old_state::text, 'cancelled', 'task_' || v_final::text, processor_id, v_step.attempt);
  end loop;

  if v_final = 'compensating' then
    perform weft._start_compensation(_finalize_task.task_id, processor_id);
    delete from weft.finalization_claims c where c.task_id = _finalize_task.task_id;
    return v_final;
  end if;

  update weft.tasks t set state = v_final, result = v_result, error = v_error, finished_at = weft.now(), updated_at = pg_catalog.now()
  where t.task_id = _finalize_task.task_id;
  insert into weft.transitions (entity, task_id, from_state, to_state, reason, processor_id)
  values ('task', _finalize_task.task_id, 'finalizing', v_final::text, 'finalized', processor_id);
  delete from weft.finalization_claims c where c.task_id = _finalize_task.task_id;
  perform pg_catalog.pg_notify('weft_task_finished', _finalize_task.task_id::text);
  return v_final;
end
$$;

create function weft.finalize_task(task_id uuid, processor_id text) returns weft.task_state
language plpgsql volatile
set search_path = ''
as $$
declare
  v_final weft.task_state;
begin
  v_final := weft._finalize_task(task_id, processor_id);
  if v_final <> 'compensating' then
    insert into weft.processor_stats as ps (processor_id, tasks_finalized, last_seen_at) values (processor_id, 1, pg_catalog.now())
    on conflict on constraint processor_stats_pkey do update set tasks_finalized = ps.tasks_finalized + 1, last_seen_at = excluded.last_seen_at;
  end if;
  return v_final;
end
$$;
