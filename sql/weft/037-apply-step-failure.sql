-- weft._apply_step_failure(task_id, step_id, attempt, error, retryable, processor_id, reason) → weft.step_report
--
-- Purpose : what a failed attempt leads to, per the step's retry policy: when the error is
--           retryable, attempts remain (max_attempts counts the first run) and the policy's
--           retry_on / dont_retry_on filters allow it (matched against error.code and
--           error.name), the step waits in waiting_retry until ready_at = now + backoff;
--           otherwise it is in error and the task moves to finalizing. The queue message of
--           the attempt is deleted either way.
-- Callers : weft.fail_step (worker reports), weft.fire_timers (deadline passed).
-- Locks   : caller holds the task row lock and the step row lock (weft._fence_step).
create function weft._apply_step_failure(
  task_id uuid, step_id uuid, attempt integer, error jsonb, retryable boolean, processor_id text, reason text
) returns weft.step_report
language plpgsql volatile
set search_path = ''
as $$
#variable_conflict use_column
declare
  v_step record;
  v_names text[];
  v_retry boolean;
  v_delay bigint;
  v_task_state weft.task_state;
begin
  select s.state, s.attempt, s.max_attempts, s.retry, s.msg_id, t.namespace, t.state as task_state into v_step
  from weft.steps s join weft.tasks t on t.task_id = s.task_id
  where s.step_id = _apply_step_failure.step_id;

  v_names := array_remove(array[error ->> 'code', error ->> 'name'], null);
  v_retry := coalesce(retryable, true)
    and v_step.attempt < v_step.max_attempts
    and v_step.task_state in ('running', 'compensating')
    and not exists (select 1 from pg_catalog.jsonb_array_elements_text(v_step.retry -> 'dont_retry_on') d where d = any (v_names))
    and (pg_catalog.jsonb_array_length(v_step.retry -> 'retry_on') = 0
         or exists (select 1 from pg_catalog.jsonb_array_elements_text(v_step.retry -> 'retry_on') r where r = any (v_names)));

  if v_step.msg_id is not null then
    perform pgmq.delete(v_step.namespace, v_step.msg_id);
  end if;

  if v_retry then
    v_delay := weft.retry_delay_ms(v_step.retry, v_step.attempt);
    update weft.steps s
    set state = 'waiting_retry', error = _apply_step_failure.error, msg_id = null, deadline_at = null,
        ready_at = weft.now() + v_delay * interval '1 millisecond', updated_at = pg_catalog.now()
    where s.step_id = _apply_step_failure.step_id;
    insert into weft.transitions (entity, task_id, step_id, from_state, to_state, reason, processor_id, attempt, details)
    values ('step', task_id, step_id, 'enqueued', 'waiting_retry', reason, processor_id, attempt,
            pg_catalog.jsonb_build_object('error', error, 'retryable', true, 'delay_ms', v_delay,
                                          'ready_at', weft.now() + v_delay * interval '1 millisecond'));
    perform weft._wake('weft_orchestrator', 'timer');
    return row('applied', 'retry_scheduled', step_id, 'waiting_retry'::weft.step_state, attempt, task_id, v_step.task_state)::weft.step_report;
  end if;

  update weft.steps s
  set state = 'error', error = _apply_step_failure.error, msg_id = null, deadline_at = null, finished_at = weft.now(),
      updated_at = pg_catalog.now()
  where s.step_id = _apply_step_failure.step_id;
  insert into weft.transitions (entity, task_id, step_id, from_state, to_state, reason, processor_id, attempt, details)
  values ('step', task_id, step_id, 'enqueued', 'error', reason, processor_id, attempt,
          pg_catalog.jsonb_build_object('error', error, 'retryable', coalesce(retryable, true),
                                        'attempts_exhausted', v_step.attempt >= v_step.max_attempts));
  perform weft._request_finalization(task_id, 'step_failed', processor_id);
  select t.state into v_task_state from weft.tasks t where t.task_id = _apply_step_failure.task_id;
  return row('applied', 'step_failed', step_id, 'error'::weft.step_state, attempt, task_id, v_task_state)::weft.step_report;
end
$$;
