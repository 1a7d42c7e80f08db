-- pgmq.update_notify_insert(queue_name, throttle_interval_ms): change a queue's notify throttle.
--
-- Purpose : sets the throttle interval of a queue that already has notify-insert enabled and
--           resets last_notified_at to epoch (so the next insert notifies at once).
-- Callers : clients.
-- Checks  : in this order — throttle_interval_ms >= 0, the queue is in pgmq.meta (exact
--           spelling), the queue has a throttle row.
-- Locks   : row lock on the queue's pgmq.notify_insert_throttle row until commit.
-- Errors  : P0001 `throttle_interval_ms must be non-negative, got: <n>`;
--           P0001 `Queue "<name>" does not exist. Create the queue first using pgmq.create()`;
--           P0001 `Queue "<name>" does not have notify_insert enabled. Enable it first using
--           pgmq.enable_notify_insert()`.
create or replace function pgmq.update_notify_insert(queue_name text, throttle_interval_ms integer)
returns void
language plpgsql
as $$
begin
  if update_notify_insert.throttle_interval_ms < 0 then
    raise exception 'throttle_interval_ms must be non-negative, got: %',
      update_notify_insert.throttle_interval_ms;
  end if;

  if not exists (
    select 1 from pgmq.meta as m where m.queue_name = update_notify_insert.queue_name
  ) then
    raise exception 'Queue "%" does not exist. Create the queue first using pgmq.create()',
      update_notify_insert.queue_name;
  end if;

  if not exists (
    select 1 from pgmq.notify_insert_throttle as nit
    where nit.queue_name = update_notify_insert.queue_name
  ) then
    raise exception 'Queue "%" does not have notify_insert enabled. Enable it first using pgmq.enable_notify_insert()',
      update_notify_insert.queue_name;
  end if;

  update pgmq.notify_insert_throttle as nit
  set throttle_interval_ms = update_notify_insert.throttle_interval_ms,
      last_notified_at = pg_catalog.to_timestamp(0)
  where nit.queue_name = update_notify_insert.queue_name;
end;
$$;
