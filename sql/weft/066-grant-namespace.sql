-- weft.grant_namespace(role_name, namespace) → boolean (true when the grant is new)
--
-- Purpose : lets a role work on one namespace: the table privileges the PGMQ calls of a worker
--           need on that namespace's queue (PGMQ functions run with the caller's rights) —
--             pgmq.q_<queue>  SELECT, UPDATE, DELETE  (read / read_with_poll / set_vt: UPDATE +
--                                                      SELECT; delete: DELETE + SELECT)
--             pgmq.a_<queue>  SELECT, INSERT          (archive: INSERT … RETURNING msg_id)
--           — and a row in weft.namespace_grants, which the report functions check
--           (weft._assert_namespace_access). Idempotent. The role (or a role it inherits from)
--           must also be a member of weft_worker to call the report functions; a NOTICE says so
--           when it is not. Members of role_name inherit the grant.
-- Callers : operators (weft_admin), `select weft.grant_namespace('svc_fulfillment', 'fulfillment');`.
-- Security: SECURITY DEFINER (the queue tables belong to the weft owner); EXECUTE for weft_admin only.
-- Locks   : the weft.namespace_grants row; GRANT takes a lock on the two queue tables' ACLs.
-- Errors  : WF001 null argument or unknown role; WF010 unknown namespace.
create function weft.grant_namespace(role_name text, namespace text) returns boolean
language plpgsql volatile
security definer
set search_path = ''
as $$
#variable_conflict use_column
declare
  v_queue text;
  v_new boolean;
begin
  if role_name is null or namespace is null then
    raise exception 'role_name and namespace are required' using errcode = 'WF001';
  end if;
  if not exists (select 1 from pg_catalog.pg_roles r where r.rolname = grant_namespace.role_name) then
    raise exception 'role "%" does not exist', role_name
      using errcode = 'WF001', hint = 'Create the login role first, e.g. create role … login; grant weft_worker to …;';
  end if;
  select n.queue_name into v_queue from weft.namespaces n where n.name = grant_namespace.namespace;
  if v_queue is null then
    raise exception 'namespace "%" not found', namespace
      using errcode = 'WF010', hint = 'A namespace exists once a workflow of it is registered (weft.register_workflow).';
  end if;

  execute pg_catalog.format('grant select, update, delete on table pgmq.%I to %I', 'q_' || v_queue, grant_namespace.role_name);
  execute pg_catalog.format('grant select, insert on table pgmq.%I to %I', 'a_' || v_queue, grant_namespace.role_name);
  insert into weft.namespace_grants (role_name, namespace, granted_by)
  values (grant_namespace.role_name, grant_namespace.namespace, weft.calling_role())
  on conflict (role_name, namespace) do nothing
  returning true into v_new;

  if not pg_catalog.pg_has_role(grant_namespace.role_name::name, 'weft_worker', 'USAGE') then
    raise notice 'role "%" may now read queue "%", but it is not a member of weft_worker, so it cannot report steps yet', role_name, v_queue
      using hint = pg_catalog.format('grant weft_worker to %I;', grant_namespace.role_name);
  end if;
  return coalesce(v_new, false);
end
$$;
comment on function weft.grant_namespace(text, text) is 'Lets a role (and its members) read a namespace''s queue and report its steps; admin only.';
