-- weft._validate_workflow(definition jsonb) → jsonb (the normalized definition)
--
-- Purpose : the authority on what a valid workflow is. Checks shape and names, handlers,
--           dependencies (unknown, duplicate, self), retry policies (weft._normalize_retry),
--           timeouts, and cycles — a cycle's error names its path (a -> b -> c -> a).
--           Returns {namespace, name, version, description, steps: [...]} with every step
--           normalized ({name, handler, args, depends_on, retry, timeout_ms, compensate}).
-- Callers : weft.register_workflow.
-- Errors  : WF001 when the definition is not an object; WF003 for everything else, naming
--           the step and the bad value.
create function weft._validate_workflow(definition jsonb) returns jsonb
language plpgsql immutable
set search_path = ''
as $$
#variable_conflict use_column
declare
  v_step jsonb;
  v_steps jsonb := '[]'::jsonb;
  v_names text[] := '{}';
  v_name text;
  v_dep jsonb;
  v_deps text[];
  v_key text;
  v_step_keys text[] := array['name', 'handler', 'args', 'depends_on', 'retry', 'timeout_ms', 'heartbeat_ms', 'compensate', 'description'];
  v_top_keys text[] := array['namespace', 'name', 'version', 'description', 'steps'];
  v_edges text[][] := '{}';
  v_remaining text[];
  v_ready text[];
  v_cycle text[];
  v_cur text;
  v_next text;
  v_version text;
begin
  if definition is null or pg_catalog.jsonb_typeof(definition) <> 'object' then
    raise exception 'workflow definition must be a JSON object, got %', coalesce(pg_catalog.jsonb_typeof(definition), 'null')
      using errcode = 'WF001';
  end if;
  for v_key in select pg_catalog.jsonb_object_keys(definition) loop
    if not v_key = any (v_top_keys) then
      raise exception 'workflow definition has unknown key "%"', v_key
        using errcode = 'WF003', hint = 'Allowed keys: ' || pg_catalog.array_to_string(v_top_keys, ', ');
    end if;
  end loop;
  if pg_catalog.jsonb_typeof(definition -> 'namespace') is distinct from 'string'
     or (definition ->> 'namespace') !~ '^[a-z][a-z0-9_]{0,46}$' then
    raise exception 'workflow namespace must match ^[a-z][a-z0-9_]{0,46}$, got %', coalesce((definition -> 'namespace')::text, 'nothing')
      using errcode = 'WF003';
  end if;
  if pg_catalog.jsonb_typeof(definition -> 'name') is distinct from 'string'
     or (definition ->> 'name') !~ '^[A-Za-z][A-Za-z0-9_.-]{0,127}$' then
    raise exception 'workflow name must match ^[A-Za-z][A-Za-z0-9_.-]{0,127}$, got %', coalesce((definition -> 'name')::text, 'nothing')
      using errcode = 'WF003';
  end if;
  v_version := case pg_catalog.jsonb_typeof(definition -> 'version')
    when 'string' then definition ->> 'version' when 'number' then definition ->> 'version' else null end;
  if v_version is null or v_version !~ '^[0-9A-Za-z][0-9A-Za-z.+_-]{0,63}$' then
    raise exception 'workflow "%" version must be a string like 1.0.0, got %', definition ->> 'name', coalesce((definition -> 'version')::text, 'nothing')
      using errcode = 'WF003';
  end if;
  if pg_catalog.jsonb_typeof(definition -> 'steps') is distinct from 'array' or pg_catalog.jsonb_array_length(definition -> 'steps') = 0 then
    raise exception 'workflow "%" must have a non-empty steps array', definition ->> 'name' using errcode = 'WF003';
  end if;
  if pg_catalog.jsonb_array_length(definition -> 'steps') > 10000 then
    raise exception 'workflow "%" has % steps; at most 10000 are allowed', definition ->> 'name', pg_catalog.jsonb_array_length(definition -> 'steps')
      using errcode = 'WF003';
  end if;

  -- Guard: each step's own fields.
  for v_step in select e from pg_catalog.jsonb_array_elements(definition -> 'steps') e loop
    if pg_catalog.jsonb_typeof(v_step) <> 'object' then
      raise exception 'workflow "%": every step must be an object, got %', definition ->> 'name', v_step using errcode = 'WF003';
    end if;
    v_name := v_step ->> 'name';
    if pg_catalog.jsonb_typeof(v_step -> 'name') is distinct from 'string' or v_name !~ '^[A-Za-z_][A-Za-z0-9_-]{0,63}$' then
      raise exception 'workflow "%": step name must match ^[A-Za-z_][A-Za-z0-9_-]{0,63}$, got %', definition ->> 'name', coalesce((v_step -> 'name')::text, 'nothing')
        using errcode = 'WF003';
    end if;
    if v_name = any (v_names) then
      raise exception 'workflow "%": duplicate step name "%"', definition ->> 'name', v_name using errcode = 'WF003';
    end if;
    v_names := v_names || v_name;
    for v_key in select pg_catalog.jsonb_object_keys(v_step) loop
      if not v_key = any (v_step_keys) then
        raise exception 'step "%": unknown key "%"', v_name, v_key
          using errcode = 'WF003', hint = 'Allowed keys: ' || pg_catalog.array_to_string(v_step_keys, ', ');
      end if;
    end loop;
    if pg_catalog.jsonb_typeof(v_step -> 'handler') is distinct from 'string' or pg_catalog.btrim(v_step ->> 'handler') = '' then
      raise exception 'step "%" has no handler name', v_name using errcode = 'WF003', hint = 'Every step needs "handler": the name a worker registers.';
    end if;
    if (v_step ->> 'handler') !~ '^[A-Za-z_][A-Za-z0-9_.:-]{0,127}$' then
      raise exception 'step "%": handler name % has characters outside [A-Za-z0-9_.:-]', v_name, v_step -> 'handler' using errcode = 'WF003';
    end if;
    if v_step ? 'compensate' and pg_catalog.jsonb_typeof(v_step -> 'compensate') <> 'null'
       and (pg_catalog.jsonb_typeof(v_step -> 'compensate') <> 'string' or (v_step ->> 'compensate') !~ '^[A-Za-z_][A-Za-z0-9_.:-]{0,127}$') then
      raise exception 'step "%": compensate must be a handler name, got %', v_name, v_step -> 'compensate' using errcode = 'WF003';
    end if;
    if v_step ? 'args' and pg_catalog.jsonb_typeof(v_step -> 'args') not in ('object', 'null') then
      raise exception 'step "%": args must be an object, got %', v_name, v_step -> 'args' using errcode = 'WF003';
    end if;
    if v_step ? 'timeout_ms' and pg_catalog.jsonb_typeof(v_step -> 'timeout_ms') <> 'null'
       and (pg_catalog.jsonb_typeof(v_step -> 'timeout_ms') <> 'number' or (v_step ->> 'timeout_ms')::numeric <= 0
            or (v_step ->> 'timeout_ms')::numeric > 2147483647 or (v_step ->> 'timeout_ms')::numeric <> pg_catalog.trunc((v_step ->> 'timeout_ms')::numeric)) then
      raise exception 'step "%": timeout_ms must be a positive whole number of milliseconds, got %', v_name, v_step -> 'timeout_ms' using errcode = 'WF003';
    end if;
    if v_step ? 'heartbeat_ms' and pg_catalog.jsonb_typeof(v_step -> 'heartbeat_ms') <> 'null'
       and (pg_catalog.jsonb_typeof(v_step -> 'heartbeat_ms') <> 'number' or (v_step ->> 'heartbeat_ms')::numeric < 1000
            or (v_step ->> 'heartbeat_ms')::numeric > 3600000 or (v_step ->> 'heartbeat_ms')::numeric <> pg_catalog.trunc((v_step ->> 'heartbeat_ms')::numeric)) then
      raise exception 'step "%": heartbeat_ms must be a whole number of milliseconds from 1000 to 3600000, got %', v_name, v_step -> 'heartbeat_ms'
        using errcode = 'WF003', hint = 'The lease of an attempt is three heartbeats: a worker that misses three is taken for dead.';
    end if;
    if v_step ? 'depends_on' and pg_catalog.jsonb_typeof(v_step -> 'depends_on') not in ('array', 'null') then
      raise exception 'step "%": depends_on must be an array of step names, got %', v_name, v_step -> 'depends_on' using errcode = 'WF003';
    end if;
  end loop;

  -- Guard: dependencies name existing steps, once each, never the step itself.
  for v_step in select e from pg_catalog.jsonb_array_elements(definition -> 'steps') e loop
    v_name := v_step ->> 'name';
    v_deps := '{}';
    for v_dep in select e from pg_catalog.jsonb_array_elements(coalesce(nullif(v_step -> 'depends_on', 'null'::jsonb), '[]'::jsonb)) e loop
      if pg_catalog.jsonb_typeof(v_dep) <> 'string' then
        raise exception 'step "%": depends_on entries must be step names, got %', v_name, v_dep using errcode = 'WF003';
      end if;
      if (v_dep #>> '{}') = v_name then
        raise exception 'step "%" depends on itself', v_name using errcode = 'WF003';
      end if;
      if not (v_dep #>> '{}') = any (v_names) then
        raise exception 'step "%" depends on unknown step "%"', v_name, v_dep #>> '{}' using errcode = 'WF003';
      end if;
      if (v_dep #>> '{}') = any (v_deps) then
        raise exception 'step "%" lists dependency "%" twice', v_name, v_dep #>> '{}' using errcode = 'WF003';
      end if;
      v_deps := v_deps || (v_dep #>> '{}');
      v_edges := v_edges || array[array[v_dep #>> '{}', v_name]];
    end loop;
    v_steps := v_steps || pg_catalog.jsonb_build_array(pg_catalog.jsonb_build_object(
      'name', v_name,
      'handler', v_step ->> 'handler',
      'args', coalesce(nullif(v_step -> 'args', 'null'::jsonb), '{}'::jsonb),
      'depends_on', pg_catalog.to_jsonb(v_deps),
      'retry', weft._normalize_retry(v_step -> 'retry', v_name),
      'timeout_ms', coalesce(v_step -> 'timeout_ms', 'null'::jsonb),
      'heartbeat_ms', coalesce(v_step -> 'heartbeat_ms', 'null'::jsonb),
      'compensate', coalesce(v_step -> 'compensate', 'null'::jsonb),
      'description', coalesce(v_step -> 'description', 'null'::jsonb)));
  end loop;

  -- Guard: no cycles (Kahn's algorithm); on failure walk parent links to print one cycle.
  v_remaining := v_names;
  loop
    select coalesce(pg_catalog.array_agg(n), '{}') into v_ready
    from pg_catalog.unnest(v_remaining) n
    where not exists (
      select 1 from pg_catalog.generate_subscripts(v_edges, 1) i
      where v_edges[i][2] = n and v_edges[i][1] = any (v_remaining));
    exit when pg_catalog.cardinality(v_ready) = 0;
    v_remaining := array(select n from pg_catalog.unnest(v_remaining) n where not n = any (v_ready));
  end loop;
  if pg_catalog.cardinality(v_remaining) > 0 then
    -- every remaining step has a remaining parent: follow parents until a step repeats
    v_cur := v_remaining[1];
    v_cycle := array[v_cur];
    loop
      select v_edges[i][1] into v_next
      from pg_catalog.generate_subscripts(v_edges, 1) i
      where v_edges[i][2] = v_cur and v_edges[i][1] = any (v_remaining)
      order by v_edges[i][1] limit 1;
      if v_next = any (v_cycle) then
        v_cycle := v_cycle[pg_catalog.array_position(v_cycle, v_next):] || v_next;
        exit;
      end if;
      v_cycle := v_cycle || v_next;
      v_cur := v_next;
    end loop;
    -- v_cycle follows child -> parent; print it in dependency order parent -> child
    v_cycle := array(select v_cycle[i] from pg_catalog.generate_subscripts(v_cycle, 1) i order by i desc);
    raise exception 'workflow "%" has a cycle: %', definition ->> 'name', pg_catalog.array_to_string(v_cycle, ' -> ')
      using errcode = 'WF003', detail = 'Steps on the cycle: ' || pg_catalog.array_to_string(v_cycle[1:pg_catalog.cardinality(v_cycle) - 1], ', ');
  end if;

  return pg_catalog.jsonb_build_object(
    'namespace', definition ->> 'namespace',
    'name', definition ->> 'name',
    'version', v_version,
    'description', coalesce(definition -> 'description', 'null'::jsonb),
    'steps', v_steps);
end
$$;
