-- weft.purge_finished_tasks(older_than interval, max_tasks integer) → integer (tasks deleted)
--
-- Purpose : retention of finished work: deletes tasks that are terminal (complete, error,
--           cancelled, compensation_failed) and finished more than `older_than` ago, with their
--           steps, step dependencies, transitions, rejected results and claims; at most
--           max_tasks per call (run it repeatedly for a large backlog). Child tasks are
--           detached (parent_task_id set null) when their parent goes first.
-- Callers : operators, `weft purge`, schedulers (pg_cron), the benchmark.
-- Locks   : the deleted rows.
-- Errors  : WF001 older_than null or negative, max_tasks < 1.
--
-- Example : select weft.purge_finished_tasks(interval '30 days');
create function weft.purge_finished_tasks(older_than interval, max_tasks integer default 10000) returns integer
language plpgsql volatile
set search_path = ''
as $$
#variable_conflict use_column
declare
  v_ids uuid[];
begin
  if older_than is null or older_than < interval '0' then
    raise exception 'older_than must be a non-negative interval, got %', coalesce(older_than::text, 'null') using errcode = 'WF001';
  end if;
  if max_tasks is null or max_tasks < 1 then
    raise exception 'max_tasks must be at least 1, got %', coalesce(max_tasks::text, 'null') using errcode = 'WF001';
  end if;
  select pg_catalog.array_agg(t.task_id) into v_ids from (
    select t.task_id from weft.tasks t
    where t.state in ('complete', 'error', 'cancelled', 'compensation_failed') and t.finished_at < weft.now() - older_than
    order by t.finished_at limit max_tasks
    for update skip locked) t;
  if v_ids is null then
    return 0;
  end if;
  update weft.tasks t set parent_task_id = null where t.parent_task_id = any (v_ids) and not t.task_id = any (v_ids);
  delete from weft.transitions tr where tr.task_id = any (v_ids);
  delete from weft.rejected_results r where r.task_id = any (v_ids);
  delete from weft.step_dependencies d where d.task_id = any (v_ids);
  -- steps reference each other (compensates): clear before deleting
  update weft.steps s set compensates = null where s.task_id = any (v_ids) and s.compensates is not null;
  delete from weft.steps s where s.task_id = any (v_ids);
  delete from weft.tasks t where t.task_id = any (v_ids);
  return pg_catalog.cardinality(v_ids);
end
$$;
