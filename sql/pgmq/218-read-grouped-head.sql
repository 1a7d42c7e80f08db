-- pgmq.read_grouped_head(queue_name text, vt integer, qty integer)
--   returns setof pgmq.message_record
--
-- Purpose : FIFO read of group heads only: for each group (header x-pgmq-group, default
--           '_default_fifo_group') its head, the lowest msg_id, visible or not; the visible heads
--           are claimed in msg_id order, up to qty. So at most one message per group, and none
--           from a group whose head is in flight. Claimed rows are updated as by pgmq.read.
-- Callers : clients that process one message per group at a time.
-- Locks   : FOR UPDATE SKIP LOCKED on the claimed rows.
-- Errors  : P0001 invalid characters; 42P01 when the queue does not exist.
create or replace function pgmq.read_grouped_head(queue_name text, vt integer, qty integer)
returns setof pgmq.message_record
language plpgsql
as $$
declare
  qtable text := pgmq.format_table_name(queue_name, 'q');
begin
  return query execute pg_catalog.format(
    $q$
    update pgmq.%1$I m
    set vt = pg_catalog.clock_timestamp() + pg_catalog.make_interval(secs => $2),
        read_ct = m.read_ct + 1,
        last_read_at = pg_catalog.clock_timestamp()
    from (
      select c.msg_id
      from pgmq.%1$I c
      where c.msg_id in (
          select pg_catalog.min(h.msg_id)
          from pgmq.%1$I h
          group by coalesce(h.headers ->> 'x-pgmq-group', '_default_fifo_group')
        )
        and c.vt <= pg_catalog.clock_timestamp()
      order by c.msg_id
      limit $1
      for update skip locked
    ) claimed
    where m.msg_id = claimed.msg_id
    returning m.msg_id, m.read_ct, m.enqueued_at, m.last_read_at, m.vt, m.message, m.headers
    $q$,
    qtable
  ) using qty, vt;
end;
$$;
