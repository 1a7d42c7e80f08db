-- Composite types pgmq.message_record, pgmq.queue_record, pgmq.metrics_result.
--
-- Purpose : the row shapes returned by the read/claim functions, list_queues and metrics.
--           Attribute order is a contract: pgmq-go scans message_record positionally and
--           pgmq-js parses queue_record from its text form.
-- Callers : result types of pgmq.read*, pop, set_vt, list_queues, metrics, metrics_all.
-- Locks   : none beyond DDL.
-- Errors  : none; each type is created only when missing (CREATE TYPE has no IF NOT EXISTS).
do $$
begin
  if pg_catalog.to_regtype('pgmq.message_record') is null then
    create type pgmq.message_record as (
      msg_id bigint,
      read_ct integer,
      enqueued_at timestamp with time zone,
      last_read_at timestamp with time zone,
      vt timestamp with time zone,
      message jsonb,
      headers jsonb
    );
  end if;

  if pg_catalog.to_regtype('pgmq.queue_record') is null then
    create type pgmq.queue_record as (
      queue_name character varying,
      is_partitioned boolean,
      is_unlogged boolean,
      created_at timestamp with time zone
    );
  end if;

  if pg_catalog.to_regtype('pgmq.metrics_result') is null then
    create type pgmq.metrics_result as (
      queue_name text,
      queue_length bigint,
      newest_msg_age_sec integer,
      oldest_msg_age_sec integer,
      total_messages bigint,
      scrape_time timestamp with time zone,
      queue_visible_length bigint,
      default_partition_length bigint
    );
  end if;
end
$$;
