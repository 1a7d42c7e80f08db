-- weft._has_namespace_access(role_name, namespace) → boolean
--
-- Purpose : may `role_name` act on `namespace` (read its queue, report its steps)? True for
--           superusers and members of the owner of schema weft (the migrating role), of
--           weft_admin and of weft_orchestrator (which applies results from the results queue
--           for every namespace), and for members of any role that weft.namespace_grants lists
--           for the namespace. Membership counts only where privileges are inherited
--           (pg_has_role … 'USAGE'): a NOINHERIT member must SET ROLE first, as for table
--           privileges.
-- Callers : weft._assert_namespace_access (every step report), weft._check_namespace_writer.
-- Security: SECURITY DEFINER (reads weft.namespace_grants whoever the caller is); EXECUTE for
--           the owner and weft_admin only, like every internal function.
-- Locks   : none (reads).
-- Speed   : PL/pgSQL (cached plans): it runs in every step report.
create function weft._has_namespace_access(role_name name, namespace text) returns boolean
language plpgsql stable
security definer
set search_path = ''
as $$
#variable_conflict use_variable
begin
  return pg_catalog.pg_has_role(role_name, (select n.nspowner from pg_catalog.pg_namespace n where n.nspname = 'weft'), 'USAGE')
      or pg_catalog.pg_has_role(role_name, 'weft_admin', 'USAGE')
      or pg_catalog.pg_has_role(role_name, 'weft_orchestrator', 'USAGE')
      or exists (
        select 1
        from weft.namespace_grants g
        join pg_catalog.pg_roles r on r.rolname = g.role_name
        where g.namespace = _has_namespace_access.namespace and pg_catalog.pg_has_role(_has_namespace_access.role_name, r.oid, 'USAGE'));
end
$$;
comment on function weft._has_namespace_access(name, text) is 'Whether a role may work on a namespace: weft owner, weft_admin, weft_orchestrator, or a member of a role granted it (weft.grant_namespace).';
