-- weft.dead_letter_message(queue_name, msg_id, reason, processor_id, sqlstate) → boolean
--
-- Purpose : a consumer that cannot use a queue message (it does not parse, it names an unknown
--           task or step, its handler cannot take it) hands it here: the message is archived
--           (pgmq.a_<queue>) and a row with the reason (and the SQLSTATE, if the consumer got
--           one) goes to weft.dead_letters. Nothing is dropped. When the message is the live
--           message of a step's current attempt, that attempt fails for good (error code
--           "dead_lettered") in the same transaction, so the step does not wait forever for a
--           message that is gone. Returns false when the message was no longer in the queue.
-- Callers : workers (TS SDK, any language).
-- Errors  : WF001 null queue_name / msg_id / reason; WF010 queue_name is not a weft queue.
create function weft.dead_letter_message(queue_name text, msg_id bigint, reason text, processor_id text default null,
                                         sqlstate text default null)
returns boolean
language plpgsql volatile
set search_path = ''
as $$
#variable_conflict use_column
declare
  v_message jsonb;
  v_rows integer;
  v_step record;
  v_live boolean := false;
begin
  if queue_name is null or msg_id is null or reason is null then
    raise exception 'queue_name, msg_id and reason are required' using errcode = 'WF001';
  end if;
  if not exists (select 1 from weft.namespaces n where n.queue_name = dead_letter_message.queue_name)
     and dead_letter_message.queue_name not in ('orchestration_task_requests', 'orchestration_step_results') then
    raise exception 'queue "%" is not a weft queue', queue_name using errcode = 'WF010';
  end if;
  execute pg_catalog.format('select message from pgmq.%I where msg_id = $1', 'q_' || dead_letter_message.queue_name)
    into v_message using dead_letter_message.msg_id;
  get diagnostics v_rows = row_count;
  if v_rows = 0 then
    return false;
  end if;
  -- The live message of a current attempt? Lock task, then step (the engine's lock order) before
  -- touching the message, so this never deadlocks with a completion of the same step.
  if pg_catalog.jsonb_typeof(v_message) = 'object' and (v_message ->> 'step_id') ~ '^[0-9a-fA-F-]{36}$' then
    select s.step_id, s.task_id, s.attempt into v_step from weft.steps s
    where s.step_id = (v_message ->> 'step_id')::uuid and s.msg_id = dead_letter_message.msg_id and s.state = 'enqueued';
    if found then
      perform 1 from weft.tasks t where t.task_id = v_step.task_id for no key update;
      perform 1 from weft.steps s where s.step_id = v_step.step_id and s.state = 'enqueued' and s.msg_id = dead_letter_message.msg_id
      for update;
      v_live := found;
    end if;
  end if;

  insert into weft.dead_letters (queue_name, msg_id, message, reason, sqlstate, processor_id)
  values (dead_letter_message.queue_name, dead_letter_message.msg_id, v_message, dead_letter_message.reason,
          dead_letter_message.sqlstate, dead_letter_message.processor_id);
  perform pgmq.archive(dead_letter_message.queue_name, dead_letter_message.msg_id);
  if v_live then
    perform weft._apply_step_failure(v_step.task_id, v_step.step_id, v_step.attempt,
      pg_catalog.jsonb_build_object('code', 'dead_lettered', 'message', dead_letter_message.reason),
      false, dead_letter_message.processor_id, 'dead_lettered');
  end if;
  return true;
end
$$;
