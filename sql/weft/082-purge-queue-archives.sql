-- weft.purge_queue_archives(older_than interval) → bigint (archived messages deleted)
--
-- Purpose : retention of the PGMQ archive tables (pgmq.a_<queue>) of every weft queue (the
--           namespace queues and the two orchestration queues): archived messages older than
--           `older_than` are deleted. Dead-lettered messages stay in weft.dead_letters.
-- Callers : operators, `weft purge`, schedulers.
-- Errors  : WF001 older_than null or negative.
create function weft.purge_queue_archives(older_than interval) returns bigint
language plpgsql volatile
set search_path = ''
as $$
#variable_conflict use_column
declare
  v_queue text;
  v_n bigint;
  v_total bigint := 0;
begin
  if older_than is null or older_than < interval '0' then
    raise exception 'older_than must be a non-negative interval, got %', coalesce(older_than::text, 'null') using errcode = 'WF001';
  end if;
  for v_queue in
    select n.queue_name from weft.namespaces n
    union all select 'orchestration_task_requests' union all select 'orchestration_step_results'
  loop
    execute pg_catalog.format('delete from pgmq.%I where archived_at < pg_catalog.now() - $1', 'a_' || v_queue) using older_than;
    get diagnostics v_n = row_count;
    v_total := v_total + v_n;
  end loop;
  return v_total;
end
$$;
