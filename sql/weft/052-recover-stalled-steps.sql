-- weft.recover_stalled_steps(processor_id, max_rows) → integer (attempts failed as stalled)
--
-- Purpose : stalled-step recovery. A step's lease is the visibility timeout of its queue
--           message: a worker that read it extends it with weft.heartbeat_step. A message that
--           was read (read_ct > 0) and whose visibility timeout has passed belongs to a worker
--           that died or hung: its attempt fails as retryable with error code "lease_expired"
--           (retried per the step's policy, or the step fails when attempts are exhausted), the
--           message is deleted, and a late result from that attempt is rejected (fencing).
--           If another worker re-reads the expired message before this sweep sees it, that
--           worker simply carries on with the same attempt: nothing is lost either way.
-- Callers : weft.orchestrator_tick (every tick, any number of orchestrators at once).
-- Locks   : queue rows FOR UPDATE SKIP LOCKED, then task and step rows with SKIP LOCKED, so the
--           sweep never waits on (and never deadlocks with) a completion or a heartbeat in flight.
-- Index   : q_<namespace>_leased_idx (vt) where read_ct > 0, created with each namespace queue.
create function weft.recover_stalled_steps(processor_id text default null, max_rows integer default 100)
returns integer
language plpgsql volatile
set search_path = ''
as $$
#variable_conflict use_column
declare
  v_ns record;
  v_msg record;
  v_count integer := 0;
  v_limit integer := greatest(coalesce(max_rows, 100), 1);
begin
  for v_ns in select n.name, n.queue_name from weft.namespaces n loop
    for v_msg in execute pg_catalog.format(
      'select q.msg_id, q.read_ct, q.vt, q.message from pgmq.%I q
       where q.read_ct > 0 and q.vt < pg_catalog.clock_timestamp()
       order by q.vt limit $1 for update skip locked', 'q_' || v_ns.queue_name) using v_limit
    loop
      continue when pg_catalog.jsonb_typeof(v_msg.message) is distinct from 'object'
                 or (v_msg.message ->> 'step_id') !~ '^[0-9a-f-]{36}$';
      -- task, then step (the engine's lock order), skipping rows someone is working on now
      perform 1 from weft.tasks t
      where t.task_id = (select s.task_id from weft.steps s where s.step_id = (v_msg.message ->> 'step_id')::uuid)
        and t.state in ('running', 'compensating')
      for no key update skip locked;
      continue when not found;
      perform 1 from weft.steps s
      where s.step_id = (v_msg.message ->> 'step_id')::uuid and s.state = 'enqueued' and s.msg_id = v_msg.msg_id
      for update skip locked;
      continue when not found;
      perform weft._apply_step_failure(
        (select s.task_id from weft.steps s where s.step_id = (v_msg.message ->> 'step_id')::uuid),
        (v_msg.message ->> 'step_id')::uuid,
        (select s.attempt from weft.steps s where s.step_id = (v_msg.message ->> 'step_id')::uuid),
        pg_catalog.jsonb_build_object('code', 'lease_expired', 'message',
          pg_catalog.format('the worker holding attempt %s stopped heartbeating; its lease expired at %s (read %s times)',
                            v_msg.message ->> 'attempt', v_msg.vt, v_msg.read_ct)),
        true, processor_id, 'lease_expired');
      v_count := v_count + 1;
    end loop;
  end loop;
  return v_count;
end
$$;
