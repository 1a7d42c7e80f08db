-- Schema `weft` and the record of what is installed.
--
-- Purpose : creates schema weft and weft.installation (key/value: schema_version,
--           queue_backend, migrated_at), written by `weft migrate` after each run.
-- Callers : graphile-migrate (baseline migration); read by `weft doctor`, DBAs.
-- Locks   : none beyond DDL.
create schema if not exists weft;
comment on schema weft is 'weft workflow engine: workflows, tasks, steps, claims, transitions';

create table weft.installation (
  key text primary key,
  value text not null
);
comment on table weft.installation is 'What weft migrate installed: schema_version, queue_backend, migrated_at.';
