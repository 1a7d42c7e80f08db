-- weft._normalize_retry(policy jsonb, step_name text) → jsonb
--
-- Purpose : validates a step's retry policy and fills in defaults, giving the record every
--           other function relies on: {strategy, base_ms, multiplier, max_ms, jitter,
--           max_attempts, retry_on, dont_retry_on}. A string names a preset (none, aggressive,
--           standard, conservative). `backoff` is accepted as an alias of `strategy` (the
--           scenario format).
-- Callers : weft._validate_workflow.
-- Errors  : WF003 naming the step, the key and the bad value.
create function weft._normalize_retry(policy jsonb, step_name text) returns jsonb
language plpgsql immutable
set search_path = ''
as $$
#variable_conflict use_column
declare
  v_policy jsonb := coalesce(policy, '{}'::jsonb);
  v_out jsonb;
  v_key text;
  v_allowed text[] := array['strategy', 'backoff', 'base_ms', 'multiplier', 'max_ms', 'jitter', 'max_attempts', 'retry_on', 'dont_retry_on'];
  v_num numeric;
begin
  if pg_catalog.jsonb_typeof(v_policy) = 'string' then
    v_policy := case v_policy #>> '{}'
      when 'none' then '{"max_attempts": 1}'::jsonb
      when 'aggressive' then '{"strategy": "exponential", "base_ms": 100, "max_ms": 10000, "max_attempts": 5, "jitter": true}'::jsonb
      when 'standard' then '{"strategy": "exponential", "base_ms": 1000, "max_ms": 300000, "max_attempts": 3, "jitter": true}'::jsonb
      when 'conservative' then '{"strategy": "exponential", "base_ms": 5000, "max_ms": 600000, "max_attempts": 10, "jitter": true}'::jsonb
      else null end;
    if v_policy is null then
      raise exception 'step "%": unknown retry preset %', step_name, policy
        using errcode = 'WF003', hint = 'Use one of none, aggressive, standard, conservative, or an object.';
    end if;
  end if;
  if pg_catalog.jsonb_typeof(v_policy) <> 'object' then
    raise exception 'step "%": retry must be an object or a preset name, got %', step_name, policy using errcode = 'WF003';
  end if;
  for v_key in select pg_catalog.jsonb_object_keys(v_policy) loop
    if not v_key = any (v_allowed) then
      raise exception 'step "%": unknown retry key "%"', step_name, v_key
        using errcode = 'WF003', hint = 'Allowed keys: ' || pg_catalog.array_to_string(v_allowed, ', ');
    end if;
  end loop;

  v_out := pg_catalog.jsonb_build_object(
    'strategy', coalesce(v_policy ->> 'strategy', v_policy ->> 'backoff', 'exponential'),
    'base_ms', coalesce(v_policy -> 'base_ms', '1000'),
    'multiplier', coalesce(v_policy -> 'multiplier', '2'),
    'max_ms', coalesce(v_policy -> 'max_ms', '300000'),
    'jitter', coalesce(v_policy -> 'jitter', 'false'),
    'max_attempts', coalesce(v_policy -> 'max_attempts', '3'),
    'retry_on', coalesce(v_policy -> 'retry_on', '[]'),
    'dont_retry_on', coalesce(v_policy -> 'dont_retry_on', '[]'));

  if not (v_out ->> 'strategy') = any (array['fixed', 'linear', 'exponential', 'random']) then
    raise exception 'step "%": retry strategy must be fixed, linear, exponential or random, got %', step_name, v_out -> 'strategy' using errcode = 'WF003';
  end if;
  foreach v_key in array array['base_ms', 'multiplier', 'max_ms', 'max_attempts'] loop
    if pg_catalog.jsonb_typeof(v_out -> v_key) <> 'number' then
      raise exception 'step "%": retry.% must be a number, got %', step_name, v_key, v_out -> v_key using errcode = 'WF003';
    end if;
    v_num := (v_out ->> v_key)::numeric;
    if v_num < 0 or (v_key = 'max_attempts' and (v_num < 1 or v_num > 1000 or v_num <> pg_catalog.trunc(v_num)))
       or (v_key = 'multiplier' and v_num < 1) then
      raise exception 'step "%": retry.% is out of range: %', step_name, v_key, v_out -> v_key
        using errcode = 'WF003', hint = 'max_attempts is a whole number from 1 to 1000 (it counts the first run); base_ms and max_ms are >= 0; multiplier >= 1.';
    end if;
  end loop;
  if (v_out ->> 'max_ms')::numeric < (v_out ->> 'base_ms')::numeric then
    raise exception 'step "%": retry.max_ms (%) is below retry.base_ms (%)', step_name, v_out -> 'max_ms', v_out -> 'base_ms' using errcode = 'WF003';
  end if;
  if pg_catalog.jsonb_typeof(v_out -> 'jitter') not in ('boolean', 'number')
     or (pg_catalog.jsonb_typeof(v_out -> 'jitter') = 'number' and ((v_out ->> 'jitter')::numeric < 0 or (v_out ->> 'jitter')::numeric > 1)) then
    raise exception 'step "%": retry.jitter must be true, false or a fraction from 0 to 1, got %', step_name, v_out -> 'jitter' using errcode = 'WF003';
  end if;
  foreach v_key in array array['retry_on', 'dont_retry_on'] loop
    if pg_catalog.jsonb_typeof(v_out -> v_key) <> 'array'
       or exists (select 1 from pg_catalog.jsonb_array_elements(v_out -> v_key) e where pg_catalog.jsonb_typeof(e) <> 'string') then
      raise exception 'step "%": retry.% must be an array of error codes or names, got %', step_name, v_key, v_out -> v_key using errcode = 'WF003';
    end if;
  end loop;
  return v_out;
end
$$;
