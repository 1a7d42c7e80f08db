-- pgmq.bind_topic(pattern, queue_name): route messages whose routing key matches pattern to a queue.
--
-- Purpose : validates the pattern, checks the queue is in pgmq.meta (exact spelling), inserts
--           the binding. Idempotent: binding the same (pattern, queue) again changes nothing
--           (bound_at keeps its first value).
-- Callers : clients.
-- Checks  : in this order — validate_topic_pattern, queue_name NULL/empty, queue in pgmq.meta.
-- Locks   : row lock on the pgmq.meta row (FK check) until commit.
-- Errors  : the validate_topic_pattern messages; P0001 `queue_name cannot be NULL or empty`;
--           P0001 `Queue "<name>" does not exist. Create the queue first using pgmq.create()`.
create or replace function pgmq.bind_topic(pattern text, queue_name text)
returns void
language plpgsql
as $$
begin
  perform pgmq.validate_topic_pattern(bind_topic.pattern);

  if bind_topic.queue_name is null or bind_topic.queue_name = '' then
    raise exception 'queue_name cannot be NULL or empty';
  end if;

  if not exists (
    select 1 from pgmq.meta as m where m.queue_name = bind_topic.queue_name
  ) then
    raise exception 'Queue "%" does not exist. Create the queue first using pgmq.create()',
      bind_topic.queue_name;
  end if;

  insert into pgmq.topic_bindings (pattern, queue_name)
  values (bind_topic.pattern, bind_topic.queue_name)
  on conflict on constraint topic_bindings_unique_pattern_queue do nothing;
end;
$$;
