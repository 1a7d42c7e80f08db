-- weft.heartbeat_step(step_id, attempt, extend_seconds, progress) → table(carry_on, reason, visible_until)
--
-- Purpose : a worker says it is still working on an attempt. While the attempt is current and
--           its task is running, the lease — the visibility timeout of the step's queue
--           message — is extended by extend_seconds from now, optional progress
--           ({percent, message}) is stored, and carry_on is true. Otherwise carry_on is false
--           with the reason (superseded_attempt, step_cancelled, step_waiting_retry, …;
--           task_cancelled once a cancellation was requested, task_finalizing when the task ends
--           for another reason, e.g. a sibling step failed for good): the worker should stop.
-- Callers : workers, every third of the lease (the TS SDK does it by itself).
-- Locks   : the step row only (no task lock: heartbeats must not queue behind completions).
-- Errors  : WF001 bad arguments (extend_seconds outside 1..43200, progress not an object);
--           WF006 unknown step; WF007 attempt never started.
create function weft.heartbeat_step(step_id uuid, attempt integer, extend_seconds integer default 30, progress jsonb default null)
returns table (carry_on boolean, reason text, visible_until timestamptz)
language plpgsql volatile
set search_path = ''
as $$
#variable_conflict use_column
declare
  v weft._fence_result;
  v_vt timestamptz;
begin
  if extend_seconds is null or extend_seconds < 1 or extend_seconds > 43200 then
    raise exception 'extend_seconds must be from 1 to 43200, got %', coalesce(extend_seconds::text, 'null') using errcode = 'WF001';
  end if;
  if progress is not null and pg_catalog.jsonb_typeof(progress) <> 'object' then
    raise exception 'progress must be a JSON object like {"percent": 40, "message": "…"}, got a JSON %', pg_catalog.jsonb_typeof(progress)
      using errcode = 'WF001';
  end if;
  v := weft._fence_step(step_id, attempt, 'heartbeat', null, null, false, false);
  if v.verdict <> 'ok' then
    return query select false, v.reason, null::timestamptz;
    return;
  end if;
  if v.task_state not in ('running', 'compensating') then
    -- A cancellation moves the task to finalizing with a marker; say "cancelled" to the worker.
    return query select false,
      case when v.task_state = 'finalizing'
                and exists (select 1 from weft.tasks t where t.task_id = v.task_id and t.error ? 'cancelled')
           then 'task_cancelled' else 'task_' || v.task_state::text end,
      null::timestamptz;
    return;
  end if;
  v_vt := pg_catalog.clock_timestamp() + pg_catalog.make_interval(secs => extend_seconds);
  if v.msg_id is not null then
    perform pgmq.set_vt(v.namespace, v.msg_id, v_vt);
  end if;
  update weft.steps s set progress = coalesce(heartbeat_step.progress, s.progress), updated_at = pg_catalog.now()
  where s.step_id = heartbeat_step.step_id;
  return query select true, 'ok'::text, v_vt;
end
$$;
