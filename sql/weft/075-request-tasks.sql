-- weft.request_tasks(namespace, workflow_name, contexts, version, idempotency_keys, priority,
--                    run_after, parent_task_id, requested_by) → setof uuid (task ids, in the order given)
--
-- Purpose : creates many tasks of one workflow in one statement, set-based — what a service
--           that requests work in bulk sends, and the engine of weft.request_task (a batch of
--           one). Element i is exactly weft.request_task(namespace, workflow_name, contexts[i],
--           version, idempotency_keys[i], priority, run_after, parent_task_id, requested_by):
--           the task with all its steps, started unless run_after is in the future (its root
--           steps' messages are in the queue when the caller commits). The whole batch is in the
--           caller's transaction: one bad element raises and no task is created.
-- Idempotency: idempotency_keys (null, or one key or null per context) as in weft.request_task:
--           a key already used with the same request returns the existing task; with a different
--           request, WF009. A key given twice in one batch is one task when both requests are
--           identical, WF009 otherwise.
-- Callers : services (one SQL statement), weft.request_task, the TS client.
-- Locks   : inserts only; concurrent requests with one key serialize on the unique index. The
--           new tasks are started in task id order (the engine's lock order).
-- Errors  : WF001 bad argument (null names, contexts null/empty or over 10000 elements, an
--           element not a JSON object, keys array of another length, a key of 0 or over 255
--           characters, unknown priority name); WF002 no such workflow (or version); WF009
--           idempotency conflict.
--
-- Example : select * from weft.request_tasks('math', 'diamond', array['{"n": 1}', '{"n": 2}']::jsonb[]);
create function weft.request_tasks(
  namespace text,
  workflow_name text,
  contexts jsonb[],
  version text default null,
  idempotency_keys text[] default null,
  priority text default 'normal',
  run_after timestamptz default null,
  parent_task_id uuid default null,
  requested_by text default null
) returns setof uuid
language plpgsql volatile
set search_path = ''
-- Plans cached once per session (see 030-enqueue-steps.sql): costed for a typical array, the
-- custom plans look cheaper, and PL/pgSQL would plan every statement again at every call.
set plan_cache_mode = force_generic_plan
as $$
#variable_conflict use_column
declare
  -- one reading of the engine clock per call: weft.now() in a statement runs once per row
  v_now timestamptz := weft.now();
  v_n integer := pg_catalog.cardinality(contexts);
  v_workflow_id uuid;
  v_priority smallint;
  v_steps integer;
  v_bad record;
  v_ids uuid[];
  v_hashes text[];
  v_is_new boolean[];
  v_conflict integer;
  v_new uuid[];
  v_roots uuid[];
  v_start boolean := request_tasks.run_after is null or request_tasks.run_after <= v_now;
begin
  -- Guard: arguments.
  if namespace is null or workflow_name is null then
    raise exception 'namespace and workflow_name are required (got %, %)', coalesce(namespace, 'null'), coalesce(workflow_name, 'null')
      using errcode = 'WF001';
  end if;
  if contexts is null or v_n = 0 or v_n > 10000 then
    raise exception 'contexts must hold 1 to 10000 contexts, got %', coalesce(v_n::text, 'null') using errcode = 'WF001';
  end if;
  select u.i, u.c into v_bad from pg_catalog.unnest(contexts) with ordinality as u (c, i)
  where pg_catalog.jsonb_typeof(coalesce(u.c, '{}'::jsonb)) <> 'object' order by u.i limit 1;
  if found then
    raise exception 'context must be a JSON object, got a JSON % (element %)', pg_catalog.jsonb_typeof(v_bad.c), v_bad.i
      using errcode = 'WF001', detail = pg_catalog.left(v_bad.c::text, 200);
  end if;
  v_priority := weft.priority_value(priority);
  if v_priority is null then
    raise exception 'unknown priority "%"', priority
      using errcode = 'WF001', hint = 'Use critical, high, normal, low or background.';
  end if;
  if idempotency_keys is not null then
    if pg_catalog.cardinality(idempotency_keys) <> v_n then
      raise exception 'idempotency_keys must have one key (or null) per context: % keys for % contexts',
        pg_catalog.cardinality(idempotency_keys), v_n using errcode = 'WF001';
    end if;
    select pg_catalog.length(k) as len into v_bad from pg_catalog.unnest(idempotency_keys) as k
    where pg_catalog.length(k) = 0 or pg_catalog.length(k) > 255 limit 1;
    if found then
      raise exception 'idempotency_key must be 1 to 255 characters, got % characters', v_bad.len using errcode = 'WF001';
    end if;
  end if;

  -- Guard: the workflow exists.
  select w.workflow_id into v_workflow_id
  from weft.workflows w
  where w.namespace = request_tasks.namespace and w.name = workflow_name
    and (request_tasks.version is null or w.version = request_tasks.version)
  order by w.created_at desc, w.workflow_id desc
  limit 1;
  if v_workflow_id is null then
    raise exception 'workflow %/% not found%', namespace, workflow_name, coalesce(' (version ' || request_tasks.version || ')', '')
      using errcode = 'WF002', hint = 'Register it first (weft workflows apply, or weft.register_workflow).';
  end if;
  select pg_catalog.count(*)::integer into v_steps from weft.workflow_steps ws where ws.workflow_id = v_workflow_id;

  -- The tasks: ids made here (request order); a row whose key was used already is not inserted.
  with req as (
    select u.i, weft.uuid_generate_v7() as task_id, coalesce(u.c, '{}'::jsonb) as context, idempotency_keys[u.i] as key
    from pg_catalog.unnest(contexts) with ordinality as u (c, i)
    order by u.i
  ), hashed as (
    select r.*, pg_catalog.md5(pg_catalog.jsonb_build_array(request_tasks.namespace, request_tasks.workflow_name, request_tasks.version,
                  r.context, v_priority, request_tasks.run_after, request_tasks.parent_task_id)::text) as hash
    from req r
  ), inserted as (
    insert into weft.tasks (task_id, workflow_id, namespace, state, priority, context, idempotency_key, request_hash, run_after,
                            parent_task_id, requested_by, steps_total, steps_remaining, started_at)
    select h.task_id, v_workflow_id, request_tasks.namespace, case when v_start then 'running' else 'pending' end::weft.task_state,
           v_priority, h.context, h.key, h.hash, request_tasks.run_after, request_tasks.parent_task_id, request_tasks.requested_by,
           v_steps, v_steps, case when v_start then v_now end
    from hashed h order by h.i
    on conflict (idempotency_key) where idempotency_key is not null do nothing
    returning task_id
  )
  select pg_catalog.array_agg(h.task_id order by h.i), pg_catalog.array_agg(h.hash order by h.i),
         pg_catalog.array_agg(ins.task_id is not null order by h.i)
  into v_ids, v_hashes, v_is_new
  from hashed h left join inserted ins on ins.task_id = h.task_id;

  -- Keys used already (by an earlier request, or earlier in this batch): a separate statement,
  -- whose snapshot sees those rows. The same request gets the existing task; another, WF009.
  if not (true = all (v_is_new)) then
    select pg_catalog.min(k) filter (where not v_is_new[k] and old.request_hash is distinct from v_hashes[k]),
           pg_catalog.array_agg(case when v_is_new[k] then v_ids[k] else old.task_id end order by k)
    into v_conflict, v_ids
    from pg_catalog.generate_subscripts(v_ids, 1) as k
    left join weft.tasks old on not v_is_new[k] and old.idempotency_key = idempotency_keys[k];
    if v_conflict is not null then
      raise exception 'idempotency key "%" was already used for a different request (task %)', idempotency_keys[v_conflict],
        (select t.task_id from weft.tasks t where t.idempotency_key = idempotency_keys[v_conflict])
        using errcode = 'WF009', hint = 'Use a new key for a new request; the same key returns the same task only for the identical request.';
    end if;
  end if;
  select pg_catalog.array_agg(v_ids[k] order by v_ids[k]) into v_new from pg_catalog.generate_subscripts(v_ids, 1) as k where v_is_new[k];
  return query select pg_catalog.unnest(v_ids);
  if v_new is null then
    return;
  end if;

  -- Their steps, and their transitions (requested, and started unless run_after is ahead).
  with ws as materialized (
    select ws.name, ws.position, ws.handler, ws.args, (ws.retry ->> 'max_attempts')::integer as max_attempts, ws.retry,
           ws.timeout_ms, ws.heartbeat_ms, ws.compensate,
           (select pg_catalog.count(*) from weft.workflow_edges e where e.workflow_id = ws.workflow_id and e.child = ws.name)::integer as parents
    from weft.workflow_steps ws where ws.workflow_id = v_workflow_id
  ), created as (
    insert into weft.steps (task_id, name, position, handler, args, max_attempts, retry, timeout_ms, heartbeat_ms, compensate, pending_parents)
    select t.id, ws.name, ws.position, ws.handler, ws.args, ws.max_attempts, ws.retry, ws.timeout_ms, ws.heartbeat_ms, ws.compensate, ws.parents
    from pg_catalog.unnest(v_new) as t (id) cross join ws
    order by t.id, ws.position
    returning step_id, pending_parents
  )
  select pg_catalog.array_agg(c.step_id) filter (where c.pending_parents = 0) into v_roots from created c;
  insert into weft.transitions (entity, task_id, from_state, to_state, reason, processor_id)
  select 'task', t.id, x.from_state, x.to_state, 'requested', request_tasks.requested_by
  from pg_catalog.unnest(v_new) as t (id)
  cross join (values (null, 'pending'), ('pending', 'running')) as x (from_state, to_state)
  where x.to_state = 'pending' or v_start;

  if v_start then
    -- Started as they were created (weft._start_tasks' work without a second write of each
    -- task row): the root steps' messages go out now.
    perform weft._enqueue_steps(v_roots, request_tasks.requested_by, 'requested');
  else
    perform weft._wake('weft_orchestrator', 'timer');
  end if;
end
$$;
