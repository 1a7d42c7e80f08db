-- Privileges of pg_monitor on the tables and sequences that exist now.
--
-- Purpose : pgmq 1.13.0 lets pg_monitor read everything in schema pgmq. Tables created after
--           this point (q_/a_ tables made by pgmq.create, part 2's tables) get SELECT through the
--           default privileges of 000-schema.sql; this covers what already exists (a re-applied
--           script, or tables made by another role before the default privileges were set).
-- Callers : the installer (sql/pgmq/*.sql in name order, one transaction).
-- Locks   : none beyond GRANT.
-- Errors  : none expected; idempotent.
grant select on all tables in schema pgmq to pg_monitor;
grant select on all sequences in schema pgmq to pg_monitor;
