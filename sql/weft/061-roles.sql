-- The group roles of weft's least-privilege model (NOLOGIN; operators grant them to login roles).
--
-- Purpose : creates, when missing, the five cluster-wide group roles whose rights
--           sql/weft/070-privileges.sql defines in this database:
--             weft_admin         operators: every weft function, every weft and queue table
--             weft_orchestrator  orchestrator processes: intake, timers, recovery, finalization
--             weft_worker        workers: read/ack their granted namespaces' queues, report steps
--             weft_client        services: request, cancel and read tasks
--             weft_monitor       dashboards, autoscalers: read-only
--           Roles belong to the whole server and several weft databases may share one, so a
--           role is never dropped or altered here, only created when absent.
-- Callers : graphile-migrate (baseline migration).
-- Locks   : pg_authid rows. Two migrations (of two databases) creating a role at the same instant:
--           the second gets duplicate_object / unique_violation, which means "exists" here.
-- Errors  : 42501 when a role is missing and the migrating role may not create roles (no
--           CREATEROLE): the hint says how to create them by hand.
do $$
declare
  v_role text;
  v_purpose text;
begin
  for v_role, v_purpose in
    select * from (values
      ('weft_admin', 'weft operators: every weft function and table'),
      ('weft_orchestrator', 'weft orchestrator processes: intake, timers, recovery, finalization'),
      ('weft_worker', 'weft workers: their granted namespaces'' queues (weft.grant_namespace) and step reports'),
      ('weft_client', 'weft clients: request, cancel and read tasks'),
      ('weft_monitor', 'weft dashboards and autoscalers: read-only')) r (name, purpose)
  loop
    if not exists (select 1 from pg_catalog.pg_roles r where r.rolname = v_role) then
      begin
        execute pg_catalog.format('create role %I nologin', v_role);
        execute pg_catalog.format('comment on role %I is %L', v_role, v_purpose);
      exception
        when duplicate_object or unique_violation then
          null; -- created a moment ago by a migration of another database
        when insufficient_privilege then
          raise exception 'weft needs the group role "%" and role "%" may not create roles', v_role, current_user
            using errcode = '42501',
                  hint = 'Create the NOLOGIN roles weft_admin, weft_orchestrator, weft_worker, weft_client and weft_monitor as a role with CREATEROLE, or run weft migrate as one.';
      end;
    end if;
  end loop;
end
$$;
