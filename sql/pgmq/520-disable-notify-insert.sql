-- pgmq.disable_notify_insert(queue_name): stop insert notifications for a queue.
--
-- Purpose : drops the queue's constraint trigger trigger_notify_queue_insert_listeners (if any)
--           and deletes its throttle row. No existence check: disabling a queue that never had
--           notifications (or does not exist) is a no-op apart from the server's NOTICE.
-- Callers : clients; enable_notify_insert (to start from a clean state).
-- Locks   : DROP TRIGGER takes an ACCESS EXCLUSIVE lock on pgmq.q_<t> until commit, so it waits
--           for open transactions that touched the queue table.
-- Errors  : P0001 `queue name contains invalid characters: …` (format_table_name, checked first).
create or replace function pgmq.disable_notify_insert(queue_name text)
returns void
language plpgsql
as $$
declare
  -- Evaluated before the body: a bad name fails here, before anything else (as upstream).
  q_table text := pgmq.format_table_name(queue_name, 'q');
begin
  execute pg_catalog.format(
    'drop trigger if exists trigger_notify_queue_insert_listeners on pgmq.%I',
    q_table
  );

  delete from pgmq.notify_insert_throttle as nit
  where nit.queue_name = disable_notify_insert.queue_name;
end;
$$;
