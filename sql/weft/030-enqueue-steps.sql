-- weft._enqueue_steps(step_ids uuid[], processor_id text, reason text) → integer (steps enqueued)
--
-- Purpose : makes steps ready and sends their messages, in the caller's transaction: each
--           step whose state is pending (all parents complete) or waiting_retry gets
--           attempt + 1, state enqueued, its deadline, and one message in its namespace's
--           PGMQ queue, written with the message's msg_id in one statement per namespace.
--           Messages go in priority order, then task id (UUIDv7 = request order), then step
--           position. One wake-up weft_steps (payload: namespace; weft._wake, throttled) per
--           namespace. The messages are built and the step rows locked by static SQL (a plan
--           cached per session), and sent by the namespace's weft._q_send_<namespace> (static
--           SQL too); only the call of that function is dynamic (its name varies).
-- Callers : weft._start_task, weft.complete_step, weft.fire_timers, manual retry functions.
-- Locks   : the caller holds the task row lock; this takes the step rows (FOR UPDATE).
-- Plans   : generic (plan_cache_mode pinned): one plan per session for every call.
-- Message : see schemas/step-message.schema.json and docs/protocol.md.
create function weft._enqueue_steps(step_ids uuid[], processor_id text, reason text) returns integer
language plpgsql volatile
set search_path = ''
-- The statements filter on `= any (step_ids)`: costed for a typical array, a generic plan looks
-- dearer than a custom one for a single step, so PL/pgSQL would plan them again at every call.
set plan_cache_mode = force_generic_plan
as $$
#variable_conflict use_column
declare
  -- one reading of the engine clock per call: weft.now() in a statement runs once per row
  v_now timestamptz := weft.now();
  v_namespace text;
  v_count integer := 0;
  v_ids uuid[];
  v_msgs jsonb[];
  v_from text[];
  v_attempts integer[];
  v_deadlines timestamptz[];
  v_sent_ids uuid[];
  v_sent_msgs bigint[];
  v_n integer;
begin
  if step_ids is null or pg_catalog.cardinality(step_ids) = 0 then
    return 0;
  end if;
  for v_namespace in
    select distinct t.namespace from weft.steps s join weft.tasks t on t.task_id = s.task_id where s.step_id = any (step_ids)
  loop
    with picked as (
      select s.step_id, s.task_id, s.name, s.handler, s.args, s.attempt + 1 as attempt, s.max_attempts,
             s.timeout_ms, s.heartbeat_ms, s.checkpoint, s.state, t.context, t.priority, t.workflow_id, w.name as workflow_name,
             w.version as workflow_version, t.namespace, s.position, s.kind, s.compensates,
             case when s.timeout_ms is null then null else v_now + s.timeout_ms * interval '1 millisecond' end as deadline_at
      from weft.steps s
      join weft.tasks t on t.task_id = s.task_id
      join weft.workflows w on w.workflow_id = t.workflow_id
      where s.step_id = any (step_ids) and t.namespace = v_namespace
        and (s.state = 'waiting_retry' or (s.state = 'pending' and s.pending_parents = 0))
      order by t.priority, s.task_id, s.position
      for update of s
    )
    select pg_catalog.array_agg(p.step_id order by p.priority, p.task_id, p.position),
           pg_catalog.array_agg(p.state::text order by p.priority, p.task_id, p.position),
           pg_catalog.array_agg(p.attempt order by p.priority, p.task_id, p.position),
           pg_catalog.array_agg(p.deadline_at order by p.priority, p.task_id, p.position),
           pg_catalog.array_agg(pg_catalog.jsonb_build_object(
             'task_id', p.task_id,
             'step_id', p.step_id,
             'namespace', p.namespace,
             'workflow', pg_catalog.jsonb_build_object('name', p.workflow_name, 'version', p.workflow_version),
             'step', p.name,
             'handler', p.handler,
             'args', p.args,
             'attempt', p.attempt,
             'max_attempts', p.max_attempts,
             'priority', weft.priority_name(p.priority),
             'context', p.context,
             'kind', p.kind,
             'parents', coalesce((
               select pg_catalog.jsonb_object_agg(x.name, x.result) from (
                 select ps.name, ps.result
                 from weft.workflow_edges e
                 join weft.steps ps on ps.task_id = p.task_id and ps.name = e.parent
                 where p.kind = 'step' and e.workflow_id = p.workflow_id and e.child = p.name
                 union all
                 select ps.name, ps.result
                 from weft.step_dependencies d join weft.steps ps on ps.step_id = d.parent_step_id
                 where p.kind = 'compensation' and d.child_step_id = p.step_id) x), '{}'::jsonb),
             'compensates', (
               select pg_catalog.jsonb_build_object('step', o.name, 'step_id', o.step_id, 'result', o.result, 'args', o.args)
               from weft.steps o where o.step_id = p.compensates),
             'checkpoint', p.checkpoint,
             'timeout_ms', p.timeout_ms,
             'heartbeat_ms', p.heartbeat_ms,
             'deadline', p.deadline_at) order by p.priority, p.task_id, p.position)
    into v_ids, v_from, v_attempts, v_deadlines, v_msgs
    from picked p;
    v_n := coalesce(pg_catalog.cardinality(v_ids), 0);
    continue when v_n = 0;

    -- The messages go through the namespace's own send function (static SQL, its plan kept
    -- for the session; see 029-queue-functions.sql); only the call is dynamic.
    execute pg_catalog.format('select s.step_ids, s.msg_ids from weft.%I($1) s', '_q_send_' || v_namespace)
    into v_sent_ids, v_sent_msgs
    using v_msgs;

    with u as (
      select x.step_id, x.from_state, x.attempt, x.deadline_at, m.msg_id
      from rows from (pg_catalog.unnest(v_ids), pg_catalog.unnest(v_from), pg_catalog.unnest(v_attempts), pg_catalog.unnest(v_deadlines))
        as x (step_id, from_state, attempt, deadline_at)
      join rows from (pg_catalog.unnest(v_sent_ids), pg_catalog.unnest(v_sent_msgs)) as m (step_id, msg_id) on m.step_id = x.step_id
    ), updated as (
      update weft.steps s
      set state = 'enqueued', attempt = u.attempt, msg_id = u.msg_id, enqueued_at = v_now,
          deadline_at = u.deadline_at, ready_at = null, updated_at = pg_catalog.now()
      from u
      where s.step_id = u.step_id
      returning s.step_id, s.task_id, s.attempt, u.from_state
    )
    insert into weft.transitions (entity, task_id, step_id, from_state, to_state, reason, processor_id, attempt)
    select 'step', p.task_id, p.step_id, p.from_state, 'enqueued', _enqueue_steps.reason, _enqueue_steps.processor_id, p.attempt
    from updated p;

    perform weft._wake('weft_steps', v_namespace);
    v_count := v_count + v_n;
  end loop;
  return v_count;
end
$$;
