-- pgmq.list_notify_insert_throttles(): the queues with notify-insert enabled.
--
-- Purpose : one row per throttle row (queue name as stored in pgmq.meta, interval, time of the
--           last notification — epoch until the first), ordered by queue name.
-- Callers : clients, operators.
-- Locks   : none (plain read). STABLE.
-- Errors  : none.
create or replace function pgmq.list_notify_insert_throttles()
returns table (
  queue_name text,
  throttle_interval_ms integer,
  last_notified_at timestamp with time zone
)
language sql
stable
as $$
  select nit.queue_name, nit.throttle_interval_ms, nit.last_notified_at
  from pgmq.notify_insert_throttle as nit
  order by nit.queue_name;
$$;
