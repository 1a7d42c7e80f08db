-- State enums and priority names.
--
-- Task states (docs/architecture.md has the diagram):
--   pending     requested, waiting for its run_after time
--   running     steps are being made ready and worked
--   finalizing  no more work to start: every step finished, or one failed for good, or it was
--               cancelled while steps ran; waiting for an orchestrator to claim and finalize it
--   compensating  it failed; completed steps that declare a compensation handler are being
--                 undone, in reverse topological order (saga)
--   complete | error | cancelled | compensation_failed   terminal (compensation_failed: a
--                 compensation step failed for good — the saga could not be fully undone)
-- Step states:
--   pending        waiting for its parents
--   enqueued       its message is in the namespace queue (waiting for, or held by, a worker)
--   waiting_retry  an attempt failed; the next one starts at ready_at
--   complete | error | cancelled | skipped   terminal
create type weft.task_state as enum ('pending', 'running', 'finalizing', 'complete', 'error', 'cancelled', 'compensating', 'compensation_failed');
create type weft.step_state as enum ('pending', 'enqueued', 'waiting_retry', 'complete', 'error', 'cancelled', 'skipped');

-- Priorities: five named levels stored 0..4; lower runs sooner.
create function weft.priority_value(priority_name text) returns smallint
language plpgsql immutable
set search_path = ''
as $$
#variable_conflict use_column
begin
  return case coalesce(priority_name, 'normal')
    when 'critical' then 0 when 'high' then 1 when 'normal' then 2 when 'low' then 3 when 'background' then 4
    else null end;
end
$$;

create function weft.priority_name(priority_value smallint) returns text
language sql immutable
set search_path = ''
as $$
  select (array['critical', 'high', 'normal', 'low', 'background'])[priority_value + 1]
$$;
