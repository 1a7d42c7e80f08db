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
--           queue intake (weft.intake_task_requests).
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
#variable_conflict use_column
declare
  v_workflow_id uuid;
  v_priority smallint;
  v_context jsonb := coalesce(context, '{}'::jsonb);
  v_hash text;
  v_task_id uuid;
  v_existing record;
  v_steps integer;
begin
  -- Guard: arguments.
  if namespace is null or workflow_name is null then
    raise exception 'namespace and workflow_name are required (got %, %)', coalesce(namespace, 'null'), coalesce(workflow_name, 'null')
      using errcode = 'WF001';
  end if;
  if pg_catalog.jsonb_typeof(v_context) <> 'object' then
    raise exception 'context must be a JSON object, got a JSON %', pg_catalog.jsonb_typeof(v_context)
      using errcode = 'WF001', detail = pg_catalog.left(v_context::text, 200);
  end if;
  v_priority := weft.priority_value(priority);
  if v_priority is null then
    raise exception 'unknown priority "%"', priority
      using errcode = 'WF001', hint = 'Use critical, high, normal, low or background.';
  end if;
  if idempotency_key is not null and (pg_catalog.length(idempotency_key) = 0 or pg_catalog.length(idempotency_key) > 255) then
    raise exception 'idempotency_key must be 1 to 255 characters, got % characters', pg_catalog.length(idempotency_key)
      using errcode = 'WF001';
  end if;

  -- Guard: the workflow exists.
  select w.workflow_id into v_workflow_id
  from weft.workflows w
  where w.namespace = request_task.namespace and w.name = workflow_name
    and (request_task.version is null or w.version = request_task.version)
  order by w.created_at desc, w.workflow_id desc
  limit 1;
  if v_workflow_id is null then
    raise exception 'workflow %/% not found%', namespace, workflow_name, coalesce(' (version ' || request_task.version || ')', '')
      using errcode = 'WF002', hint = 'Register it first (weft workflows apply, or weft.register_workflow).';
  end if;

  select pg_catalog.count(*)::integer into v_steps from weft.workflow_steps ws where ws.workflow_id = v_workflow_id;
  v_hash := pg_catalog.md5(pg_catalog.jsonb_build_array(namespace, workflow_name, request_task.version, v_context,
                                                        v_priority, run_after, parent_task_id)::text);
  insert into weft.tasks (workflow_id, namespace, state, priority, context, idempotency_key, request_hash, run_after,
                          parent_task_id, requested_by, steps_total, steps_remaining)
  values (v_workflow_id, request_task.namespace, 'pending', v_priority, v_context, request_task.idempotency_key, v_hash,
          request_task.run_after, request_task.parent_task_id, request_task.requested_by, v_steps, v_steps)
  on conflict (idempotency_key) where idempotency_key is not null do nothing
  returning task_id into v_task_id;

  if v_task_id is null then
    select t.task_id, t.request_hash into v_existing from weft.tasks t where t.idempotency_key = request_task.idempotency_key;
    if v_existing.request_hash = v_hash then
      return v_existing.task_id;
    end if;
    raise exception 'idempotency key "%" was already used for a different request (task %)', idempotency_key, v_existing.task_id
      using errcode = 'WF009', hint = 'Use a new key for a new request; the same key returns the same task only for the identical request.';
  end if;

  insert into weft.steps (task_id, name, position, handler, args, max_attempts, retry, timeout_ms, heartbeat_ms, compensate, pending_parents)
  select v_task_id, ws.name, ws.position, ws.handler, ws.args, (ws.retry ->> 'max_attempts')::integer, ws.retry,
         ws.timeout_ms, ws.heartbeat_ms, ws.compensate,
         (select pg_catalog.count(*) from weft.workflow_edges e where e.workflow_id = ws.workflow_id and e.child = ws.name)::integer
  from weft.workflow_steps ws
  where ws.workflow_id = v_workflow_id;
  insert into weft.transitions (entity, task_id, from_state, to_state, reason, processor_id)
  values ('task', v_task_id, null, 'pending', 'requested', request_task.requested_by);

  if request_task.run_after is null or request_task.run_after <= weft.now() then
    perform weft._start_task(v_task_id, request_task.requested_by, 'requested');
  else
    perform weft._wake('weft_orchestrator', 'timer');
  end if;
  return v_task_id;
end
$$;
