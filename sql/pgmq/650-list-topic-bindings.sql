-- pgmq.list_topic_bindings() and pgmq.list_topic_bindings(queue_name): the topic bindings.
--
-- Purpose : all bindings, newest first (bound_at desc, then pattern, then queue name); or the
--           bindings of one queue (exact spelling), newest first, then by pattern.
-- Callers : clients, operators.
-- Locks   : none (plain read). STABLE.
-- Errors  : none (an unknown queue gives an empty result).
create or replace function pgmq.list_topic_bindings()
returns table (
  pattern text,
  queue_name text,
  bound_at timestamp with time zone,
  compiled_regex text
)
language sql
stable
as $$
  select tb.pattern, tb.queue_name, tb.bound_at, tb.compiled_regex
  from pgmq.topic_bindings as tb
  order by tb.bound_at desc, tb.pattern, tb.queue_name;
$$;

create or replace function pgmq.list_topic_bindings(queue_name text)
returns table (
  pattern text,
  queue_name text,
  bound_at timestamp with time zone,
  compiled_regex text
)
language sql
stable
as $$
  select tb.pattern, tb.queue_name, tb.bound_at, tb.compiled_regex
  from pgmq.topic_bindings as tb
  where tb.queue_name = list_topic_bindings.queue_name
  order by tb.bound_at desc, tb.pattern;
$$;
