-- pgmq.metrics_all() returns setof pgmq.metrics_result
--
-- Purpose : pgmq.metrics for every queue in pgmq.meta (queue_name spelled as in meta).
-- Callers : clients (pgmq-js getAllMetrics), weft's metrics exporter.
-- Locks   : none (plain reads).
-- Errors  : 42P01 when a meta row has no message table.
create or replace function pgmq.metrics_all()
returns setof pgmq.metrics_result
language plpgsql
as $$
declare
  q record;
begin
  for q in select m.queue_name from pgmq.meta m loop
    return next pgmq.metrics(q.queue_name);
  end loop;
end;
$$;
