-- pgmq.read_grouped(queue_name text, vt integer, qty integer) returns setof pgmq.message_record
--
-- Purpose : FIFO read, "SQS style". Messages belong to the group named by their header
--           x-pgmq-group (no header: the group '_default_fifo_group'). A group is eligible when
--           its oldest visible message is not preceded by an invisible message of the same
--           group (i.e. no earlier message of the group is in flight). Eligible groups are
--           ordered by their oldest visible msg_id, and the batch is filled from the first group
--           completely (its visible messages in msg_id order), then the next, up to qty.
--           Claimed rows are updated as by pgmq.read (vt, read_ct + 1, last_read_at).
-- Callers : clients that need per-group ordering.
-- Locks   : FOR UPDATE SKIP LOCKED on the claimed rows. Two concurrent readers may both see a
--           group as eligible from their snapshots; rows the other holds are skipped.
-- Errors  : P0001 invalid characters; 42P01 when the queue does not exist.
-- Index   : pgmq.create_fifo_index adds a GIN index on headers (optional).
create or replace function pgmq.read_grouped(queue_name text, vt integer, qty integer)
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
      join (
        select g.fifo_group, g.first_visible
        from (
          select coalesce(v.headers ->> 'x-pgmq-group', '_default_fifo_group') as fifo_group,
                 pg_catalog.min(v.msg_id) as first_visible
          from pgmq.%1$I v
          where v.vt <= pg_catalog.clock_timestamp()
          group by 1
        ) g
        where not exists (
          select 1
          from pgmq.%1$I i
          where coalesce(i.headers ->> 'x-pgmq-group', '_default_fifo_group') = g.fifo_group
            and i.msg_id < g.first_visible
            and i.vt > pg_catalog.clock_timestamp()
        )
      ) eligible on coalesce(c.headers ->> 'x-pgmq-group', '_default_fifo_group') = eligible.fifo_group
      where c.vt <= pg_catalog.clock_timestamp()
      order by eligible.first_visible, c.msg_id
      limit $1
      for update of c skip locked
    ) claimed
    where m.msg_id = claimed.msg_id
    returning m.msg_id, m.read_ct, m.enqueued_at, m.last_read_at, m.vt, m.message, m.headers
    $q$,
    qtable
  ) using qty, vt;
end;
$$;
