-- weft.orchestrator_tick(processor_id, max_rows) → table(requests_accepted, requests_rejected,
--   results_applied, results_rejected, results_dead, started_tasks, retried_steps, timed_out_steps,
--   finalizable, next_due_at, next_due_in_ms, recovered_steps)
--
-- Purpose : one round trip for an orchestrator's periodic duties: request-queue intake,
--           result-queue intake, timers, stalled-step recovery (weft.recover_stalled_steps); and
--           how many finalizing tasks wait for a claim, counted up to max_rows (the caller then
--           claims and finalizes them; it needs to know there are some, not how many). An idle orchestrator issues this one query
--           per poll. next_due_in_ms is measured on the engine clock (weft.now()), so a caller
--           can sleep until the next timer even when a test has shifted the clock.
-- Callers : orchestrators.
create function weft.orchestrator_tick(processor_id text, max_rows integer default 100)
returns table (requests_accepted integer, requests_rejected integer, results_applied integer, results_rejected integer,
               results_dead integer, started_tasks integer, retried_steps integer, timed_out_steps integer,
               finalizable integer, next_due_at timestamptz, next_due_in_ms bigint, recovered_steps integer)
language plpgsql volatile
set search_path = ''
as $$
#variable_conflict use_column
declare
  r record;
  s record;
  t record;
  v_finalizable integer;
  v_recovered integer;
begin
  select * into r from weft.intake_task_requests(processor_id, max_rows);
  select * into s from weft.intake_step_results(processor_id, max_rows);
  select * into t from weft.fire_timers(processor_id, max_rows * 5);
  v_recovered := weft.recover_stalled_steps(processor_id, max_rows);
  select pg_catalog.count(*)::integer into v_finalizable from (
    select 1 from weft.tasks x where x.state = 'finalizing'
      -- NOT IN: a hashed subplan over the live claims (see 041-claim-tasks-for-finalization.sql)
      and x.task_id not in (select c.task_id from weft.finalization_claims c where c.expires_at > weft.now())
    limit greatest(coalesce(max_rows, 100), 1)) f;
  return query select r.accepted, r.rejected, s.applied, s.rejected, s.dead, t.started_tasks, t.retried_steps,
                      t.timed_out_steps, v_finalizable, t.next_due_at,
                      -- null when no timer is pending (greatest() would turn a null into 0: a busy loop)
                      case when t.next_due_at is null then null
                           else greatest(0, pg_catalog.ceil(extract(epoch from t.next_due_at - weft.now()) * 1000))::bigint end,
                      v_recovered;
end
$$;
