-- pgmq.send_batch_topic(routing_key, msgs [, headers] [, delay]): send a batch to every matching queue.
--
-- Purpose : validates the key and the batch once, then sends the whole batch through
--           pgmq._send_batch to each *distinct* queue bound by a matching pattern, in queue-name
--           order; returns one (queue_name, msg_id) row per message sent — grouped by queue in
--           that order, ids in msgs order within a queue; no rows when nothing matches.
--           The (…, headers jsonb[], delay timestamptz) form holds the logic; the others pass
--           NULL headers and/or clock_timestamp() [+ delay seconds]. A negative integer delay is
--           accepted here (message visible at once), unlike send_topic.
-- Callers : clients.
-- Checks  : validate_routing_key, then pgmq._validate_batch_params(msgs, headers).
-- Locks   : as pgmq._send_batch per queue, queues in name order; all in the caller's transaction.
-- Errors  : the validate_routing_key messages; P0001 `msgs cannot be NULL or empty`;
--           P0001 `headers array length (<h>) must match msgs array length (<m>)`;
--           42P01 if a bound queue's table is gone.
create or replace function pgmq.send_batch_topic(
  routing_key text,
  msgs jsonb[],
  headers jsonb[],
  delay timestamp with time zone
)
returns table (queue_name text, msg_id bigint)
language plpgsql
volatile
as $$
declare
  target record;
begin
  perform pgmq.validate_routing_key(send_batch_topic.routing_key);
  perform pgmq._validate_batch_params(send_batch_topic.msgs, send_batch_topic.headers);

  for target in
    select distinct tb.queue_name
    from pgmq.topic_bindings as tb
    where send_batch_topic.routing_key ~ tb.compiled_regex
    order by tb.queue_name
  loop
    return query
      select target.queue_name, sent.id
      from pgmq._send_batch(
        target.queue_name,
        send_batch_topic.msgs,
        send_batch_topic.headers,
        send_batch_topic.delay
      ) as sent (id);
  end loop;
end;
$$;

-- The wrappers below are SQL functions over the form above (created first: their bodies are
-- checked at creation).
create or replace function pgmq.send_batch_topic(routing_key text, msgs jsonb[])
returns table (queue_name text, msg_id bigint)
language sql
volatile
as $$
  select * from pgmq.send_batch_topic(routing_key, msgs, null::jsonb[], pg_catalog.clock_timestamp());
$$;

create or replace function pgmq.send_batch_topic(routing_key text, msgs jsonb[], headers jsonb[])
returns table (queue_name text, msg_id bigint)
language sql
volatile
as $$
  select * from pgmq.send_batch_topic(routing_key, msgs, headers, pg_catalog.clock_timestamp());
$$;

create or replace function pgmq.send_batch_topic(routing_key text, msgs jsonb[], delay integer)
returns table (queue_name text, msg_id bigint)
language sql
volatile
as $$
  select * from pgmq.send_batch_topic(
    routing_key, msgs, null::jsonb[], pg_catalog.clock_timestamp() + pg_catalog.make_interval(secs => delay));
$$;

create or replace function pgmq.send_batch_topic(
  routing_key text,
  msgs jsonb[],
  delay timestamp with time zone
)
returns table (queue_name text, msg_id bigint)
language sql
volatile
as $$
  select * from pgmq.send_batch_topic(routing_key, msgs, null::jsonb[], delay);
$$;

create or replace function pgmq.send_batch_topic(
  routing_key text,
  msgs jsonb[],
  headers jsonb[],
  delay integer
)
returns table (queue_name text, msg_id bigint)
language sql
volatile
as $$
  select * from pgmq.send_batch_topic(
    routing_key, msgs, headers, pg_catalog.clock_timestamp() + pg_catalog.make_interval(secs => delay));
$$;
