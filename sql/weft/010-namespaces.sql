-- Namespaces: groups of workflows and the unit of worker routing. Each has one PGMQ queue
-- named like the namespace, created with the namespace's first workflow.
--
-- Callers : weft._ensure_namespace (from weft.register_workflow); workers read queue_name.
create table weft.namespaces (
  name text primary key
    constraint namespaces_name_format check (name ~ '^[a-z][a-z0-9_]{0,46}$'),
  queue_name text not null unique,
  created_at timestamptz not null default now()
);
comment on table weft.namespaces is 'Namespaces; queue_name is the PGMQ queue workers read for its steps.';
