-- pgmq._ensure_pg_partman_installed() returns void
--
-- Purpose : guard of the partitioned-queue functions; pg_partman must be installed.
-- Callers : pgmq.create_partitioned, pgmq.convert_archive_partitioned.
-- Locks   : none.
-- Errors  : P0001 'pg_partman is required for partitioned queues'.
create or replace function pgmq._ensure_pg_partman_installed()
returns void
language plpgsql
as $$
begin
  if not pgmq._extension_exists('pg_partman') then
    raise exception 'pg_partman is required for partitioned queues';
  end if;
end;
$$;
