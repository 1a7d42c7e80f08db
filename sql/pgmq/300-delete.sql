-- pgmq.delete(queue_name text, msg_id bigint)    returns boolean
-- pgmq.delete(queue_name text, msg_ids bigint[]) returns setof bigint
--
-- Purpose : removes messages for good. Single form: true iff a row was removed. Batch form:
--           the ids actually removed (unknown ids are skipped; no particular order).
--           No ownership check: whoever holds a msg_id may delete it, even after the message
--           was re-delivered to someone else.
-- Callers : every PGMQ client (acknowledge), weft workers after a step (hot path).
-- Locks   : row locks of the DELETE (waits for a concurrent reader's uncommitted claim).
-- Errors  : P0001 invalid characters; 42P01 when the queue does not exist.
create or replace function pgmq.delete(queue_name text, msg_id bigint)
returns boolean
language plpgsql
as $$
declare
  qtable text := pgmq.format_table_name(queue_name, 'q');
  deleted bigint;
begin
  execute pg_catalog.format('delete from pgmq.%I where msg_id = $1 returning msg_id', qtable)
    into deleted
    using msg_id;
  return deleted is not null;
end;
$$;

create or replace function pgmq.delete(queue_name text, msg_ids bigint[])
returns setof bigint
language plpgsql
as $$
declare
  qtable text := pgmq.format_table_name(queue_name, 'q');
begin
  return query execute pg_catalog.format('delete from pgmq.%I where msg_id = any($1) returning msg_id', qtable)
    using msg_ids;
end;
$$;
