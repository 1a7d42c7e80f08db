-- pgmq._create_fifo_index_if_not_exists(queue_name text) returns void
--
-- Purpose : creates the FIFO index q_<t>_fifo_idx (GIN on headers) of a queue unless an index
--           of that name already exists; silent when it does (no NOTICE).
-- Callers : available to clients and operators; pgmq.create_fifo_index is the public form.
-- Locks   : SHARE on pgmq.q_<t> while the index is built (blocks senders, not readers).
-- Errors  : P0001 invalid characters; 42P01 when the queue does not exist.
create or replace function pgmq._create_fifo_index_if_not_exists(queue_name text)
returns void
language plpgsql
as $$
declare
  qtable text := pgmq.format_table_name(queue_name, 'q');
begin
  if pg_catalog.to_regclass(pg_catalog.format('pgmq.%I', qtable || '_fifo_idx')) is null then
    execute pg_catalog.format('create index %I on pgmq.%I using gin (headers)', qtable || '_fifo_idx', qtable);
  end if;
end;
$$;
