-- pgmq.create(queue_name text) returns void
--
-- Purpose : creates a (non-partitioned, logged) queue; the usual entry point. Idempotent.
-- Callers : clients (pgmq-js, pgflow, pgmq-py/rs/go), weft when it makes a namespace queue.
-- Locks   : see pgmq.create_non_partitioned.
-- Errors  : see pgmq.create_non_partitioned.
create or replace function pgmq.create(queue_name text)
returns void
language plpgsql
as $$
begin
  perform pgmq.create_non_partitioned(queue_name);
end;
$$;
