-- pgmq.send(queue_name text, msg jsonb)                                       returns setof bigint
-- pgmq.send(queue_name text, msg jsonb, headers jsonb)
-- pgmq.send(queue_name text, msg jsonb, delay integer)
-- pgmq.send(queue_name text, msg jsonb, delay timestamptz)
-- pgmq.send(queue_name text, msg jsonb, headers jsonb, delay integer)
-- pgmq.send(queue_name text, msg jsonb, headers jsonb, delay timestamptz)
--
-- Purpose : enqueues one message and returns its msg_id. The message becomes visible at
--           vt = clock_timestamp() (no delay), clock_timestamp() + delay seconds (integer; a
--           negative delay is accepted) or the given timestamptz. enqueued_at = now()
--           (transaction start), read_ct 0, last_read_at NULL; msg may be SQL NULL.
--           The (headers, timestamptz) form holds the logic; the others delegate to it. No
--           other overload may be added: the exact set decides how untyped calls resolve
--           (pgmq.send($1,$2,$3) untyped is ambiguous, 42725, as in pgmq 1.13.0).
-- Callers : every PGMQ client; weft's dispatcher (hot path).
-- Locks   : ROW EXCLUSIVE on pgmq.q_<t>; the row is invisible to others until commit.
-- Errors  : P0001 invalid characters; 42P01 when the queue does not exist.
create or replace function pgmq.send(queue_name text, msg jsonb, headers jsonb, delay timestamp with time zone)
returns setof bigint
language plpgsql
as $$
declare
  qtable text := pgmq.format_table_name(queue_name, 'q');
begin
  return query execute pg_catalog.format(
    'insert into pgmq.%I (vt, message, headers) values ($1, $2, $3) returning msg_id',
    qtable
  ) using delay, msg, headers;
end;
$$;

create or replace function pgmq.send(queue_name text, msg jsonb)
returns setof bigint
language sql
as $$
  select * from pgmq.send(queue_name, msg, null::jsonb, pg_catalog.clock_timestamp());
$$;

create or replace function pgmq.send(queue_name text, msg jsonb, headers jsonb)
returns setof bigint
language sql
as $$
  select * from pgmq.send(queue_name, msg, headers, pg_catalog.clock_timestamp());
$$;

create or replace function pgmq.send(queue_name text, msg jsonb, delay integer)
returns setof bigint
language sql
as $$
  select * from pgmq.send(queue_name, msg, null::jsonb, pg_catalog.clock_timestamp() + pg_catalog.make_interval(secs => delay));
$$;

create or replace function pgmq.send(queue_name text, msg jsonb, delay timestamp with time zone)
returns setof bigint
language sql
as $$
  select * from pgmq.send(queue_name, msg, null::jsonb, delay);
$$;

create or replace function pgmq.send(queue_name text, msg jsonb, headers jsonb, delay integer)
returns setof bigint
language sql
as $$
  select * from pgmq.send(queue_name, msg, headers, pg_catalog.clock_timestamp() + pg_catalog.make_interval(secs => delay));
$$;
