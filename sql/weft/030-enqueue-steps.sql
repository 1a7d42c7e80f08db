-- weft._enqueue_steps(step_ids uuid[], processor_id text, reason text) → integer (steps enqueued)
--
-- Purpose : makes steps ready and sends their messages, in the caller's transaction: each
--           step whose state is pending (all parents complete) or waiting_retry gets
--           attempt + 1, state enqueued, its deadline, and one message in its namespace's
--           PGMQ queue, written with the message's msg_id in one statement per namespace.
--           Messages go in priority order, then task id (UUIDv7 = request order), then step
--           position. One NOTIFY weft_steps (payload: namespace) per namespace wakes workers.
-- Callers : weft._start_task, weft.complete_step, weft.fire_timers, manual retry functions.
-- Locks   : the caller holds the task row lock; this takes the step rows (FOR UPDATE).
-- Message : see schemas/step-message.schema.json and docs/protocol.md.
create function weft._enqueue_steps(step_ids uuid[], processor_id text, reason text) returns integer
language plpgsql volatile
set search_path = ''
as $$
#variable_conflict use_column
declare
  v_namespace text;
  v_count integer := 0;
  v_n integer;
begin
  if step_ids is null or pg_catalog.cardinality(step_ids) = 0 then
    return 0;
  end if;
  for v_namespace in
    select distinct t.namespace from weft.steps s join weft.tasks t on t.task_id = s.task_id where s.step_id = any (step_ids)
  loop
    execute pg_catalog.format($sql$
      with picked as (
        select s.step_id, s.task_id, s.name, s.handler, s.args, s.attempt + 1 as attempt, s.max_attempts,
               s.timeout_ms, s.heartbeat_ms, s.checkpoint, s.state, t.context, t.priority, t.workflow_id, w.name as workflow_name,
               w.version as workflow_version, t.namespace, s.position, s.kind, s.compensates,
               case when s.timeout_ms is null then null else weft.now() + s.timeout_ms * interval '1 millisecond' end as deadline_at
        from weft.steps s
        join weft.tasks t on t.task_id = s.task_id
        join weft.workflows w on w.workflow_id = t.workflow_id
        where s.step_id = any ($1) and t.namespace = $2
          and (s.state = 'waiting_retry' or (s.state = 'pending' and s.pending_parents = 0))
        order by t.priority, s.task_id, s.position
        for update of s
      ), sent as (
        insert into pgmq.%I (vt, message)
        select pg_catalog.clock_timestamp(), pg_catalog.jsonb_build_object(
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
          'deadline', p.deadline_at)
        from picked p
        order by p.priority, p.task_id, p.position
        returning msg_id, (message ->> 'step_id')::uuid as step_id
      ), updated as (
        update weft.steps s
        set state = 'enqueued', attempt = p.attempt, msg_id = sent.msg_id, enqueued_at = weft.now(),
            deadline_at = p.deadline_at, ready_at = null, updated_at = pg_catalog.now()
        from sent join picked p on p.step_id = sent.step_id
        where s.step_id = sent.step_id
        returning s.step_id, s.task_id, s.attempt, p.state as from_state
      ), logged as (
        insert into weft.transitions (entity, task_id, step_id, from_state, to_state, reason, processor_id, attempt)
        select 'step', u.task_id, u.step_id, u.from_state::text, 'enqueued', $3, $4, u.attempt from updated u
        returning 1
      )
      select pg_catalog.count(*)::integer from logged
    $sql$, 'q_' || v_namespace)
    into v_n
    using step_ids, v_namespace, reason, processor_id;
    if v_n > 0 then
      perform pg_catalog.pg_notify('weft_steps', v_namespace);
    end if;
    v_count := v_count + v_n;
  end loop;
  return v_count;
end
$$;
