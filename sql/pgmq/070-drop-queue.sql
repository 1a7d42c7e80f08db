-- pgmq.drop_queue(queue_name text) returns boolean
-- pgmq.drop_queue(queue_name text, partitioned boolean) returns boolean   (deprecated)
--
-- Purpose : drops a queue: tables pgmq.q_<t> and pgmq.a_<t>, the meta row (whose deletion
--           cascades to part 2's notify_insert_throttle and topic_bindings rows) and, for a
--           partitioned queue, its pg_partman configuration. Returns true.
--           A queue whose message table does not exist: NOTICE 'pgmq queue `<name>` does not
--           exist' and false.
--           The meta row is matched on the name exactly as given, like pgmq 1.13.0: dropping
--           'CaseQ' as 'caseq' drops its tables but leaves the meta row spelled 'CaseQ'.
--           The 2-argument form is deprecated: WARNING, then the 1-argument form, then true
--           whatever that returned.
-- Callers : clients (pgmq-js deleteQueue, pgflow), weft when a namespace is removed.
-- Locks   : advisory xact lock on the queue name (acquire_queue_lock); ACCESS EXCLUSIVE on
--           the dropped tables.
-- Errors  : P0001 invalid characters. No length check (as upstream).
create or replace function pgmq.drop_queue(queue_name text)
returns boolean
language plpgsql
as $$
declare
  qtable text := pgmq.format_table_name(queue_name, 'q');
  atable text := pgmq.format_table_name(queue_name, 'a');
  partitioned boolean;
begin
  perform pgmq.acquire_queue_lock(queue_name);

  select m.is_partitioned into partitioned
  from pgmq.meta m
  where m.queue_name = drop_queue.queue_name;

  if not exists (
    select 1
    from pg_catalog.pg_class c
    join pg_catalog.pg_namespace n on n.oid = c.relnamespace
    where n.nspname = 'pgmq' and c.relname = qtable and c.relkind in ('r', 'p')
  ) then
    raise notice 'pgmq queue `%` does not exist', queue_name;
    return false;
  end if;

  execute pg_catalog.format('drop table if exists pgmq.%I', qtable);
  execute pg_catalog.format('drop table if exists pgmq.%I', atable);

  delete from pgmq.meta m where m.queue_name = drop_queue.queue_name;

  if partitioned and pgmq._get_pg_partman_schema() is not null then
    execute pg_catalog.format(
      'delete from %I.part_config where parent_table in (%L, %L)',
      pgmq._get_pg_partman_schema(), 'pgmq.' || qtable, 'pgmq.' || atable
    );
  end if;

  return true;
end;
$$;

create or replace function pgmq.drop_queue(queue_name text, partitioned boolean)
returns boolean
language plpgsql
as $$
begin
  raise warning 'drop_queue(queue_name, partitioned) is deprecated and will be removed in PGMQ v2.0. Use drop_queue(queue_name) instead';
  perform pgmq.drop_queue(queue_name);
  return true;
end;
$$;
