-- pgmq.validate_queue_name(queue_name text) returns void
--
-- Purpose : the length rule of queue names: at most 47 characters, so that the longest derived
--           identifier ('archived_at_idx_' || name, 16 + 47 = 63) fits NAMEDATALEN.
-- Callers : pgmq.create_non_partitioned, pgmq.create_unlogged, pgmq.create_partitioned (not
--           send/read/drop, as in pgmq 1.13.0).
-- Locks   : none.
-- Errors  : P0001 'queue name is too long, maximum length is 47 characters'.
create or replace function pgmq.validate_queue_name(queue_name text)
returns void
language plpgsql
as $$
begin
  if pg_catalog.length(queue_name) > 47 then
    raise exception 'queue name is too long, maximum length is 47 characters';
  end if;
end;
$$;
