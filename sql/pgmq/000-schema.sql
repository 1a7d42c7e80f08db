-- Schema pgmq: weft's PGMQ-compatible schema (reproduces pgmq 1.13.0), used where the server
-- offers no pgmq extension.
--
-- Purpose : creates schema pgmq and the monitoring privileges of pgmq 1.13.0: pg_monitor may
--           use the schema and read every table and sequence in it, including the q_/a_ tables
--           created later by pgmq.create (through the default privileges below).
-- Callers : the installer (src/db/pgmq-backend.ts) runs every sql/pgmq file, sorted by name, in
--           one transaction; by hand: `cat sql/pgmq/*.sql | psql`.
-- Locks   : none beyond DDL.
-- Errors  : none expected; every statement is idempotent (the whole script is re-applied on
--           upgrade).
create schema if not exists pgmq;

grant usage on schema pgmq to pg_monitor;
alter default privileges in schema pgmq grant select on tables to pg_monitor;
alter default privileges in schema pgmq grant select on sequences to pg_monitor;
