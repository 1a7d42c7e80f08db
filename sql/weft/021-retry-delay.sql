-- weft.retry_delay_ms(policy jsonb, failed_attempt integer) → bigint
--
-- Purpose : the wait before the attempt after `failed_attempt` (1 = the first run failed), from a
--           normalized retry policy: fixed base; linear base*n; exponential base*multiplier^(n-1);
--           random uniform in [base, max]; capped at max_ms; jitter true takes up to half off
--           ("equal jitter"), a fraction j takes up to j off.
-- Callers : weft.fail_step, the timeout sweep (weft.fire_timers).
create function weft.retry_delay_ms(policy jsonb, failed_attempt integer) returns bigint
language plpgsql volatile
set search_path = ''
as $$
#variable_conflict use_column
declare
  v_base numeric := (policy ->> 'base_ms')::numeric;
  v_max numeric := (policy ->> 'max_ms')::numeric;
  v_mult numeric := coalesce((policy ->> 'multiplier')::numeric, 2);
  v_n integer := greatest(coalesce(failed_attempt, 1), 1);
  v_delay numeric;
  v_jitter numeric;
begin
  v_delay := case policy ->> 'strategy'
    when 'fixed' then v_base
    when 'linear' then v_base * v_n
    when 'random' then v_base + pg_catalog.random() * (v_max - v_base)
    else v_base * pg_catalog.power(v_mult, least(v_n - 1, 60))
  end;
  v_delay := least(v_delay, v_max);
  v_jitter := case pg_catalog.jsonb_typeof(policy -> 'jitter')
    when 'boolean' then case when (policy ->> 'jitter')::boolean then 0.5 else 0 end
    when 'number' then (policy ->> 'jitter')::numeric
    else 0 end;
  if v_jitter > 0 then
    v_delay := v_delay * (1 - v_jitter * pg_catalog.random());
  end if;
  return pg_catalog.round(v_delay)::bigint;
end
$$;
