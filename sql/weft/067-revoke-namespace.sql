-- weft.revoke_namespace(role_name, namespace) → boolean (true when a grant was removed)
--
-- Purpose : undoes weft.grant_namespace: removes the row from weft.namespace_grants and
--           revokes the queue table privileges it gave (skipped when the role no longer
--           exists). From the next statement on, the role's reads of the queue fail with 42501
--           and its step reports with WF012. Idempotent.
-- Callers : operators (weft_admin).
-- Security: SECURITY DEFINER (the queue tables belong to the weft owner); EXECUTE for weft_admin only.
-- Locks   : the weft.namespace_grants row; REVOKE locks the two queue tables' ACLs.
-- Errors  : WF001 null argument; WF010 unknown namespace.
create function weft.revoke_namespace(role_name text, namespace text) returns boolean
language plpgsql volatile
security definer
set search_path = ''
as $$
#variable_conflict use_column
declare
  v_queue text;
  v_removed integer;
begin
  if role_name is null or namespace is null then
    raise exception 'role_name and namespace are required' using errcode = 'WF001';
  end if;
  select n.queue_name into v_queue from weft.namespaces n where n.name = revoke_namespace.namespace;
  if v_queue is null then
    raise exception 'namespace "%" not found', namespace using errcode = 'WF010';
  end if;
  delete from weft.namespace_grants g where g.role_name = revoke_namespace.role_name and g.namespace = revoke_namespace.namespace;
  get diagnostics v_removed = row_count;
  if exists (select 1 from pg_catalog.pg_roles r where r.rolname = revoke_namespace.role_name) then
    execute pg_catalog.format('revoke select, update, delete on table pgmq.%I from %I', 'q_' || v_queue, revoke_namespace.role_name);
    execute pg_catalog.format('revoke select, insert on table pgmq.%I from %I', 'a_' || v_queue, revoke_namespace.role_name);
  end if;
  return v_removed > 0;
end
$$;
comment on function weft.revoke_namespace(text, text) is 'Takes a namespace back from a role: queue privileges and step reports; admin only.';
