-- pgmq.metrics(queue_name text) returns pgmq.metrics_result
--
-- Purpose : one queue's numbers, at transaction time now():
--             queue_name               the argument as given
--             queue_length             rows in pgmq.q_<t>
--             newest/oldest_msg_age_sec  now() - max/min(enqueued_at), whole seconds (NULL when
--                                      empty)
--             total_messages           last value of sequence pgmq.q_<t>_msg_id_seq (0 before the
--                                      first send): survives deletes and purge, counts rolled-back
--                                      sends
--             scrape_time              now()
--             queue_visible_length     rows with vt <= now()
--             default_partition_length NULL unless pgmq.q_<t>_default exists (a partitioned
--                                      queue's default partition): then the estimated rows
--                                      (reltuples) of q_<t>_default + a_<t>_default
-- Callers : clients (pgmq-js getMetrics), pgmq.metrics_all, weft's metrics exporter.
-- Locks   : none (plain reads; ACCESS SHARE).
-- Errors  : P0001 invalid characters; 42P01 when the queue does not exist.
create or replace function pgmq.metrics(queue_name text)
returns pgmq.metrics_result
language plpgsql
as $$
declare
  qtable text := pgmq.format_table_name(queue_name, 'q');
  atable text := pgmq.format_table_name(queue_name, 'a');
  result pgmq.metrics_result;
  default_length bigint;
begin
  if pg_catalog.to_regclass(pg_catalog.format('pgmq.%I', qtable || '_default')) is not null then
    select pg_catalog.sum(greatest(c.reltuples, 0))::bigint into default_length
    from pg_catalog.pg_class c
    join pg_catalog.pg_namespace n on n.oid = c.relnamespace
    where n.nspname = 'pgmq' and c.relname in (qtable || '_default', atable || '_default');
  end if;

  execute pg_catalog.format(
    $q$
    select
      $1::text,
      s.queue_length,
      s.newest_msg_age_sec,
      s.oldest_msg_age_sec,
      (select case when seq.is_called then seq.last_value else 0 end from pgmq.%2$I seq),
      s.scrape_time,
      s.queue_visible_length,
      $2::bigint
    from (
      select
        pg_catalog.count(*) as queue_length,
        pg_catalog.count(*) filter (where q.vt <= pg_catalog.now()) as queue_visible_length,
        extract(epoch from pg_catalog.now() - pg_catalog.max(q.enqueued_at))::integer as newest_msg_age_sec,
        extract(epoch from pg_catalog.now() - pg_catalog.min(q.enqueued_at))::integer as oldest_msg_age_sec,
        pg_catalog.now() as scrape_time
      from pgmq.%1$I q
    ) s
    $q$,
    qtable, qtable || '_msg_id_seq'
  ) into result using queue_name, default_length;
  return result;
end;
$$;
