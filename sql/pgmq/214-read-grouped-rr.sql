-- pgmq.read_grouped_rr(queue_name text, vt integer, qty integer)
--   returns setof pgmq.message_record
--
-- Purpose : FIFO read, round-robin across groups (group = header x-pgmq-group, default
--           '_default_fifo_group'). A group is eligible when its head (its lowest msg_id,
--           visible or not) is visible and this transaction gets the group's advisory lock
--           pg_try_advisory_xact_lock(hashtextextended(group, 0)). The batch takes the first
--           visible message of every eligible group (groups in head msg_id order), then the
--           second of each, and so on, up to qty; the update re-checks vt <= clock. Rows come
--           back in that selection order. Claimed rows are updated as by pgmq.read.
-- Callers : clients that want fairness between groups.
-- Locks   : transaction-scoped advisory locks on the eligible groups (keyed by group name
--           only, so shared by all queues, as in pgmq 1.13.0), held until commit: a concurrent
--           read_grouped_rr skips those groups. Row locks of the update.
-- Errors  : P0001 invalid characters; 42P01 when the queue does not exist.
-- Note    : the CTEs are MATERIALIZED so that the advisory lock is tried once per head, and
--           only for heads that are visible (the CASE orders the two tests).
create or replace function pgmq.read_grouped_rr(queue_name text, vt integer, qty integer)
returns setof pgmq.message_record
language plpgsql
as $$
declare
  qtable text := pgmq.format_table_name(queue_name, 'q');
begin
  return query execute pg_catalog.format(
    $q$
    with heads as materialized (
      select distinct on (h.fifo_group) h.fifo_group, h.msg_id as head_id, h.vt as head_vt
      from (
        select coalesce(q.headers ->> 'x-pgmq-group', '_default_fifo_group') as fifo_group, q.msg_id, q.vt
        from pgmq.%1$I q
      ) h
      order by h.fifo_group, h.msg_id
    ),
    eligible as materialized (
      select heads.fifo_group, heads.head_id
      from heads
      where case
              when heads.head_vt <= pg_catalog.clock_timestamp()
                then pg_catalog.pg_try_advisory_xact_lock(pg_catalog.hashtextextended(heads.fifo_group, 0))
              else false
            end
    ),
    picked as materialized (
      select r.msg_id, pg_catalog.row_number() over (order by r.group_rank, r.head_id) as pick_order
      from (
        select c.msg_id, eligible.head_id,
               pg_catalog.row_number() over (partition by eligible.fifo_group order by c.msg_id) as group_rank
        from pgmq.%1$I c
        join eligible on coalesce(c.headers ->> 'x-pgmq-group', '_default_fifo_group') = eligible.fifo_group
        where c.vt <= pg_catalog.clock_timestamp()
      ) r
      order by r.group_rank, r.head_id
      limit $1
    ),
    claimed as (
      update pgmq.%1$I m
      set vt = pg_catalog.clock_timestamp() + pg_catalog.make_interval(secs => $2),
          read_ct = m.read_ct + 1,
          last_read_at = pg_catalog.clock_timestamp()
      from picked
      where m.msg_id = picked.msg_id
        and m.vt <= pg_catalog.clock_timestamp()
      returning m.msg_id, m.read_ct, m.enqueued_at, m.last_read_at, m.vt, m.message, m.headers, picked.pick_order
    )
    select claimed.msg_id, claimed.read_ct, claimed.enqueued_at, claimed.last_read_at, claimed.vt,
           claimed.message, claimed.headers
    from claimed
    order by claimed.pick_order
    $q$,
    qtable
  ) using qty, vt;
end;
$$;
