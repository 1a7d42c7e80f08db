-- pgmq.send_batch(queue_name text, msgs jsonb[])                              returns setof bigint
-- pgmq.send_batch(queue_name text, msgs jsonb[], headers jsonb[])
-- pgmq.send_batch(queue_name text, msgs jsonb[], delay integer)
-- pgmq.send_batch(queue_name text, msgs jsonb[], delay timestamptz)
-- pgmq.send_batch(queue_name text, msgs jsonb[], headers jsonb[], delay integer)
-- pgmq.send_batch(queue_name text, msgs jsonb[], headers jsonb[], delay timestamptz)
--
-- Purpose : enqueues several messages in one INSERT and returns their msg_ids in array order.
--           vt as for pgmq.send (clock, clock + delay seconds, or the given timestamptz).
--           headers, when given, pairs with msgs by position. The (headers, timestamptz) form
--           validates and holds the logic; the others delegate to it.
-- Callers : clients (pgmq-js sendBatch, pgflow), weft's dispatcher (hot path).
-- Locks   : ROW EXCLUSIVE on pgmq.q_<t>; the rows are invisible to others until commit.
-- Errors  : P0001 'msgs cannot be NULL or empty' (an empty batch is an error, as in 1.13.0);
--           P0001 'headers array length (H) must match msgs array length (M)';
--           P0001 invalid characters; 42P01 when the queue does not exist.
create or replace function pgmq.send_batch(queue_name text, msgs jsonb[], headers jsonb[], delay timestamp with time zone)
returns setof bigint
language plpgsql
as $$
begin
  perform pgmq._validate_batch_params(msgs, headers);
  return query select * from pgmq._send_batch(queue_name, msgs, headers, delay);
end;
$$;

create or replace function pgmq.send_batch(queue_name text, msgs jsonb[])
returns setof bigint
language sql
as $$
  select * from pgmq.send_batch(queue_name, msgs, null::jsonb[], pg_catalog.clock_timestamp());
$$;

create or replace function pgmq.send_batch(queue_name text, msgs jsonb[], headers jsonb[])
returns setof bigint
language sql
as $$
  select * from pgmq.send_batch(queue_name, msgs, headers, pg_catalog.clock_timestamp());
$$;

create or replace function pgmq.send_batch(queue_name text, msgs jsonb[], delay integer)
returns setof bigint
language sql
as $$
  select * from pgmq.send_batch(queue_name, msgs, null::jsonb[], pg_catalog.clock_timestamp() + pg_catalog.make_interval(secs => delay));
$$;

create or replace function pgmq.send_batch(queue_name text, msgs jsonb[], delay timestamp with time zone)
returns setof bigint
language sql
as $$
  select * from pgmq.send_batch(queue_name, msgs, null::jsonb[], delay);
$$;

create or replace function pgmq.send_batch(queue_name text, msgs jsonb[], headers jsonb[], delay integer)
returns setof bigint
language sql
as $$
  select * from pgmq.send_batch(queue_name, msgs, headers, pg_catalog.clock_timestamp() + pg_catalog.make_interval(secs => delay));
$$;
