-- weft.intake_task_requests(processor_id, max_messages, vt_seconds) → table(accepted, rejected)
--
-- Purpose : turns messages of the PGMQ queue orchestration_task_requests into tasks, so a
--           service that can only send a PGMQ message can request a task:
--             select pgmq.send('orchestration_task_requests',
--               '{"namespace":"math","workflow":"diamond","context":{"n":2},"idempotency_key":"k1"}');
--           Fields: namespace, workflow (or workflow_name), context, version, idempotency_key,
--           priority, run_after, requested_by — the arguments of weft.request_task.
--           Each message is handled in its own subtransaction: accepted ones are archived;
--           a message weft.request_task rejects is archived too and written to
--           weft.dead_letters with the reason and SQLSTATE — never dropped.
-- Callers : orchestrators, every tick.
-- Locks   : the messages it reads (PGMQ visibility timeout + SKIP LOCKED).
create function weft.intake_task_requests(processor_id text default null, max_messages integer default 100, vt_seconds integer default 30)
returns table (accepted integer, rejected integer)
language plpgsql volatile
set search_path = ''
as $$
#variable_conflict use_column
declare
  v_msg record;
  v_m jsonb;
  v_ok integer := 0;
  v_bad integer := 0;
  v_state text;
  v_text text;
begin
  for v_msg in select * from pgmq.read('orchestration_task_requests', vt_seconds, greatest(coalesce(max_messages, 100), 1)) loop
    v_m := v_msg.message;
    begin
      if v_m is null or pg_catalog.jsonb_typeof(v_m) <> 'object' then
        raise exception 'task request must be a JSON object, got %', coalesce(pg_catalog.jsonb_typeof(v_m), 'null') using errcode = 'WF001';
      end if;
      perform weft.request_task(
        namespace => v_m ->> 'namespace',
        workflow_name => coalesce(v_m ->> 'workflow', v_m ->> 'workflow_name'),
        context => coalesce(v_m -> 'context', '{}'::jsonb),
        version => v_m ->> 'version',
        idempotency_key => v_m ->> 'idempotency_key',
        priority => coalesce(v_m ->> 'priority', 'normal'),
        run_after => (v_m ->> 'run_after')::timestamptz,
        requested_by => coalesce(v_m ->> 'requested_by', 'queue:orchestration_task_requests'));
      perform pgmq.archive('orchestration_task_requests', v_msg.msg_id);
      v_ok := v_ok + 1;
    exception when others then
      get stacked diagnostics v_state = returned_sqlstate, v_text = message_text;
      insert into weft.dead_letters (queue_name, msg_id, message, reason, sqlstate, processor_id)
      values ('orchestration_task_requests', v_msg.msg_id, v_m, v_text, v_state, processor_id);
      perform pgmq.archive('orchestration_task_requests', v_msg.msg_id);
      v_bad := v_bad + 1;
    end;
  end loop;
  return query select v_ok, v_bad;
end
$$;
