-- pgmq.test_routing(routing_key): which bindings a routing key would match (dry run).
--
-- Purpose : validates the key, then returns every binding whose compiled_regex matches it,
--           ordered by pattern (then queue name, to make ties deterministic). Sends nothing.
--           One row per binding, so a queue bound by two matching patterns appears twice
--           (send_topic delivers to it once).
-- Callers : clients, operators.
-- Locks   : none (plain read). STABLE.
-- Errors  : the validate_routing_key messages.
create or replace function pgmq.test_routing(routing_key text)
returns table (
  pattern text,
  queue_name text,
  compiled_regex text
)
language plpgsql
stable
as $$
begin
  perform pgmq.validate_routing_key(test_routing.routing_key);

  return query
    select tb.pattern, tb.queue_name, tb.compiled_regex
    from pgmq.topic_bindings as tb
    where test_routing.routing_key ~ tb.compiled_regex
    order by tb.pattern, tb.queue_name;
end;
$$;
