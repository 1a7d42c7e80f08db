-- weft.request_task(namespace, workflow_name, context, version, idempotency_key, priority,
--                   run_after, parent_task_id, requested_by) → uuid (the task_id)
--
-- Purpose : creates a task of a workflow (the latest registered version unless `version` is
--           given) with all its steps, and — unless run_after is in the future — starts it:
--           its root steps' messages are in their queue when the caller commits. Works inside
--           the caller's transaction: roll back and there is no task.
-- Idempotency: a non-null idempotency_key identifies the request. The same key with the same
--           request (namespace, workflow, version as given, context, priority, run_after,
--           parent) returns the existing task; with a different request it raises WF009.
--           Keys are kept until weft.purge_idempotency_keys(age) clears them (default 24 h).
-- Callers : services (one SQL statement), the TS client, `weft task request`, the request
--           queue intake (weft.intake_task_requests). The work is weft.request_tasks (a batch
--           of one; services requesting many tasks call it directly).
-- Locks   : inserts only; concurrent requests with one key serialize on the unique index.
-- Errors  : WF001 bad argument (null names, context not an object, unknown priority name);
--           WF002 no such workflow (or version); WF009 idempotency conflict.
--
-- Example : select weft.request_task('math', 'diamond', '{"n": 2}', idempotency_key => 'order-42');
create function weft.request_task(
  namespace text,
  workflow_name text,
  context jsonb default '{}',
  version text default null,
  idempotency_key text default null,
  priority text default 'normal',
  run_after timestamptz default null,
  parent_task_id uuid default null,
  requested_by text default null
) returns uuid
language plpgsql volatile
set search_path = ''
as $$
begin
  return (select u.id from weft.request_tasks(namespace, workflow_name, array[coalesce(context, '{}'::jsonb)], version,
                                              case when idempotency_key is null then null else array[idempotency_key] end,
                                              priority, run_after, parent_task_id, requested_by) as u (id));
end
$$;
