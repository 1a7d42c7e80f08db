-- Table pgmq.notify_insert_throttle: which queues send insert notifications, and how often.
--
-- Purpose : one row per queue with notify-insert enabled; throttle_interval_ms is the minimum
--           gap between two NOTIFYs (0 = notify on every insert), last_notified_at the clock
--           time of the last one (epoch until the first). UNLOGGED like upstream: after a crash
--           the rows are gone, so notify-insert must be re-enabled (the triggers stay).
-- Callers : enable_notify_insert / disable_notify_insert / update_notify_insert (write),
--           notify_queue_listeners (trigger, UPDATE per insert), list_notify_insert_throttles.
-- Locks   : DDL only at install; the trigger's UPDATE row-locks the queue's row, so concurrent
--           inserts into one notifying queue serialize on it until commit (same as upstream).
-- Errors  : FK violation (23503) when the queue name is not spelled as in pgmq.meta;
--           drop_queue's DELETE on pgmq.meta cascades here.
-- Layout  : columns, constraint and index names exactly as pgmq 1.13.0 (manifest.json).
create unlogged table if not exists pgmq.notify_insert_throttle (
  queue_name varchar not null,
  throttle_interval_ms integer not null default 0,
  last_notified_at timestamp with time zone not null default pg_catalog.to_timestamp(0)
);

-- Constraints are added only when missing, so re-applying the script is a no-op.
do $$
begin
  if not exists (
    select 1 from pg_catalog.pg_constraint
    where conrelid = 'pgmq.notify_insert_throttle'::regclass
      and conname = 'notify_insert_throttle_queue_name_key'
  ) then
    alter table pgmq.notify_insert_throttle
      add constraint notify_insert_throttle_queue_name_key unique (queue_name);
  end if;
  if not exists (
    select 1 from pg_catalog.pg_constraint
    where conrelid = 'pgmq.notify_insert_throttle'::regclass
      and conname = 'notify_insert_throttle_meta_queue_name_fk'
  ) then
    alter table pgmq.notify_insert_throttle
      add constraint notify_insert_throttle_meta_queue_name_fk
      foreign key (queue_name) references pgmq.meta (queue_name) on delete cascade;
  end if;
end
$$;

create index if not exists idx_notify_throttle_active
  on pgmq.notify_insert_throttle (queue_name, last_notified_at)
  where throttle_interval_ms > 0;

-- Readable by monitoring roles, like every pgmq table (idempotent).
grant select on pgmq.notify_insert_throttle to pg_monitor;
