-- weft.purge_idempotency_keys(older_than interval default '24 hours') → integer (keys cleared)
--
-- Purpose : idempotency keys are kept for a window (default 24 h): after it, the same key may
--           request a new task. Clears the key of tasks requested more than `older_than` ago.
-- Callers : operators, `weft purge`, schedulers.
-- Errors  : WF001 older_than null or negative.
create function weft.purge_idempotency_keys(older_than interval default interval '24 hours') returns integer
language plpgsql volatile
set search_path = ''
as $$
#variable_conflict use_column
declare
  v_n integer;
begin
  if older_than is null or older_than < interval '0' then
    raise exception 'older_than must be a non-negative interval, got %', coalesce(older_than::text, 'null') using errcode = 'WF001';
  end if;
  update weft.tasks t set idempotency_key = null
  where t.idempotency_key is not null and t.created_at < weft.now() - older_than;
  get diagnostics v_n = row_count;
  return v_n;
end
$$;
