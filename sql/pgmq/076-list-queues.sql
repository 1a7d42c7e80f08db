-- pgmq.list_queues() returns setof pgmq.queue_record
--
-- Purpose : every queue in pgmq.meta (name as given at create, flags, created_at); no
--           particular order.
-- Callers : clients (pgmq-js listQueues parses the composite's text form), pgflow, weft.
-- Locks   : none (plain read of pgmq.meta).
-- Errors  : none.
create or replace function pgmq.list_queues()
returns setof pgmq.queue_record
language plpgsql
as $$
begin
  return query
  select m.queue_name, m.is_partitioned, m.is_unlogged, m.created_at
  from pgmq.meta m;
end;
$$;
