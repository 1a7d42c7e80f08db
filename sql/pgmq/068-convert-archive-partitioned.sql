-- pgmq.convert_archive_partitioned(table_name text, partition_interval text default '10000',
--                                  retention_interval text default '100000',
--                                  leading_partition integer default 10)
--   returns void
--
-- Purpose : turns the archive table pgmq.a_<t> of queue table_name (a queue name, despite the
--           parameter's name) into a pg_partman-managed table partitioned by msg_id. The old
--           table is kept, renamed a_<t>_old (its rows are not copied), its indexes renamed
--           with an _old suffix. NOTICE and return when a_<t> is already partitioned or does
--           not exist.
-- Callers : operators (one-off maintenance).
-- Locks   : ACCESS EXCLUSIVE on a_<t> (rename); pg_partman's own.
-- Errors  : P0001 invalid characters; P0001 'pg_partman is required for partitioned queues'
--           (checked after the NOTICE cases, before anything is renamed); pg_partman's errors.
create or replace function pgmq.convert_archive_partitioned(
  table_name text,
  partition_interval text default '10000',
  retention_interval text default '100000',
  leading_partition integer default 10
)
returns void
language plpgsql
as $$
declare
  atable text := pgmq.format_table_name(table_name, 'a');
  atable_old text := pgmq.format_table_name(table_name, 'a') || '_old';
  archive_index text := 'archived_at_idx_' || table_name;
  kind "char";
  partman_schema text;
begin
  select c.relkind into kind
  from pg_catalog.pg_class c
  join pg_catalog.pg_namespace n on n.oid = c.relnamespace
  where n.nspname = 'pgmq' and c.relname = atable;

  if kind = 'p' then
    raise notice 'Table pgmq.% is already partitioned', atable;
    return;
  end if;
  if kind is distinct from 'r' then
    raise notice 'Table pgmq.% does not exist', atable;
    return;
  end if;

  perform pgmq._ensure_pg_partman_installed();
  partman_schema := pgmq._get_pg_partman_schema();

  execute pg_catalog.format('alter table pgmq.%I rename to %I', atable, atable_old);
  execute pg_catalog.format('alter index if exists pgmq.%I rename to %I', atable || '_pkey', atable_old || '_pkey');
  execute pg_catalog.format('alter index if exists pgmq.%I rename to %I', archive_index, archive_index || '_old');

  execute pg_catalog.format(
    'create table pgmq.%I (like pgmq.%I including defaults including constraints) partition by range (msg_id)',
    atable, atable_old
  );
  execute pg_catalog.format('alter table pgmq.%I add constraint %I primary key (msg_id)', atable, atable || '_pkey');
  execute pg_catalog.format('create index %I on pgmq.%I (archived_at)', archive_index, atable);

  execute pg_catalog.format(
    'select %I.create_parent(p_parent_table := %L, p_control := %L, p_interval := %L, p_type := %L, p_premake := %L)',
    partman_schema, 'pgmq.' || atable, 'msg_id', partition_interval,
    case when pgmq._get_pg_partman_major_version() >= 5 then 'range' else 'native' end,
    leading_partition
  );
  execute pg_catalog.format(
    $upd$
    update %I.part_config
    set retention = %L, retention_keep_table = false, retention_keep_index = false, infinite_time_partitions = true
    where parent_table = %L
    $upd$,
    partman_schema, retention_interval, 'pgmq.' || atable
  );
end;
$$;
