-- Workflow templates as data: workflows (namespace + name + version, immutable), their steps
-- and their edges. Written only by weft.register_workflow, read by any language.
create table weft.workflows (
  workflow_id uuid primary key default weft.uuid_generate_v7(),
  namespace text not null references weft.namespaces (name),
  name text not null constraint workflows_name_format check (name ~ '^[A-Za-z][A-Za-z0-9_.-]{0,127}$'),
  version text not null constraint workflows_version_format check (version ~ '^[0-9A-Za-z][0-9A-Za-z.+_-]{0,63}$'),
  description text,
  definition jsonb not null,
  content_hash text not null,
  created_at timestamptz not null default now(),
  constraint workflows_namespace_name_version_key unique (namespace, name, version)
);
comment on table weft.workflows is 'Workflow templates; a version is immutable (content_hash of its normalized definition).';
create index workflows_latest_idx on weft.workflows (namespace, name, created_at desc);

create table weft.workflow_steps (
  workflow_id uuid not null references weft.workflows (workflow_id) on delete cascade,
  name text not null,
  position integer not null,
  handler text not null,
  args jsonb not null default '{}',
  retry jsonb not null,
  timeout_ms integer,
  heartbeat_ms integer,
  compensate text,
  primary key (workflow_id, name)
);
comment on table weft.workflow_steps is 'Steps of a workflow template, with handler, static args, normalized retry policy, timeout and compensation handler.';

create table weft.workflow_edges (
  workflow_id uuid not null references weft.workflows (workflow_id) on delete cascade,
  parent text not null,
  child text not null,
  primary key (workflow_id, child, parent),
  foreign key (workflow_id, parent) references weft.workflow_steps (workflow_id, name),
  foreign key (workflow_id, child) references weft.workflow_steps (workflow_id, name)
);
create index workflow_edges_parent_idx on weft.workflow_edges (workflow_id, parent);
comment on table weft.workflow_edges is 'Dependencies: child runs after parent completes.';
