-- pgmq._get_pg_partman_schema() returns text
--
-- Purpose : the schema pg_partman is installed in (NULL when it is not installed).
-- Callers : pgmq.create_partitioned, pgmq.convert_archive_partitioned, pgmq.drop_queue.
-- Locks   : none (catalog read).
-- Errors  : none.
create or replace function pgmq._get_pg_partman_schema()
returns text
language sql
as $$
  select n.nspname::text
  from pg_catalog.pg_extension e
  join pg_catalog.pg_namespace n on n.oid = e.extnamespace
  where e.extname = 'pg_partman';
$$;
