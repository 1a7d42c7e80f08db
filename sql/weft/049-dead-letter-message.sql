-- weft.dead_letter_message(queue_name, msg_id, reason, processor_id) → boolean
--
-- Purpose : a consumer that cannot use a queue message (it does not parse, it names an unknown
--           task or step) hands it here: the message is archived (pgmq.a_<queue>) and a row
--           with the reason goes to weft.dead_letters. Nothing is dropped. Returns false when
--           the message was no longer in the queue.
-- Callers : workers (TS SDK, any language).
-- Errors  : WF001 null queue_name / msg_id / reason; WF010 queue_name is not a weft queue.
create function weft.dead_letter_message(queue_name text, msg_id bigint, reason text, processor_id text default null)
returns boolean
language plpgsql volatile
set search_path = ''
as $$
#variable_conflict use_column
declare
  v_message jsonb;
  v_rows integer;
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
  insert into weft.dead_letters (queue_name, msg_id, message, reason, processor_id)
  values (dead_letter_message.queue_name, dead_letter_message.msg_id, v_message, dead_letter_message.reason, dead_letter_message.processor_id);
  perform pgmq.archive(dead_letter_message.queue_name, dead_letter_message.msg_id);
  return true;
end
$$;
