-- weft.intake_step_results(processor_id, max_messages, vt_seconds) → table(applied, rejected, dead)
--
-- Purpose : applies step results that workers sent as PGMQ messages to the queue
--           orchestration_step_results instead of calling weft.complete_step / weft.fail_step:
--             {"step_id": "…", "attempt": 1, "status": "complete", "result": 42}
--             {"step_id": "…", "attempt": 1, "status": "failed", "error": {"message": "…"}, "retryable": true}
--           Each message in its own subtransaction; applied and stale (recorded in
--           weft.rejected_results) messages are archived; malformed ones or ones naming an
--           unknown step go to weft.dead_letters and are archived — never dropped.
-- Callers : orchestrators, every tick.
create function weft.intake_step_results(processor_id text default null, max_messages integer default 100, vt_seconds integer default 30)
returns table (applied integer, rejected integer, dead integer)
language plpgsql volatile
set search_path = ''
as $$
#variable_conflict use_column
declare
  v_msg record;
  v_m jsonb;
  v_report weft.step_report;
  v_applied integer := 0;
  v_rejected integer := 0;
  v_dead integer := 0;
  v_state text;
  v_text text;
begin
  for v_msg in select * from pgmq.read('orchestration_step_results', vt_seconds, greatest(coalesce(max_messages, 100), 1)) loop
    v_m := v_msg.message;
    begin
      if v_m is null or pg_catalog.jsonb_typeof(v_m) <> 'object' then
        raise exception 'step result must be a JSON object, got %', coalesce(pg_catalog.jsonb_typeof(v_m), 'null') using errcode = 'WF001';
      end if;
      if pg_catalog.jsonb_typeof(v_m -> 'attempt') is distinct from 'number' then
        raise exception 'step result needs a numeric "attempt", got %', coalesce((v_m -> 'attempt')::text, 'nothing') using errcode = 'WF001';
      end if;
      if v_m ->> 'status' = 'complete' then
        v_report := weft.complete_step((v_m ->> 'step_id')::uuid, (v_m ->> 'attempt')::integer, v_m -> 'result',
                                       coalesce(v_m ->> 'processor_id', processor_id));
      elsif v_m ->> 'status' = 'failed' then
        v_report := weft.fail_step((v_m ->> 'step_id')::uuid, (v_m ->> 'attempt')::integer, coalesce(v_m -> 'error', '{}'::jsonb),
                                   coalesce((v_m ->> 'retryable')::boolean, true), coalesce(v_m ->> 'processor_id', processor_id));
      else
        raise exception 'step result "status" must be "complete" or "failed", got %', coalesce((v_m -> 'status')::text, 'nothing')
          using errcode = 'WF001';
      end if;
      if v_report.outcome = 'applied' then v_applied := v_applied + 1; else v_rejected := v_rejected + 1; end if;
      perform pgmq.archive('orchestration_step_results', v_msg.msg_id);
    exception when others then
      get stacked diagnostics v_state = returned_sqlstate, v_text = message_text;
      insert into weft.dead_letters (queue_name, msg_id, message, reason, sqlstate, processor_id)
      values ('orchestration_step_results', v_msg.msg_id, v_m, v_text, v_state, processor_id);
      perform pgmq.archive('orchestration_step_results', v_msg.msg_id);
      v_dead := v_dead + 1;
    end;
  end loop;
  return query select v_applied, v_rejected, v_dead;
end
$$;
