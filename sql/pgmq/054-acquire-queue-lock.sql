-- pgmq.acquire_queue_lock(queue_name text) returns void
--
-- Purpose : serialises DDL on one queue (create/drop) between sessions.
-- Callers : pgmq.create_non_partitioned, pgmq.create_unlogged, pgmq.create_partitioned,
--           pgmq.drop_queue.
-- Locks   : transaction-scoped advisory lock pg_advisory_xact_lock(hashtext('pgmq.queue_' ||
--           queue_name)), on the name as given (not lower-cased), held until commit/rollback.
-- Errors  : none (waits for the lock).
create or replace function pgmq.acquire_queue_lock(queue_name text)
returns void
language plpgsql
as $$
begin
  perform pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtext('pgmq.queue_' || queue_name));
end;
$$;
