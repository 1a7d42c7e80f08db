-- weft.fail_step(step_id, attempt, error, retryable, processor_id) → weft.step_report
--
-- Purpose : a worker reports that attempt `attempt` failed. `error` is a JSON object (a bare
--           string becomes {"message": …}); its `code` / `name` are matched by the retry
--           policy's retry_on / dont_retry_on. retryable = false fails the step at once
--           (a permanent error). Retry or failure per weft._apply_step_failure.
--           Stale reports: recorded, not applied (outcome 'rejected', WARNING WF007).
-- Callers : workers (any language), weft.intake_step_results.
-- Locks   : task row, then step row (weft._fence_step).
-- Errors  : WF001 null step_id / bad attempt / error not an object or string; WF006; WF007.
--
-- Example : select * from weft.fail_step('0190…'::uuid, 1, '{"message":"card declined","code":"DECLINED"}', false);
create function weft.fail_step(
  step_id uuid, attempt integer, error jsonb default '{}', retryable boolean default true, processor_id text default null
) returns weft.step_report
language plpgsql volatile
set search_path = ''
as $$
#variable_conflict use_column
declare
  v weft._fence_result;
  v_error jsonb := coalesce(error, '{}'::jsonb);
begin
  if pg_catalog.jsonb_typeof(v_error) = 'string' then
    v_error := pg_catalog.jsonb_build_object('message', v_error #>> '{}');
  elsif pg_catalog.jsonb_typeof(v_error) <> 'object' then
    raise exception 'error must be a JSON object or string, got a JSON %', pg_catalog.jsonb_typeof(v_error)
      using errcode = 'WF001';
  end if;
  if pg_catalog.octet_length(v_error::text) > 65536 then
    v_error := pg_catalog.jsonb_build_object('message', pg_catalog.left(v_error ->> 'message', 4096), 'code', v_error -> 'code',
                                             'name', v_error -> 'name', 'truncated', true);
  end if;
  v := weft._fence_step(step_id, attempt, 'fail', v_error, processor_id, true, true);
  if v.verdict <> 'ok' then
    return row('rejected', v.reason, step_id, v.step_state, v.current_attempt, v.task_id, v.task_state)::weft.step_report;
  end if;
  return weft._apply_step_failure(v.task_id, step_id, attempt, v_error, retryable, processor_id,
                                  case when coalesce(retryable, true) then 'failed' else 'failed_permanently' end);
end
$$;
