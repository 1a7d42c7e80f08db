-- weft.complete_steps(step_ids uuid[], attempts integer[], results jsonb[], processor_id text)
--   → setof weft.step_report (one per step, in the order given)
--
-- Purpose : a batch of weft.complete_step reports in one transaction and one round trip — what
--           a busy worker sends instead of one call per step (the TS SDK batches the reports
--           that pile up while a call is in flight). Each element is exactly
--           weft.complete_step(step_ids[i], attempts[i], results[i], processor_id): fenced by
--           its attempt, applied, duplicate or rejected on its own. The batch is all or
--           nothing only for errors (WF001/WF006/WF007 raised, WF012, a deadlock): then no
--           element is applied and the caller reports them one by one.
--           Steps are applied in task id order (then the order given), the lock order every
--           multi-task function in weft uses, so concurrent batches cannot deadlock each other.
-- Callers : worker SDKs (weft_worker role); any worker that reports several results at once.
-- Locks   : as weft.complete_step, task by task in task id order.
-- Errors  : WF001 arrays null, of different lengths, or longer than 1000; then as
--           weft.complete_step for each element.
--
-- Example : select * from weft.complete_steps(array[$1, $2]::uuid[], array[1, 1], array['1', '2']::jsonb[], 'w1');
create function weft.complete_steps(step_ids uuid[], attempts integer[], results jsonb[], processor_id text default null)
returns setof weft.step_report
language plpgsql volatile
set search_path = ''
as $$
#variable_conflict use_column
declare
  v record;
  v_n integer := pg_catalog.cardinality(step_ids);
  v_out weft.step_report[] := '{}';
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
  for v in
    select u.i, u.step_id, attempts[u.i] as attempt, results[u.i] as result
    from pg_catalog.unnest(step_ids) with ordinality as u (step_id, i)
    left join weft.steps s on s.step_id = u.step_id
    order by s.task_id, u.i
  loop
    v_out[v.i] := weft.complete_step(v.step_id, v.attempt, v.result, processor_id);
  end loop;
  return query select * from pg_catalog.unnest(v_out);
end
$$;
