-- UUIDv7 generated in SQL (PostgreSQL 15 has no builtin).
--
-- Purpose : time-ordered ids for tasks, steps and transitions (FIFO inside a priority level
--           is UUIDv7 order; the transitions of one task are read in transition_id order).
--           48-bit Unix milliseconds, version 7, then 12 bits of sub-millisecond time (RFC 9562
--           method 3, as PostgreSQL 18's uuidv7()), variant, 62 random bits. The sub-millisecond
--           bits keep ids made one after another inside one millisecond — several transitions
--           of one transaction — in the order they were made.
-- Callers : column defaults of weft tables.
-- Locks   : none.
create function weft.uuid_generate_v7() returns uuid
language plpgsql volatile parallel safe
set search_path = ''
as $$
declare
  -- µs since the epoch
  v_us bigint := (extract(epoch from pg_catalog.clock_timestamp()) * 1000000)::bigint;
begin
  -- bytes 1-6: ms since the epoch; bytes 7-8: version nibble 7 (0x7000 = 28672) + µs * 4096 / 1000;
  -- bytes 9-16 of gen_random_uuid() keep the RFC 4122 variant and the random bits.
  -- (PL/pgSQL, not SQL: a SQL function with a SET clause is planned again at every statement
  -- that calls it — as a column default, at every INSERT — while PL/pgSQL keeps its plan.)
  return pg_catalog.encode(
    overlay(pg_catalog.uuid_send(pg_catalog.gen_random_uuid())
      placing pg_catalog.int8send(((v_us / 1000) << 16) | 28672 | ((v_us % 1000) * 4096 / 1000))
      from 1 for 8),
    'hex')::uuid;
end
$$;
comment on function weft.uuid_generate_v7() is 'A version-7 (time-ordered) UUID with sub-millisecond ordering.';
