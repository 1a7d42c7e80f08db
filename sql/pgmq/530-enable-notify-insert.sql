-- pgmq.enable_notify_insert(queue_name, throttle_interval_ms = 250): NOTIFY listeners on insert.
--
-- Purpose : after this, every committed insert into pgmq.q_<t> sends NOTIFY on channel
--           `pgmq.q_<t>.INSERT` (NULL payload), at most once per throttle_interval_ms
--           (0 = on every insert). Re-enabling replaces the trigger and resets the throttle
--           (interval set, last_notified_at back to epoch).
-- Callers : clients (LISTEN-based consumers).
-- Checks  : in this order — queue name characters (format_table_name, at declaration),
--           throttle_interval_ms >= 0, the q-table exists in schema pgmq.
-- Locks   : DROP/CREATE TRIGGER take ACCESS EXCLUSIVE on pgmq.q_<t> until commit.
-- Errors  : P0001 `throttle_interval_ms must be non-negative`;
--           P0001 `Queue "<name>" does not exist. Create it first using pgmq.create()`;
--           23503 when the name is spelled differently from pgmq.meta (the table lookup is
--           case-insensitive, the throttle row's FK is not) — the same as pgmq 1.13.0.
-- Quirk   : pgmq 1.13.0's trigger finds the throttle row by the lower-cased table name, so a
--           queue whose meta name has upper-case letters never notifies (fixed upstream in
--           1.13.1); reproduced on purpose, see notify_queue_listeners.
create or replace function pgmq.enable_notify_insert(
  queue_name text,
  throttle_interval_ms integer default 250
)
returns void
language plpgsql
as $$
declare
  q_table text := pgmq.format_table_name(queue_name, 'q');
begin
  if enable_notify_insert.throttle_interval_ms < 0 then
    raise exception 'throttle_interval_ms must be non-negative';
  end if;

  -- The q-table, not pgmq.meta, decides whether the queue exists (as upstream); the lookup goes
  -- through information_schema so it sees only tables the caller has some privilege on.
  if not exists (
    select 1
    from information_schema.tables as t
    where t.table_schema = 'pgmq'
      and t.table_name = q_table
  ) then
    raise exception 'Queue "%" does not exist. Create it first using pgmq.create()',
      enable_notify_insert.queue_name;
  end if;

  perform pgmq.disable_notify_insert(enable_notify_insert.queue_name);

  insert into pgmq.notify_insert_throttle (queue_name, throttle_interval_ms)
  values (enable_notify_insert.queue_name, enable_notify_insert.throttle_interval_ms)
  on conflict on constraint notify_insert_throttle_queue_name_key do update
    set throttle_interval_ms = excluded.throttle_interval_ms,
        last_notified_at = pg_catalog.to_timestamp(0);

  -- DEFERRABLE (initially immediate): fires at the end of each INSERT statement, and the NOTIFY
  -- it queues is delivered only when the transaction commits.
  execute pg_catalog.format(
    'create constraint trigger trigger_notify_queue_insert_listeners'
    ' after insert on pgmq.%I'
    ' deferrable for each row'
    ' execute procedure pgmq.notify_queue_listeners()',
    q_table
  );
end;
$$;
