-- weft.purge_dead_letters(older_than interval) → integer (rows deleted)
--
-- Purpose : retention of weft.dead_letters.
-- Callers : operators, `weft purge`, schedulers.
-- Errors  : WF001 older_than null or negative.
create function weft.purge_dead_letters(older_than interval) returns integer
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
  delete from weft.dead_letters d where d.created_at < weft.now() - older_than;
  get diagnostics v_n = row_count;
  return v_n;
end
$$;
