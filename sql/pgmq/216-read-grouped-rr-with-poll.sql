-- pgmq.read_grouped_rr_with_poll(queue_name text, vt integer, qty integer,
--     max_poll_seconds integer default 5, poll_interval_ms integer default 100)
--   returns setof pgmq.message_record
--
-- Purpose : pgmq.read_grouped_rr, repeated every poll_interval_ms until it returns at least one
--           message or max_poll_seconds have passed (then the empty set). Each try is a new
--           statement, so under READ COMMITTED it sees messages committed meanwhile.
--           The first try happens at once, even with max_poll_seconds <= 0.
-- Callers : clients that long-poll a FIFO queue.
-- Locks   : those of pgmq.read_grouped_rr; holds its connection (and transaction) while it sleeps.
-- Errors  : those of pgmq.read_grouped_rr.
create or replace function pgmq.read_grouped_rr_with_poll(
  queue_name text,
  vt integer,
  qty integer,
  max_poll_seconds integer default 5,
  poll_interval_ms integer default 100
)
returns setof pgmq.message_record
language plpgsql
as $$
declare
  stop_at timestamp with time zone := pg_catalog.clock_timestamp() + pg_catalog.make_interval(secs => max_poll_seconds);
begin
  loop
    return query select * from pgmq.read_grouped_rr(read_grouped_rr_with_poll.queue_name, read_grouped_rr_with_poll.vt, read_grouped_rr_with_poll.qty);
    if found or pg_catalog.clock_timestamp() >= stop_at then
      return;
    end if;
    perform pg_catalog.pg_sleep(poll_interval_ms / 1000.0);
  end loop;
end;
$$;
