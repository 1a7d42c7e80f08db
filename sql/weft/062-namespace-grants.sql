-- Per-namespace worker rights: which role may work on which namespace.
--
-- A row means: members of role_name (directly, or through roles they inherit) may read and
-- acknowledge the namespace's queue (the table privileges weft.grant_namespace gave) and report
-- its steps (weft._assert_namespace_access, called by the fencing check of every report).
-- Written only by weft.grant_namespace / weft.revoke_namespace; a dropped role's rows stay
-- (harmless: the checks join pg_roles) until revoke_namespace or the namespace goes.
create table weft.namespace_grants (
  role_name text not null constraint namespace_grants_role_name_length check (pg_catalog.length(role_name) between 1 and 63),
  namespace text not null references weft.namespaces (name) on delete cascade,
  granted_by text not null,
  granted_at timestamptz not null default now(),
  primary key (role_name, namespace)
);
comment on table weft.namespace_grants is 'Roles allowed to work on a namespace (its queue and its steps); see weft.grant_namespace.';
create index namespace_grants_namespace_idx on weft.namespace_grants (namespace);
