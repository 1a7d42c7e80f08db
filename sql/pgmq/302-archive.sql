-- pgmq.archive(queue_name text, msg_id bigint)    returns boolean
-- pgmq.archive(queue_name text, msg_ids bigint[]) returns setof bigint
--
-- Purpose : moves messages from pgmq.q_<t> to pgmq.a_<t> in one statement (DELETE … RETURNING
--           feeding an INSERT), keeping msg_id, read_ct, enqueued_at, last_read_at, vt, message
--           and headers; archived_at = now(). Single form: true iff a row was archived. Batch
--           form: the archived ids (unknown ids skipped). No ownership check.
-- Callers : every PGMQ client, pgflow, weft workers after a step (hot path).
-- Locks   : row locks of the DELETE; ROW EXCLUSIVE on pgmq.a_<t>.
-- Errors  : P0001 invalid characters; 42P01 when the queue does not exist.
create or replace function pgmq.archive(queue_name text, msg_id bigint)
returns boolean
language plpgsql
as $$
declare
  qtable text := pgmq.format_table_name(queue_name, 'q');
  atable text := pgmq.format_table_name(queue_name, 'a');
  archived bigint;
begin
  execute pg_catalog.format(
    $q$
    with moved as (
      delete from pgmq.%I where msg_id = $1
      returning msg_id, vt, read_ct, enqueued_at, last_read_at, message, headers
    )
    insert into pgmq.%I (msg_id, vt, read_ct, enqueued_at, last_read_at, message, headers)
    select moved.msg_id, moved.vt, moved.read_ct, moved.enqueued_at, moved.last_read_at, moved.message, moved.headers
    from moved
    returning msg_id
    $q$,
    qtable, atable
  ) into archived using msg_id;
  return archived is not null;
end;
$$;

create or replace function pgmq.archive(queue_name text, msg_ids bigint[])
returns setof bigint
language plpgsql
as $$
declare
  qtable text := pgmq.format_table_name(queue_name, 'q');
  atable text := pgmq.format_table_name(queue_name, 'a');
begin
  return query execute pg_catalog.format(
    $q$
    with moved as (
      delete from pgmq.%I where msg_id = any($1)
      returning msg_id, vt, read_ct, enqueued_at, last_read_at, message, headers
    )
    insert into pgmq.%I (msg_id, vt, read_ct, enqueued_at, last_read_at, message, headers)
    select moved.msg_id, moved.vt, moved.read_ct, moved.enqueued_at, moved.last_read_at, moved.message, moved.headers
    from moved
    returning msg_id
    $q$,
    qtable, atable
  ) using msg_ids;
end;
$$;
