-- weft.finalize_tasks(task_ids uuid[], processor_id text) → table(task_id uuid, state weft.task_state)
--
-- Purpose : finalizes a batch of tasks the caller has claimed, in one transaction: the same
--           work as weft.finalize_task for each (weft._finalize_task), in task id order, with
--           one commit and one update of the processor's counter for the whole batch. Tasks the
--           caller does not hold a live claim on, or that are no longer finalizing, are left
--           alone and returned with state null (the claim expired and another processor took
--           the task over, or it was finalized already) — the rest of the batch still goes in.
-- Callers : orchestrators, with the task ids weft.claim_tasks_for_finalization gave them.
-- Locks   : each task row (in task id order, the order claims take them), then its claim row
--           (renewed: a live claim cannot expire mid-batch) and step rows; the processor_stats
--           row once, at the end.
-- Errors  : WF001 task_ids or processor_id null, more than 1000 task ids.
--
-- Example : select * from weft.finalize_tasks(array['0190…'::uuid], 'orchestrator-1');
create function weft.finalize_tasks(task_ids uuid[], processor_id text)
returns table (task_id uuid, state weft.task_state)
language plpgsql volatile
set search_path = ''
as $$
#variable_conflict use_column
declare
  v_id uuid;
  v_final weft.task_state;
  v_done integer := 0;
begin
  if task_ids is null or processor_id is null then
    raise exception 'task_ids and processor_id must not be null' using errcode = 'WF001';
  end if;
  if pg_catalog.cardinality(task_ids) > 1000 then
    raise exception 'at most 1000 tasks per call, got %', pg_catalog.cardinality(task_ids) using errcode = 'WF001';
  end if;
  for v_id in select distinct u.id from pg_catalog.unnest(task_ids) as u (id) where u.id is not null order by 1 loop
    perform 1 from weft.tasks t where t.task_id = v_id and t.state = 'finalizing' for no key update;
    if found then
      -- The caller's live claim, locked and renewed for a few seconds (a holder may renew its
      -- claim), so that it cannot expire between this check and weft._finalize_task's own.
      update weft.finalization_claims c set expires_at = greatest(c.expires_at, weft.now() + interval '5 seconds')
      where c.task_id = v_id and c.processor_id = finalize_tasks.processor_id and c.expires_at > weft.now();
    end if;
    if found then
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
