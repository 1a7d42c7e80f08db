-- weft.fire_timers(processor_id, max_rows) → table(started_tasks, retried_steps, timed_out_steps, next_due_at)
--
-- Purpose : the durable timers, as one SQL sweep (rows, not in-memory timers): delayed tasks
--           whose run_after has come are started; steps in waiting_retry whose ready_at has come
--           get their next attempt enqueued; enqueued attempts past their deadline fail as
--           retryable timeouts (error code "timeout"). next_due_at says when the next timer is
--           due, so an orchestrator can sleep until then (or until a NOTIFY).
-- Callers : orchestrators, every tick (any number at once: rows are taken with SKIP LOCKED).
-- Locks   : task rows (FOR NO KEY UPDATE SKIP LOCKED), then their step rows.
create function weft.fire_timers(processor_id text default null, max_rows integer default 500)
returns table (started_tasks integer, retried_steps integer, timed_out_steps integer, next_due_at timestamptz)
language plpgsql volatile
set search_path = ''
as $$
#variable_conflict use_column
declare
  v_now timestamptz := weft.now();
  v_task uuid;
  v_started integer := 0;
  v_retried integer := 0;
  v_timed_out integer := 0;
  v_steps uuid[];
  v_step record;
  v_limit integer := greatest(coalesce(max_rows, 500), 1);
begin
  -- Delayed starts.
  for v_task in
    select t.task_id from weft.tasks t
    where t.state = 'pending' and t.run_after is not null and t.run_after <= v_now
    order by t.priority, t.task_id
    limit v_limit
    for no key update skip locked
  loop
    perform weft._start_task(v_task, processor_id, 'run_after_reached');
    v_started := v_started + 1;
  end loop;

  -- Retries whose backoff has elapsed (task lock first, then steps).
  with due_tasks as (
    select t.task_id from weft.tasks t
    where t.state in ('running', 'compensating')
      and t.task_id in (select s.task_id from weft.steps s where s.state = 'waiting_retry' and s.ready_at <= v_now
                        order by s.ready_at limit v_limit)
    for no key update of t skip locked
  )
  select pg_catalog.array_agg(s.step_id) into v_steps
  from weft.steps s join due_tasks d on d.task_id = s.task_id
  where s.state = 'waiting_retry' and s.ready_at <= v_now;
  v_retried := weft._enqueue_steps(v_steps, processor_id, 'retry_backoff_elapsed');

  -- Attempts past their deadline.
  for v_step in
    select s.step_id, s.task_id, s.attempt, s.timeout_ms from weft.steps s
    join weft.tasks t on t.task_id = s.task_id
    where s.state = 'enqueued' and s.deadline_at <= v_now
    order by s.deadline_at
    limit v_limit
    for no key update of t skip locked
  loop
    perform 1 from weft.steps s where s.step_id = v_step.step_id and s.state = 'enqueued' and s.attempt = v_step.attempt for update;
    if found then
      perform weft._apply_step_failure(v_step.task_id, v_step.step_id, v_step.attempt,
        pg_catalog.jsonb_build_object('code', 'timeout', 'message',
          pg_catalog.format('attempt %s exceeded its timeout of %s ms', v_step.attempt, v_step.timeout_ms)),
        true, processor_id, 'timed_out');
      v_timed_out := v_timed_out + 1;
    end if;
  end loop;

  return query select v_started, v_retried, v_timed_out, (
    select pg_catalog.min(d) from (
      select pg_catalog.min(t.run_after) as d from weft.tasks t where t.state = 'pending' and t.run_after is not null
      -- only timers this sweep can fire: steps of tasks still running (or compensating); a
      -- finalizing task's leftovers are cancelled by its finalization, not by a timer
      union all select pg_catalog.min(s.ready_at) from weft.steps s where s.state = 'waiting_retry'
        and exists (select 1 from weft.tasks t where t.task_id = s.task_id and t.state in ('running', 'compensating'))
      union all select pg_catalog.min(s.deadline_at) from weft.steps s where s.state = 'enqueued' and s.deadline_at is not null
        and exists (select 1 from weft.tasks t where t.task_id = s.task_id and t.state in ('running', 'compensating'))
    ) x);
end
$$;
