-- pgmq._extension_exists(extension_name text) returns boolean
--
-- Purpose : whether an extension is installed in the current database.
-- Callers : pgmq._ensure_pg_partman_installed.
-- Locks   : none (catalog read).
-- Errors  : none.
create or replace function pgmq._extension_exists(extension_name text)
returns boolean
language sql
as $$
  select exists (
    select 1 from pg_catalog.pg_extension e where e.extname = extension_name
  );
$$;
