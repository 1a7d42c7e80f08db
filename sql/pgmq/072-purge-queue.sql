-- pgmq.purge_queue(queue_name text) returns bigint
--
-- Purpose : empties the message table pgmq.q_<t> (TRUNCATE, without RESTART IDENTITY, so
--           msg_ids keep growing and metrics.total_messages survives) and returns how many rows
--           it held. The archive is untouched.
-- Callers : clients (pgmq-js purgeQueue), operators.
-- Locks   : ACCESS EXCLUSIVE on pgmq.q_<t> until commit (TRUNCATE): readers and senders of
--           the queue wait.
-- Errors  : P0001 invalid characters; 42P01 when the queue does not exist.
create or replace function pgmq.purge_queue(queue_name text)
returns bigint
language plpgsql
as $$
declare
  qtable text := pgmq.format_table_name(queue_name, 'q');
  purged bigint;
begin
  execute pg_catalog.format('select pg_catalog.count(*) from pgmq.%I', qtable) into purged;
  execute pg_catalog.format('truncate table pgmq.%I', qtable);
  return purged;
end;
$$;
