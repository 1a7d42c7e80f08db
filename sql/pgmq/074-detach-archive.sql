-- pgmq.detach_archive(queue_name text) returns void   (deprecated no-op)
--
-- Purpose : formerly removed the archive table from the pgmq extension's members; archive
--           tables are no longer member objects, so it only warns. It does not check that the
--           queue exists.
-- Callers : old clients (pgmq-js detachArchive).
-- Locks   : none.
-- Errors  : none; WARNING (01000) with the deprecation text.
create or replace function pgmq.detach_archive(queue_name text)
returns void
language plpgsql
as $$
begin
  raise warning 'detach_archive(queue_name) is deprecated and is a no-op. It will be removed in PGMQ v2.0. Archive tables are no longer member objects.';
end;
$$;
