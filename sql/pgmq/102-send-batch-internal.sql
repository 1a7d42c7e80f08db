-- pgmq._send_batch(queue_name text, msgs jsonb[], headers jsonb[], delay timestamptz)
--   returns setof bigint
--
-- Purpose : inserts one row per element of msgs, in array order, with vt = delay (as given)
--           and the headers element of the same position (NULL when headers is NULL); returns
--           the new msg_ids in array order (pgflow relies on it). No validation: callers run
--           pgmq._validate_batch_params first.
-- Callers : pgmq.send_batch(text, jsonb[], jsonb[], timestamptz); part 2's send_batch_topic.
-- Locks   : ROW EXCLUSIVE on pgmq.q_<t>; the rows are invisible to others until commit.
-- Errors  : P0001 invalid characters; 42P01 when the queue does not exist; 23502 when delay is
--           NULL.
create or replace function pgmq._send_batch(queue_name text, msgs jsonb[], headers jsonb[], delay timestamp with time zone)
returns setof bigint
language plpgsql
as $$
declare
  qtable text := pgmq.format_table_name(queue_name, 'q');
begin
  -- ROWS FROM (unnest, unnest) pairs the arrays by position (a NULL array reads as empty, so
  -- the shorter side is padded with NULLs); ORDER BY ord makes the identity follow array order.
  return query execute pg_catalog.format(
    $q$
    insert into pgmq.%I (vt, message, headers)
    select $3, b.message, b.headers
    from rows from (pg_catalog.unnest($1), pg_catalog.unnest($2)) with ordinality as b(message, headers, ord)
    order by b.ord
    returning msg_id
    $q$,
    qtable
  ) using msgs, headers, delay;
end;
$$;
