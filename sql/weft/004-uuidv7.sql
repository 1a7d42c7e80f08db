-- UUIDv7 generated in SQL (PostgreSQL 15 has no builtin).
--
-- Purpose : time-ordered ids for tasks, steps and transitions (FIFO inside a priority level
--           is UUIDv7 order). 48-bit Unix milliseconds, version 7, 74 random bits.
-- Callers : column defaults of weft tables.
-- Locks   : none.
create function weft.uuid_generate_v7() returns uuid
language sql volatile parallel safe
set search_path = ''
as $$
  select pg_catalog.encode(
    pg_catalog.set_bit(
      pg_catalog.set_bit(
        overlay(
          pg_catalog.uuid_send(pg_catalog.gen_random_uuid())
          placing substring(pg_catalog.int8send((extract(epoch from pg_catalog.clock_timestamp()) * 1000)::bigint) from 3)
          from 1 for 6),
        52, 1),
      53, 1),
    'hex')::uuid
$$;
comment on function weft.uuid_generate_v7() is 'A version-7 (time-ordered) UUID.';
