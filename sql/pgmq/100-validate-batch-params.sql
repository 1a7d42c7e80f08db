-- pgmq._validate_batch_params(msgs jsonb[], headers jsonb[]) returns void
--
-- Purpose : the batch rules of send_batch (and part 2's send_batch_topic): at least one message,
--           and when headers are given, exactly one per message.
-- Callers : pgmq.send_batch(text, jsonb[], jsonb[], timestamptz); send_batch_topic.
-- Locks   : none.
-- Errors  : P0001 'msgs cannot be NULL or empty';
--           P0001 'headers array length (H) must match msgs array length (M)' (an empty headers
--           array counts as 0).
create or replace function pgmq._validate_batch_params(msgs jsonb[], headers jsonb[])
returns void
language plpgsql
as $$
begin
  if msgs is null or pg_catalog.array_length(msgs, 1) is null then
    raise exception 'msgs cannot be NULL or empty';
  end if;
  if headers is not null
     and coalesce(pg_catalog.array_length(headers, 1), 0) <> pg_catalog.array_length(msgs, 1) then
    raise exception 'headers array length (%) must match msgs array length (%)',
      coalesce(pg_catalog.array_length(headers, 1), 0), pg_catalog.array_length(msgs, 1);
  end if;
end;
$$;
