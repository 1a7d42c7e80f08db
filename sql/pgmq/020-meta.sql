-- Table pgmq.meta: one row per queue.
--
-- Purpose : the registry of queues, with the name spelled as given to create (queue tables use
--           the lower-cased name). Part 2's pgmq.notify_insert_throttle and pgmq.topic_bindings
--           reference meta(queue_name) ON DELETE CASCADE, so drop_queue cleans them up.
-- Callers : create*, drop_queue, list_queues, metrics_all, create_fifo_indexes_all; pgmq-rs in
--           client-only mode writes it with raw SQL.
-- Locks   : none beyond DDL.
-- Errors  : none; created only when missing.
create table if not exists pgmq.meta (
  queue_name character varying not null,
  is_partitioned boolean not null,
  is_unlogged boolean not null,
  created_at timestamp with time zone not null default now(),
  constraint meta_queue_name_key unique (queue_name)
);
