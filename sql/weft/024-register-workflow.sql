-- weft.register_workflow(definition jsonb) → uuid (the workflow_id)
--
-- Purpose : stores a workflow template (validated and normalized by weft._validate_workflow)
--           in weft.workflows / workflow_steps / workflow_edges, creating its namespace and
--           queue on first use. Versions are immutable: the same content again is a no-op that
--           returns the existing id; different content under an existing version is an error.
-- Callers : `weft workflows apply`, the TS client (Weft.registerWorkflow), any SQL client.
-- Locks   : an advisory transaction lock on (namespace, name, version) so that concurrent
--           registrations of one version serialize.
-- Errors  : WF001 / WF003 from validation; WF004 version exists with other content.
--
-- Example : select weft.register_workflow('{"namespace":"math","name":"double","version":"1",
--             "steps":[{"name":"a","handler":"double"}]}');
create function weft.register_workflow(definition jsonb) returns uuid
language plpgsql volatile
set search_path = ''
as $$
#variable_conflict use_column
declare
  v_def jsonb := weft._validate_workflow(definition);
  v_hash text := pg_catalog.md5(v_def::text);
  v_existing record;
  v_workflow_id uuid;
begin
  perform pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtextextended(
    'weft.workflow:' || (v_def ->> 'namespace') || '/' || (v_def ->> 'name') || '@' || (v_def ->> 'version'), 0));
  select w.workflow_id, w.content_hash into v_existing
  from weft.workflows w
  where w.namespace = v_def ->> 'namespace' and w.name = v_def ->> 'name' and w.version = v_def ->> 'version';
  if found then
    if v_existing.content_hash = v_hash then
      return v_existing.workflow_id;
    end if;
    raise exception 'workflow %/% version % already exists with different content', v_def ->> 'namespace', v_def ->> 'name', v_def ->> 'version'
      using errcode = 'WF004', hint = 'Versions are immutable: register the change under a new version.';
  end if;

  perform weft._ensure_namespace(v_def ->> 'namespace');
  insert into weft.workflows (namespace, name, version, description, definition, content_hash)
  values (v_def ->> 'namespace', v_def ->> 'name', v_def ->> 'version', v_def ->> 'description', v_def, v_hash)
  returning workflow_id into v_workflow_id;

  insert into weft.workflow_steps (workflow_id, name, position, handler, args, retry, timeout_ms, heartbeat_ms, compensate)
  select v_workflow_id, s ->> 'name', (o - 1)::integer, s ->> 'handler', s -> 'args', s -> 'retry',
         (s ->> 'timeout_ms')::integer, (s ->> 'heartbeat_ms')::integer, s ->> 'compensate'
  from pg_catalog.jsonb_array_elements(v_def -> 'steps') with ordinality as t (s, o);

  insert into weft.workflow_edges (workflow_id, parent, child)
  select v_workflow_id, d #>> '{}', s ->> 'name'
  from pg_catalog.jsonb_array_elements(v_def -> 'steps') s,
       pg_catalog.jsonb_array_elements(s -> 'depends_on') d;

  return v_workflow_id;
end
$$;
