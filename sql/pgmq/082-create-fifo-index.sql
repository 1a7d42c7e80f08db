-- pgmq.create_fifo_index(queue_name text) returns void
--
-- Purpose : CREATE INDEX IF NOT EXISTS q_<t>_fifo_idx ON pgmq.q_<t> USING gin (headers): speeds
--           up the read_grouped* functions, which group by headers->>'x-pgmq-group'. Optional.
-- Callers : clients, operators, pgmq.create_fifo_indexes_all.
-- Locks   : SHARE on pgmq.q_<t> while the index is built (blocks senders, not readers).
-- Errors  : P0001 invalid characters; 42P01 when the queue does not exist.
create or replace function pgmq.create_fifo_index(queue_name text)
returns void
language plpgsql
as $$
declare
  qtable text := pgmq.format_table_name(queue_name, 'q');
begin
  execute pg_catalog.format('create index if not exists %I on pgmq.%I using gin (headers)', qtable || '_fifo_idx', qtable);
end;
$$;
