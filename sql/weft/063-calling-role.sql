-- weft.calling_role() → name
--
-- Purpose : the role on whose behalf a weft function runs. Inside a SECURITY DEFINER function
--           current_user is the function's owner, so the caller is read from the session: the
--           role chosen with SET ROLE (the `role` setting, which only a member of that role can
--           set), else the login role (session_user). Outside a definer function owned by the
--           owner of schema weft, current_user is the caller and is returned as is (that also
--           covers a function owned by another role: its owner is the caller).
--           Limitation: a SECURITY DEFINER wrapper owned by the weft owner itself hides its
--           caller (the session's role is used); weft's own functions are the only such wrappers.
-- Callers : weft._assert_namespace_access, weft.grant_namespace (granted_by), anyone (granted to
--           every weft role: "who does weft think I am?").
-- Locks   : none (catalog lookups).
-- Speed   : PL/pgSQL, not SQL: a SQL function with a SET clause is planned again at every call
--           (~10× slower); this one runs in every step report.
create function weft.calling_role() returns name
language plpgsql stable
set search_path = ''
as $$
begin
  if current_user <> (select pg_catalog.pg_get_userbyid(n.nspowner) from pg_catalog.pg_namespace n where n.nspname = 'weft') then
    return current_user;
  end if;
  return coalesce(nullif(pg_catalog.current_setting('role'), 'none')::name, session_user);
end
$$;
comment on function weft.calling_role() is 'The role a weft function acts for: current_user, or (inside weft''s SECURITY DEFINER functions) the session''s SET ROLE / login role.';
