-- pgmq.unbind_topic(pattern, queue_name): remove one binding; true iff it existed.
--
-- Purpose : deletes the (pattern, queue_name) binding. The pattern is not validated beyond
--           NULL/empty: an invalid pattern simply matches no binding and returns false.
-- Callers : clients.
-- Checks  : pattern NULL/empty, then queue_name NULL/empty.
-- Locks   : row lock on the deleted binding until commit.
-- Errors  : P0001 `pattern cannot be NULL or empty`; P0001 `queue_name cannot be NULL or empty`.
create or replace function pgmq.unbind_topic(pattern text, queue_name text)
returns boolean
language plpgsql
as $$
declare
  removed integer;
begin
  if unbind_topic.pattern is null or unbind_topic.pattern = '' then
    raise exception 'pattern cannot be NULL or empty';
  end if;

  if unbind_topic.queue_name is null or unbind_topic.queue_name = '' then
    raise exception 'queue_name cannot be NULL or empty';
  end if;

  delete from pgmq.topic_bindings as tb
  where tb.pattern = unbind_topic.pattern
    and tb.queue_name = unbind_topic.queue_name;

  get diagnostics removed = row_count;
  return removed > 0;
end;
$$;
