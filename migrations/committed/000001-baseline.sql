--! Previous: -
--! Hash: sha1:2ac0a4e547ead406a9afdf969f7f499532420df9
--! Message: baseline

-- The weft schema, compiled from the files under sql/weft (one concern a file, load order by
-- number prefix). `npm run migrations:commit` compiles this file into migrations/committed/.
--! Included weft/all.sql
-- Load order of the weft schema: each file is one concern (see the header of each file).
--! Included weft/001-schema.sql
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
--! EndIncluded weft/001-schema.sql
--! EndIncluded weft/all.sql
