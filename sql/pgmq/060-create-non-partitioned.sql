-- pgmq.create_non_partitioned(queue_name text) returns void
--
-- Purpose : creates a queue: table pgmq.q_<t> (messages; msg_id identity, ALWAYS), table
--           pgmq.a_<t> (archive), index q_<t>_vt_idx, index archived_at_idx_<name as given>, and
--           the meta row (queue_name as given, not partitioned, logged). <t> = lower(name).
--           Idempotent: creating an existing queue succeeds, with the server's NOTICE
--           'relation "…" already exists, skipping' for each of the four objects.
-- Callers : pgmq.create; clients.
-- Guards  : 1. name characters (format_table_name, in DECLARE, so first);
--           2. name length (validate_queue_name), before the lock;
--           3. per-queue advisory lock (acquire_queue_lock), so two sessions creating the same
--              queue do not race on the catalog.
-- Locks   : advisory xact lock on the queue name; DDL locks on the new tables.
-- Errors  : P0001 invalid characters / name too long.
create or replace function pgmq.create_non_partitioned(queue_name text)
returns void
language plpgsql
as $$
declare
  qtable text := pgmq.format_table_name(queue_name, 'q');
  atable text := pgmq.format_table_name(queue_name, 'a');
begin
  perform pgmq.validate_queue_name(queue_name);
  perform pgmq.acquire_queue_lock(queue_name);

  execute pg_catalog.format(
    $ddl$
    create table if not exists pgmq.%I (
      msg_id bigint primary key generated always as identity,
      read_ct integer not null default 0,
      enqueued_at timestamp with time zone not null default now(),
      last_read_at timestamp with time zone,
      vt timestamp with time zone not null,
      message jsonb,
      headers jsonb
    )
    $ddl$,
    qtable
  );

  execute pg_catalog.format(
    $ddl$
    create table if not exists pgmq.%I (
      msg_id bigint primary key,
      read_ct integer not null default 0,
      enqueued_at timestamp with time zone not null default now(),
      last_read_at timestamp with time zone,
      archived_at timestamp with time zone not null default now(),
      vt timestamp with time zone not null,
      message jsonb,
      headers jsonb
    )
    $ddl$,
    atable
  );

  execute pg_catalog.format('create index if not exists %I on pgmq.%I (vt)', qtable || '_vt_idx', qtable);
  execute pg_catalog.format('create index if not exists %I on pgmq.%I (archived_at)', 'archived_at_idx_' || queue_name, atable);

  insert into pgmq.meta (queue_name, is_partitioned, is_unlogged)
  values (create_non_partitioned.queue_name, false, false)
  on conflict do nothing;
end;
$$;
