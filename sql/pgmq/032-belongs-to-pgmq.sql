-- pgmq._belongs_to_pgmq(table_name text) returns boolean
--
-- Purpose : whether a relation named table_name is a member object of the pgmq extension. With
--           weft's compat schema there is no such extension, so this is false; kept because the
--           pgmq 1.13.0 catalog has it.
-- Callers : none inside the compat schema; kept for clients that probe it.
-- Locks   : none (catalog read).
-- Errors  : none.
create or replace function pgmq._belongs_to_pgmq(table_name text)
returns boolean
language plpgsql
as $$
begin
  return exists (
    select 1
    from pg_catalog.pg_depend d
    join pg_catalog.pg_extension e on e.oid = d.refobjid
    join pg_catalog.pg_class c on c.oid = d.objid
    where d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass
      and d.refclassid = 'pg_catalog.pg_extension'::pg_catalog.regclass
      and d.deptype = 'e'
      and e.extname = 'pgmq'
      and c.relname = _belongs_to_pgmq.table_name
  );
end;
$$;
