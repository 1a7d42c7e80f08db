-- weft._create_queue_send_function(namespace text) → void
--
-- Purpose : makes weft."_q_send_<namespace>"(messages jsonb[]) → (step_ids uuid[], msg_ids
--           bigint[]), the function weft._enqueue_steps sends a namespace's step messages with:
--           inserts them into the namespace's PGMQ queue table (pgmq.q_<namespace>) in array
--           order, visible at once, and returns their step ids and msg_ids. The queue table's
--           name varies with the namespace, so a shared function could only insert through
--           dynamic SQL, which PostgreSQL parses and plans again at every call (about a fifth
--           of a single request); a function per namespace holds static SQL, whose plan
--           PL/pgSQL keeps for the session. A queue table dropped and made again is planned
--           again. Replaces the function if it exists. Not executable by PUBLIC: it runs inside
--           weft's SECURITY DEFINER functions.
-- Callers : weft._ensure_namespace (a namespace's first workflow); the migration, for
--           namespaces made before it.
-- Locks   : none beyond CREATE FUNCTION's.
-- Errors  : WF001 a namespace that is not registered.
create function weft._create_queue_send_function(namespace text) returns void
language plpgsql volatile
set search_path = ''
as $$
declare
  v_function text := '_q_send_' || namespace;
begin
  if not exists (select 1 from weft.namespaces n where n.name = _create_queue_send_function.namespace) then
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
  $ddl$, v_function, 'q_' || namespace);
  execute pg_catalog.format('comment on function weft.%I(jsonb[]) is %L', v_function,
                            'Sends step messages to the PGMQ queue of namespace ' || namespace || ' (made by weft._create_queue_send_function).');
  execute pg_catalog.format('revoke execute on function weft.%I(jsonb[]) from public', v_function);
end
$$;
comment on function weft._create_queue_send_function(text) is 'Makes weft._q_send_<namespace>(jsonb[]), the static-SQL sender of a namespace''s step messages.';

-- Namespaces made before this function existed get theirs.
do $$
declare
  v_name text;
begin
  for v_name in select n.name from weft.namespaces n order by n.name loop
    perform weft._create_queue_send_function(v_name);
  end loop;
end
$$;
