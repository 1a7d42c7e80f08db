-- weft._assert_namespace_access(namespace) → void
--
-- Purpose : the per-namespace guard of worker reports: raises WF012 unless the calling role
--           (weft.calling_role(): the session's SET ROLE or login role when called from weft's
--           SECURITY DEFINER functions) may act on the namespace (weft._has_namespace_access).
-- Callers : weft._fence_step (so weft.complete_step, fail_step, heartbeat_step, checkpoint_step
--           and the results-queue intake all pass through it), weft._check_namespace_writer.
-- Locks   : none.
-- Errors  : WF012 permission_denied, naming the role and the namespace.
create function weft._assert_namespace_access(namespace text) returns void
language plpgsql stable
set search_path = ''
as $$
#variable_conflict use_column
declare
  v_role name := weft.calling_role();
begin
  if not weft._has_namespace_access(v_role, namespace) then
    raise exception 'role "%" may not act on namespace "%"', v_role, namespace
      using errcode = 'WF012',
            detail = 'Only roles granted the namespace (weft.namespace_grants), weft_orchestrator, weft_admin and the weft owner may report its steps.',
            hint = pg_catalog.format('An admin grants it with: select weft.grant_namespace(role_name => %L, namespace => %L);', v_role, namespace);
  end if;
end
$$;
comment on function weft._assert_namespace_access(text) is 'Raises WF012 unless the calling role may act on the namespace.';
