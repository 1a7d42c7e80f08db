-- weft._check_namespace_writer() → trigger on pgmq.q_orchestration_step_results and weft.dead_letters
--
-- Purpose : rows written on behalf of a namespace must come from a role allowed on it. Two
--           writes reach a namespace's steps without going through weft._fence_step:
--             * a step result sent to the results queue (pgmq.send), which
--               weft.intake_step_results applies later as the orchestrator: the step the
--               message names is looked up and the sender checked against its namespace; a
--               message naming no step, or an unknown one, is let through (the intake
--               dead-letters it);
--             * a dead letter (weft.dead_letter_message archives the message and may fail the
--               step's attempt): the queue's namespace is checked; a dead letter of an
--               orchestration queue may only be written by weft_orchestrator, weft_admin or the
--               weft owner.
--           The writer is weft.calling_role() (the session's SET ROLE or login role), checked by
--           weft._has_namespace_access.
-- Callers : the two BEFORE INSERT triggers below.
-- Security: SECURITY DEFINER (reads weft.steps, weft.tasks and weft.namespaces, which workers
--           cannot read).
-- Locks   : none beyond the reads.
-- Errors  : WF012 when the writer may not act on the namespace (nothing is written).
create function weft._check_namespace_writer() returns trigger
language plpgsql volatile
security definer
set search_path = ''
as $$
declare
  v_step_id uuid;
  v_namespace text;
  v_role name;
begin
  if tg_table_schema = 'pgmq' then
    begin
      v_step_id := (new.message ->> 'step_id')::uuid;
    exception when invalid_text_representation then
      v_step_id := null; -- not a step id: the intake dead-letters the message
    end;
    select t.namespace into v_namespace
    from weft.steps s join weft.tasks t on t.task_id = s.task_id
    where s.step_id = v_step_id;
    if v_namespace is not null then
      perform weft._assert_namespace_access(v_namespace);
    end if;
    return new;
  end if;

  select n.name into v_namespace from weft.namespaces n where n.queue_name = new.queue_name;
  if v_namespace is not null then
    perform weft._assert_namespace_access(v_namespace);
  else
    v_role := weft.calling_role();
    -- No role is granted a non-namespace queue: only the privileged roles pass.
    if not weft._has_namespace_access(v_role, new.queue_name) then
      raise exception 'role "%" may not dead-letter messages of queue "%"', v_role, new.queue_name
        using errcode = 'WF012', hint = 'Only weft_orchestrator, weft_admin and the weft owner handle the orchestration queues.';
    end if;
  end if;
  return new;
end
$$;
comment on function weft._check_namespace_writer() is 'Trigger: step results (results queue) and dead letters must come from a role allowed on their namespace (WF012).';

create trigger check_step_result_sender
  before insert on pgmq.q_orchestration_step_results
  for each row execute function weft._check_namespace_writer();

create trigger check_dead_letter_writer
  before insert on weft.dead_letters
  for each row execute function weft._check_namespace_writer();
