-- pgmq.send_topic(routing_key, msg [, headers], delay): send one message to every matching queue.
--
-- Purpose : validates the key, then sends one copy of msg (with headers, delayed by delay
--           seconds) through pgmq.send to each *distinct* queue bound by a matching pattern, in
--           queue-name order; returns the number of queues (0 when nothing matches — the message
--           is then dropped, like an exchange without a bound queue).
--           Overloads: (routing_key, msg) = (…, NULL, 0); (routing_key, msg, delay) =
--           (…, NULL, delay); (routing_key, msg, headers, delay) holds the logic.
-- Callers : clients.
-- Checks  : in this order — validate_routing_key, msg NOT NULL, delay >= 0 (unlike pgmq.send,
--           which accepts a negative delay).
-- Locks   : whatever pgmq.send takes per queue (row insert; the notify trigger's throttle row);
--           queues are visited in name order so two concurrent send_topic calls lock in the
--           same order. All sends are in the caller's transaction: any failure undoes them all.
-- Errors  : the validate_routing_key messages; P0001 `msg cannot be NULL`;
--           P0001 `delay cannot be negative, got: <n>`; 42P01 if a bound queue's table is gone.
create or replace function pgmq.send_topic(routing_key text, msg jsonb, headers jsonb, delay integer)
returns integer
language plpgsql
volatile
as $$
declare
  target record;
  delivered integer := 0;
begin
  perform pgmq.validate_routing_key(send_topic.routing_key);

  if send_topic.msg is null then
    raise exception 'msg cannot be NULL';
  end if;

  if send_topic.delay < 0 then
    raise exception 'delay cannot be negative, got: %', send_topic.delay;
  end if;

  -- One message per queue even when several of its patterns match.
  for target in
    select distinct tb.queue_name
    from pgmq.topic_bindings as tb
    where send_topic.routing_key ~ tb.compiled_regex
    order by tb.queue_name
  loop
    perform pgmq.send(target.queue_name, send_topic.msg, send_topic.headers, send_topic.delay);
    delivered := delivered + 1;
  end loop;

  return delivered;
end;
$$;

create or replace function pgmq.send_topic(routing_key text, msg jsonb)
returns integer
language plpgsql
volatile
as $$
begin
  return pgmq.send_topic(send_topic.routing_key, send_topic.msg, null::jsonb, 0);
end;
$$;

create or replace function pgmq.send_topic(routing_key text, msg jsonb, delay integer)
returns integer
language plpgsql
volatile
as $$
begin
  return pgmq.send_topic(send_topic.routing_key, send_topic.msg, null::jsonb, send_topic.delay);
end;
$$;
