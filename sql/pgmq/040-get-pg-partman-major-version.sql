-- pgmq._get_pg_partman_major_version() returns integer
--
-- Purpose : major version of the installed pg_partman (4 and 5 name the range type differently).
-- Callers : pgmq.create_partitioned, pgmq.convert_archive_partitioned.
-- Locks   : none (catalog read).
-- Errors  : none; NULL when pg_partman is not installed.
create or replace function pgmq._get_pg_partman_major_version()
returns integer
language sql
as $$
  select pg_catalog.split_part(e.extversion, '.', 1)::integer
  from pg_catalog.pg_extension e
  where e.extname = 'pg_partman';
$$;
