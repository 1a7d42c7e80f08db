-- pgmq.create_unlogged(queue_name text) returns void
--
-- Purpose : like pgmq.create_non_partitioned, but the message table pgmq.q_<t> is UNLOGGED
--           (faster, emptied after a crash); the archive table stays logged; meta records
--           is_unlogged = true. Idempotent, with the same NOTICEs. Creating an existing queue
--           leaves it as it is (a logged queue stays logged).
-- Callers : clients (pgmq-js createUnlogged).
-- Guards  : characters, length, advisory lock (see create_non_partitioned).
-- Locks   : advisory xact lock on the queue name; DDL locks on the new tables.
-- Errors  : P0001 invalid characters / name too long.
create or replace function pgmq.create_unlogged(queue_name text)
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
    create unlogged table if not exists pgmq.%I (
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
  values (create_unlogged.queue_name, false, true)
  on conflict do nothing;
end;
$$;
