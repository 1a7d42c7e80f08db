-- Table pgmq.topic_bindings: routing-key patterns bound to queues (topic exchange).
--
-- Purpose : one row per (pattern, queue); compiled_regex is the pattern turned into an anchored
--           POSIX regex once, at write time (STORED generated column): regex metacharacters
--           escaped, `*` -> `[^.]+` (exactly one segment), `#` -> `.*` (anything, so `logs.#`
--           needs at least `logs.` and `#` alone matches every key).
-- Callers : bind_topic / unbind_topic (write); test_routing, list_topic_bindings, send_topic,
--           send_batch_topic (read, `routing_key ~ compiled_regex`).
-- Locks   : DDL only at install.
-- Errors  : 23505 is never seen by callers (bind_topic uses ON CONFLICT DO NOTHING); FK to
--           pgmq.meta, so drop_queue's DELETE on pgmq.meta removes the queue's bindings.
-- Layout  : columns, expression, constraint and index names exactly as pgmq 1.13.0.
create table if not exists pgmq.topic_bindings (
  pattern text not null,
  queue_name text not null,
  bound_at timestamp with time zone not null default now(),
  compiled_regex text generated always as (
    '^'
    || pg_catalog.replace(
         pg_catalog.replace(
           pg_catalog.regexp_replace(pattern, '([.+?{}()|\[\]\\^$])', '\\\1', 'g'),
           '*', '[^.]+'),
         '#', '.*')
    || '$'
  ) stored
);

-- Constraints are added only when missing, so re-applying the script is a no-op.
do $$
begin
  if not exists (
    select 1 from pg_catalog.pg_constraint
    where conrelid = 'pgmq.topic_bindings'::regclass
      and conname = 'topic_bindings_unique_pattern_queue'
  ) then
    alter table pgmq.topic_bindings
      add constraint topic_bindings_unique_pattern_queue unique (pattern, queue_name);
  end if;
  if not exists (
    select 1 from pg_catalog.pg_constraint
    where conrelid = 'pgmq.topic_bindings'::regclass
      and conname = 'topic_bindings_meta_queue_name_fk'
  ) then
    alter table pgmq.topic_bindings
      add constraint topic_bindings_meta_queue_name_fk
      foreign key (queue_name) references pgmq.meta (queue_name) on delete cascade;
  end if;
end
$$;

create index if not exists idx_topic_bindings_covering
  on pgmq.topic_bindings (pattern) include (queue_name, compiled_regex);

-- Readable by monitoring roles, like every pgmq table (idempotent).
grant select on pgmq.topic_bindings to pg_monitor;
