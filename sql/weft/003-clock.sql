-- The engine's clock: every timer, backoff, deadline and expiry reads weft.now().
--
-- Purpose : one function for "now" that tests can shift (weft.clock.offset) so that backoff,
--           timeouts, delayed starts and claim expiry are tested without sleeping.
-- Callers : every weft function that compares or stores a time; tests (weft.shift_clock).
-- Locks   : none (reads one single-row table).
create table weft.clock (
  id boolean primary key default true check (id),
  offset_interval interval not null default interval '0'
);
comment on table weft.clock is 'Offset added to clock_timestamp() by weft.now(); zero in production, shifted by tests.';
insert into weft.clock (id) values (true);

-- PL/pgSQL, not SQL: a SQL function with a SET clause cannot be inlined and is planned on every
-- call; PL/pgSQL keeps its plan, and weft.now() is on the hot path of every state change.
create function weft.now() returns timestamptz
language plpgsql stable
set search_path = ''
as $$
begin
  return pg_catalog.clock_timestamp() + coalesce((select c.offset_interval from weft.clock c where c.id), interval '0');
end
$$;
comment on function weft.now() is 'The engine clock: clock_timestamp() plus the test offset in weft.clock.';

-- weft.shift_clock(by interval) → the new offset. For tests and drills only.
create function weft.shift_clock(by_interval interval) returns interval
language plpgsql volatile
set search_path = ''
as $$
#variable_conflict use_column
declare
  v_offset interval;
begin
  if by_interval is null then
    raise exception 'by_interval must not be null' using errcode = 'WF001';
  end if;
  update weft.clock set offset_interval = offset_interval + by_interval where id returning offset_interval into v_offset;
  return v_offset;
end
$$;
