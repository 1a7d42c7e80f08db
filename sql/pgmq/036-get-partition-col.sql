-- pgmq._get_partition_col(partition_interval text) returns text
--
-- Purpose : the column a partitioned queue is ranged on: 'msg_id' when the interval is an
--           integer (a number of messages), 'enqueued_at' otherwise (a time interval).
-- Callers : pgmq.create_partitioned.
-- Locks   : none.
-- Errors  : none (a failed integer cast selects 'enqueued_at').
create or replace function pgmq._get_partition_col(partition_interval text)
returns text
language plpgsql
as $$
declare
  as_integer integer;
begin
  begin
    as_integer := partition_interval::integer;
    return 'msg_id';
  exception when others then
    return 'enqueued_at';
  end;
end;
$$;
