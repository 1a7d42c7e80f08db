-- pgmq.read(queue_name text, vt integer, qty integer, conditional jsonb default '{}')
--   returns setof pgmq.message_record
--
-- Purpose : claims up to qty visible messages (vt <= clock_timestamp()), lowest msg_id first,
--           and hides them for vt seconds: vt = clock + vt s, read_ct + 1, last_read_at =
--           clock. With conditional <> '{}', only messages whose body contains it (@>).
--           qty 0 claims nothing; qty NULL means no limit; a negative vt leaves the messages
--           visible (read_ct still counts the read).
-- Callers : every PGMQ client; pgmq.read_with_poll; weft workers (hot path, once per poll).
-- Locks   : FOR UPDATE SKIP LOCKED on the claimed rows of pgmq.q_<t> until commit: concurrent
--           readers never get the same message and never wait for each other; a row claimed by
--           an uncommitted transaction is skipped, and readable again if that one rolls back.
-- Errors  : P0001 invalid characters; 42P01 when the queue does not exist.
-- Why one statement: the select-for-update and the update share one snapshot and one plan; the
-- claimed ids never leave the server. Values travel as parameters (USING), so the one-shot plan
-- folds "conditional = '{}'" away when no condition is given.
create or replace function pgmq.read(queue_name text, vt integer, qty integer, conditional jsonb default '{}')
returns setof pgmq.message_record
language plpgsql
as $$
declare
  qtable text := pgmq.format_table_name(queue_name, 'q');
begin
  return query execute pg_catalog.format(
    $q$
    update pgmq.%1$I m
    set vt = pg_catalog.clock_timestamp() + pg_catalog.make_interval(secs => $2),
        read_ct = m.read_ct + 1,
        last_read_at = pg_catalog.clock_timestamp()
    from (
      select c.msg_id
      from pgmq.%1$I c
      where c.vt <= pg_catalog.clock_timestamp()
        and case when $3 <> '{}'::jsonb then c.message @> $3 else true end
      order by c.msg_id
      limit $1
      for update skip locked
    ) claimed
    where m.msg_id = claimed.msg_id
    returning m.msg_id, m.read_ct, m.enqueued_at, m.last_read_at, m.vt, m.message, m.headers
    $q$,
    qtable
  ) using qty, vt, conditional;
end;
$$;
