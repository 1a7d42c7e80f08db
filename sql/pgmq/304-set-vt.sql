-- pgmq.set_vt(queue_name text, msg_id bigint, vt integer)        returns setof pgmq.message_record
-- pgmq.set_vt(queue_name text, msg_id bigint, vt timestamptz)
-- pgmq.set_vt(queue_name text, msg_ids bigint[], vt integer)
-- pgmq.set_vt(queue_name text, msg_ids bigint[], vt timestamptz)
--
-- Purpose : changes when messages become visible: vt = clock_timestamp() + vt seconds (integer
--           forms) or the given timestamptz. Returns the updated rows; the empty set for unknown
--           ids. read_ct and last_read_at are not touched; no ownership or visibility check.
--           The integer forms delegate to the timestamptz forms. No other overload may be added:
--           untyped pgmq.set_vt($1,$2,$3) is ambiguous (42725), as in pgmq 1.13.0.
-- Callers : clients (retry later / extend), pgflow, weft heartbeats (extend the visibility).
-- Locks   : row locks of the UPDATE (waits for a concurrent reader's uncommitted claim).
-- Errors  : P0001 invalid characters; 42P01 when the queue does not exist.
create or replace function pgmq.set_vt(queue_name text, msg_id bigint, vt timestamp with time zone)
returns setof pgmq.message_record
language plpgsql
as $$
declare
  qtable text := pgmq.format_table_name(queue_name, 'q');
begin
  return query execute pg_catalog.format(
    $q$
    update pgmq.%I m
    set vt = $2
    where m.msg_id = $1
    returning m.msg_id, m.read_ct, m.enqueued_at, m.last_read_at, m.vt, m.message, m.headers
    $q$,
    qtable
  ) using msg_id, vt;
end;
$$;

create or replace function pgmq.set_vt(queue_name text, msg_ids bigint[], vt timestamp with time zone)
returns setof pgmq.message_record
language plpgsql
as $$
declare
  qtable text := pgmq.format_table_name(queue_name, 'q');
begin
  return query execute pg_catalog.format(
    $q$
    update pgmq.%I m
    set vt = $2
    where m.msg_id = any($1)
    returning m.msg_id, m.read_ct, m.enqueued_at, m.last_read_at, m.vt, m.message, m.headers
    $q$,
    qtable
  ) using msg_ids, vt;
end;
$$;

create or replace function pgmq.set_vt(queue_name text, msg_id bigint, vt integer)
returns setof pgmq.message_record
language sql
as $$
  select * from pgmq.set_vt(queue_name, msg_id, pg_catalog.clock_timestamp() + pg_catalog.make_interval(secs => vt));
$$;

create or replace function pgmq.set_vt(queue_name text, msg_ids bigint[], vt integer)
returns setof pgmq.message_record
language sql
as $$
  select * from pgmq.set_vt(queue_name, msg_ids, pg_catalog.clock_timestamp() + pg_catalog.make_interval(secs => vt));
$$;
