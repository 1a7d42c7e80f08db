-- weft.claim_tasks_for_finalization(processor_id, task_ids, ttl_ms, max_tasks)
--   → table(task_id, outcome, expires_at)
--
-- Purpose : the finalization gate. For each candidate task in state finalizing, inserts a
--           claim (holder, expiry) unless a live claim of another processor exists. Exactly one
--           processor wins a task whatever the number of orchestrators: the claims primary key
--           serializes concurrent inserts, and ON CONFLICT takes the row over only when the
--           existing claim has expired (a takeover) or is the caller's own (a renewal).
--           Candidates: the given task_ids; or, when task_ids is null, up to max_tasks
--           finalizing tasks with no live claim, oldest request first, skipping rows another
--           orchestrator is claiming right now (SKIP LOCKED).
--           outcome: won | taken_over | contended (held by another) | not_finalizing.
--           Counters go to weft.processor_stats.
-- Callers : orchestrators (the finalization loop); weft.claim_task_for_finalization.
-- Locks   : task rows FOR UPDATE SKIP LOCKED (sweep mode); then the candidate task rows (FOR NO
--           KEY UPDATE, in task id order, waiting for a finalize_task in progress), then the
--           claim rows — the order weft.finalize_task uses (task, then claim).
-- Errors  : WF001 processor_id null/empty, ttl_ms outside 100..3600000.
create function weft.claim_tasks_for_finalization(
  processor_id text, task_ids uuid[] default null, ttl_ms integer default 30000, max_tasks integer default 100
) returns table (task_id uuid, outcome text, expires_at timestamptz)
language plpgsql volatile
set search_path = ''
-- Plans cached once per session (see 030-enqueue-steps.sql): costed for a typical array, the
-- custom plans look cheaper, and PL/pgSQL would plan every statement again at every call.
set plan_cache_mode = force_generic_plan
as $$
#variable_conflict use_column
declare
  v_now timestamptz := weft.now();
  v_candidates uuid[];
begin
  if processor_id is null or pg_catalog.btrim(processor_id) = '' then
    raise exception 'processor_id must be a non-empty string' using errcode = 'WF001';
  end if;
  if ttl_ms is null or ttl_ms < 100 or ttl_ms > 3600000 then
    raise exception 'ttl_ms must be from 100 to 3600000, got %', coalesce(ttl_ms::text, 'null') using errcode = 'WF001';
  end if;

  if task_ids is null then
    select pg_catalog.array_agg(c.task_id) into v_candidates from (
      select t.task_id from weft.tasks t
      where t.state = 'finalizing'
        -- NOT IN, not NOT EXISTS: a hashed subplan, built once per call from the few live
        -- claims. The claims table churns (a row per task, deleted at finalization) and its
        -- statistics usually say it is empty, so an anti join is planned as a sequential scan
        -- of its pages for every finalizing task: quadratic once a backlog builds up.
        and t.task_id not in (select c.task_id from weft.finalization_claims c where c.expires_at > v_now)
      order by t.finalize_requested_at
      limit greatest(coalesce(max_tasks, 100), 1)
      for update of t skip locked
    ) c;
  else
    v_candidates := task_ids;
  end if;
  if v_candidates is null then
    return;
  end if;

  return query
  with eligible as (
    -- Lock the tasks (in id order: no deadlock between callers naming overlapping lists). A
    -- task being finalized right now is waited for and then re-read: it is no longer
    -- finalizing, so no claim is granted on a task that is already terminal.
    -- (state compared as text: looked up by primary key, never by scanning the partial index of
    -- finalizing tasks, whose statistics on this queue-like table are usually stale.)
    select t.task_id from weft.tasks t where t.task_id = any (v_candidates) and t.state::text = 'finalizing'
    order by t.task_id
    for no key update of t
  ), previous as (
    select c.task_id, c.processor_id, c.expires_at from weft.finalization_claims c where c.task_id = any (v_candidates)
  ), upserted as (
    insert into weft.finalization_claims as c (task_id, processor_id, claimed_at, expires_at)
    select e.task_id, claim_tasks_for_finalization.processor_id, v_now, v_now + ttl_ms * interval '1 millisecond' from eligible e
    on conflict on constraint finalization_claims_pkey do update
      set processor_id = excluded.processor_id, claimed_at = excluded.claimed_at, expires_at = excluded.expires_at,
          takeovers = c.takeovers + case when c.processor_id = excluded.processor_id then 0 else 1 end
      where c.expires_at <= v_now or c.processor_id = excluded.processor_id
    returning c.task_id, c.expires_at
  ), outcomes as (
    select cand as task_id,
           case
             when u.task_id is not null and p.task_id is not null and p.processor_id <> claim_tasks_for_finalization.processor_id then 'taken_over'
             when u.task_id is not null then 'won'
             when e.task_id is null then 'not_finalizing'
             else 'contended'
           end as outcome,
           u.expires_at
    from pg_catalog.unnest(v_candidates) as cand
    left join eligible e on e.task_id = cand
    left join upserted u on u.task_id = cand
    left join previous p on p.task_id = cand
  ), counted as (
    insert into weft.processor_stats as ps (processor_id, claims_attempted, claims_won, claims_contended, claims_taken_over, last_seen_at)
    select claim_tasks_for_finalization.processor_id, pg_catalog.count(*),
           pg_catalog.count(*) filter (where o.outcome in ('won', 'taken_over')),
           pg_catalog.count(*) filter (where o.outcome = 'contended'),
           pg_catalog.count(*) filter (where o.outcome = 'taken_over'), pg_catalog.now()
    from outcomes o
    on conflict (processor_id) do update
      set claims_attempted = ps.claims_attempted + excluded.claims_attempted,
          claims_won = ps.claims_won + excluded.claims_won,
          claims_contended = ps.claims_contended + excluded.claims_contended,
          claims_taken_over = ps.claims_taken_over + excluded.claims_taken_over,
          last_seen_at = excluded.last_seen_at
    returning 1
  )
  -- `counted` runs although nothing reads it (data-modifying WITH queries always run once).
  select o.task_id, o.outcome, o.expires_at from outcomes o;
end
$$;
