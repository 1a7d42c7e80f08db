-- pgmq.notify_queue_listeners(): trigger behind enable_notify_insert.
--
-- Purpose : AFTER INSERT row trigger on pgmq.q_<t>. Claims the right to notify by updating the
--           queue's throttle row (only when throttle_interval_ms = 0 or the interval has passed
--           since last_notified_at, on clock time); if it did, queues
--           pg_notify('pgmq.' || TG_TABLE_NAME || '.' || TG_OP, NULL), i.e. channel
--           `pgmq.q_<t>.INSERT` with an empty payload, delivered at commit (never on rollback;
--           identical notifications of one transaction are folded into one by the server).
-- Callers : the constraint trigger trigger_notify_queue_insert_listeners (enable_notify_insert).
-- Locks   : the UPDATE row-locks the queue's throttle row until commit, so concurrent senders
--           to one notifying queue serialize on it (as upstream).
-- Errors  : none of its own.
-- Quirk   : the queue name is the table name without `q_`, i.e. lower-cased, as in pgmq 1.13.0:
--           a queue created with upper-case letters has no matching throttle row and never
--           notifies (fixed in 1.13.1; kept here because 1.13.0 is the contract).
create or replace function pgmq.notify_queue_listeners()
returns trigger
language plpgsql
as $$
declare
  throttled_queue text := pg_catalog.substr(tg_table_name, 3);
  claimed integer;
begin
  update pgmq.notify_insert_throttle as nit
  set last_notified_at = pg_catalog.clock_timestamp()
  where nit.queue_name = throttled_queue
    and (
      nit.throttle_interval_ms = 0
      or pg_catalog.clock_timestamp() - nit.last_notified_at
         >= nit.throttle_interval_ms * interval '1 millisecond'
    );

  get diagnostics claimed = row_count;

  if claimed > 0 then
    perform pg_catalog.pg_notify('pgmq.' || tg_table_name || '.' || tg_op, null);
  end if;

  return new;
end;
$$;
