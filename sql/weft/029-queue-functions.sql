-- weft._create_queue_functions(namespace text) → void
--
-- Purpose : makes the two functions weft writes a namespace's PGMQ queue table
--           (pgmq.q_<namespace>) with, as static SQL:
--             weft."_q_send_<namespace>"(messages jsonb[]) → (step_ids uuid[], msg_ids bigint[])
--               inserts the messages in array order, visible at once, and returns their step
--               ids and msg_ids (weft._enqueue_steps);
--             weft."_q_delete_<namespace>"(msg_ids bigint[]) → integer (rows deleted)
--               deletes the reported steps' messages (weft.complete_steps).
--           The queue table's name varies with the namespace, so a shared function could only
--           use dynamic SQL, which PostgreSQL parses and plans again at every call (about a
--           fifth of a single request); a function per namespace holds static SQL, whose plan
--           PL/pgSQL keeps for the session. The delete looks messages up by primary key with
--           sequential scans off: its plan is kept, and a plan made while the queue was empty
--           must not scan it once it holds a backlog. A queue table dropped and made again is
--           planned again. Replaces the functions if they exist. Not executable by PUBLIC: they
--           run inside weft's SECURITY DEFINER functions.
-- Callers : weft._ensure_namespace (a namespace's first workflow); the migration, for
--           namespaces made before it.
-- Locks   : none beyond CREATE FUNCTION's.
-- Errors  : WF001 a namespace that is not registered.
create function weft._create_queue_functions(namespace text) returns void
language plpgsql volatile
set search_path = ''
as $$
declare
  v_send text := '_q_send_' || namespace;
  v_delete text := '_q_delete_' || namespace;
  v_table text := 'q_' || namespace;
begin
  if not exists (select 1 from weft.namespaces n where n.name = _create_queue_functions.namespace) then
    raise exception 'namespace "%" is not registered', coalesce(namespace, 'null') using errcode = 'WF001';
  end if;
  execute pg_catalog.format($ddl$
    create or replace function weft.%1$I(messages jsonb[], out step_ids uuid[], out msg_ids bigint[])
    language plpgsql volatile
    set search_path = ''
    as $fn$
    begin
      with sent as (
        insert into pgmq.%2$I (vt, message)
        select pg_catalog.clock_timestamp(), u.m from pg_catalog.unnest(messages) with ordinality as u (m, i) order by u.i
        returning msg_id, (message ->> 'step_id')::uuid as step_id
      )
      select pg_catalog.array_agg(sent.step_id), pg_catalog.array_agg(sent.msg_id) into step_ids, msg_ids from sent;
    end
    $fn$
  $ddl$, v_send, v_table);
  execute pg_catalog.format($ddl$
    create or replace function weft.%1$I(msg_ids bigint[]) returns integer
    language plpgsql volatile
    set search_path = ''
    set enable_seqscan = off
    as $fn$
    declare
      v_count integer;
    begin
      delete from pgmq.%2$I q where q.msg_id = any (msg_ids);
      get diagnostics v_count = row_count;
      return v_count;
    end
    $fn$
  $ddl$, v_delete, v_table);
  execute pg_catalog.format('comment on function weft.%I(jsonb[]) is %L', v_send,
                            'Sends step messages to the PGMQ queue of namespace ' || namespace || ' (made by weft._create_queue_functions).');
  execute pg_catalog.format('comment on function weft.%I(bigint[]) is %L', v_delete,
                            'Deletes messages from the PGMQ queue of namespace ' || namespace || ' (made by weft._create_queue_functions).');
  execute pg_catalog.format('revoke execute on function weft.%I(jsonb[]) from public', v_send);
  execute pg_catalog.format('revoke execute on function weft.%I(bigint[]) from public', v_delete);
end
$$;
comment on function weft._create_queue_functions(text) is 'Makes weft._q_send_<namespace>(jsonb[]) and weft._q_delete_<namespace>(bigint[]), the static-SQL writers of a namespace''s queue.';

-- Namespaces made before this function existed get theirs.
do $$
declare
  v_name text;
begin
  for v_name in select n.name from weft.namespaces n order by n.name loop
    perform weft._create_queue_functions(v_name);
  end loop;
end
$$;
