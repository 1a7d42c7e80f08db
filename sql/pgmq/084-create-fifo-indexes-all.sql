-- pgmq.create_fifo_indexes_all() returns void
--
-- Purpose : pgmq.create_fifo_index for every queue in pgmq.meta.
-- Callers : operators.
-- Locks   : see pgmq.create_fifo_index, for each queue in turn.
-- Errors  : 42P01 when a meta row has no message table.
create or replace function pgmq.create_fifo_indexes_all()
returns void
language plpgsql
as $$
declare
  q record;
begin
  for q in select m.queue_name from pgmq.meta m loop
    perform pgmq.create_fifo_index(q.queue_name);
  end loop;
end;
$$;
