-- weft.complete_steps_and_read(step_ids uuid[], attempts integer[], results jsonb[], processor_id text,
--                              queue_name text, vt integer, qty integer)
--   → table(reports jsonb, messages jsonb)  (one row)
--
-- Purpose : a worker's report and its next read in one transaction and one round trip. Applies
--           the completions exactly as weft.complete_steps (reports: a JSON array of
--           weft.step_report objects, in the order given), then reads up to `qty` messages from
--           `queue_name` with pgmq.read(queue_name, vt, qty) (messages: a JSON array of
--           pgmq.message_record objects — msg_id, read_ct, enqueued_at, vt, message, headers —
--           oldest first). Children the completions just made ready are in that queue already,
--           inside this transaction, so the worker that finished the parent takes them at once:
--           no wake-up and no separate read between a parent and its child.
--           qty 0 reads nothing (the same as weft.complete_steps).
-- Callers : the TS worker SDK (its completion batcher, with the free slots as qty); any worker.
-- Locks   : as weft.complete_steps; then the read messages' rows (FOR UPDATE SKIP LOCKED).
-- Errors  : as weft.complete_steps; WF001 qty outside 0..1000 or vt < 0 or queue_name null when
--           qty > 0; WF010 no namespace has this queue; WF012 the calling role may not read it.
--
-- Example : select * from weft.complete_steps_and_read(array[$1]::uuid[], array[1], array['{}']::jsonb[], 'w1', 'math', 30, 4);
create function weft.complete_steps_and_read(
  step_ids uuid[], attempts integer[], results jsonb[], processor_id text,
  queue_name text default null, vt integer default 30, qty integer default 0
) returns table (reports jsonb, messages jsonb)
language plpgsql volatile
set search_path = ''
as $$
#variable_conflict use_column
declare
  v_namespace text;
begin
  if qty is null or qty < 0 or qty > 1000 then
    raise exception 'qty must be between 0 and 1000, got %', coalesce(qty::text, 'null') using errcode = 'WF001';
  end if;
  if qty > 0 and (queue_name is null or vt is null or vt < 0) then
    raise exception 'a read needs a queue_name and a vt of 0 or more (got %, %)', coalesce(queue_name, 'null'), coalesce(vt::text, 'null')
      using errcode = 'WF001';
  end if;
  if qty > 0 then
    select n.name into v_namespace from weft.namespaces n where n.queue_name = complete_steps_and_read.queue_name;
    if v_namespace is null then
      raise exception 'no namespace has the queue "%"', queue_name using errcode = 'WF010';
    end if;
    perform weft._assert_namespace_access(v_namespace); -- WF012: this runs as the owner, pgmq.read would not check
  end if;

  select coalesce(pg_catalog.jsonb_agg(pg_catalog.to_jsonb(r) operator(pg_catalog.-) 'ord' order by r.ord), '[]'::jsonb) into reports
  from weft.complete_steps(step_ids, attempts, results, processor_id)
    with ordinality as r (outcome, reason, step_id, step_state, attempt, task_id, task_state, ord);
  if qty > 0 then
    select coalesce(pg_catalog.jsonb_agg(pg_catalog.to_jsonb(m) order by m.msg_id), '[]'::jsonb) into messages
    from pgmq.read(complete_steps_and_read.queue_name, vt, qty) m;
  else
    messages := '[]'::jsonb;
  end if;
  return next;
end
$$;
