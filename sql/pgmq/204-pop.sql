-- pgmq.pop(queue_name text, qty integer default 1) returns setof pgmq.message_record
--
-- Purpose : takes up to qty visible messages, lowest msg_id first, and deletes them
--           (at-most-once delivery). Rows are returned as stored: read_ct, vt and last_read_at
--           are not updated.
-- Callers : clients (pgmq-js pop).
-- Locks   : FOR UPDATE SKIP LOCKED on the taken rows, then DELETE (see pgmq.read).
-- Errors  : P0001 invalid characters; 42P01 when the queue does not exist.
create or replace function pgmq.pop(queue_name text, qty integer default 1)
returns setof pgmq.message_record
language plpgsql
as $$
declare
  qtable text := pgmq.format_table_name(queue_name, 'q');
begin
  return query execute pg_catalog.format(
    $q$
    delete from pgmq.%1$I m
    using (
      select c.msg_id
      from pgmq.%1$I c
      where c.vt <= pg_catalog.clock_timestamp()
      order by c.msg_id
      limit $1
      for update skip locked
    ) taken
    where m.msg_id = taken.msg_id
    returning m.msg_id, m.read_ct, m.enqueued_at, m.last_read_at, m.vt, m.message, m.headers
    $q$,
    qtable
  ) using qty;
end;
$$;
