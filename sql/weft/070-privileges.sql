-- Least privilege: which weft functions run as their owner, and what each group role may do.
--
-- Purpose : 1. every public weft function that changes state becomes SECURITY DEFINER (it runs
--              as the weft owner — the role that ran `weft migrate` — with the search_path = ''
--              each function already pins), so callers need EXECUTE on the function and no
--              privilege on weft's tables;
--           2. EXECUTE on every weft function is revoked from PUBLIC and granted per role;
--           3. table and queue privileges per role (docs/operations.md, "Roles and least
--              privilege", has the same table in prose):
--                weft_admin         every weft function; DML on weft and pgmq tables
--                weft_orchestrator  the orchestrator's functions (intake, timers, recovery,
--                                   claims, finalization); no table privilege at all
--                weft_worker        step reports, release_step, dead_letter_message; its
--                                   namespaces' queues only through weft.grant_namespace; send
--                                   to the results queue
--                weft_client        request_task(s), cancel_task; read workflows, tasks, steps,
--                                   transitions; send to the task-request queue
--                weft_monitor       SELECT on every weft table and view and every pgmq table
--           Kept SECURITY INVOKER: the pure helpers (now, uuid_generate_v7, priority_value,
--           priority_name, retry_delay_ms) and calling_role. Internal functions (name starting
--           with `_`) keep what their file says; only the owner and weft_admin may call them.
--           Namespace isolation of the definer functions: weft._fence_step (every step report)
--           and the triggers of 068-check-namespace-writer.sql (results queue, dead letters).
-- Callers : graphile-migrate. Keep this file LAST in all.sql, and include it again at the end of
--           every later migration: it is idempotent and applies its rules to every function and
--           table that exists when it runs (a function added later is otherwise callable by
--           PUBLIC and runs with the caller's rights).
-- Locks   : catalog rows of the altered functions and granted tables.
-- Errors  : none expected. A function named below that does not exist (yet) is skipped, so
--           this file may name functions another file adds later; test/sql/weft/privileges.test.ts
--           proves every grant by calling the function as each role.

-- 1. Schemas. The orchestrator needs no pgmq privilege: its functions run as the owner.
grant usage on schema weft to weft_admin, weft_orchestrator, weft_worker, weft_client, weft_monitor;
grant usage on schema pgmq to weft_admin, weft_worker, weft_client, weft_monitor;

-- Every weft process checks the schema version at start (src/db/migrate.ts reads graphile_migrate.migrations).
do $$
begin
  if pg_catalog.to_regclass('graphile_migrate.migrations') is not null then
    grant usage on schema graphile_migrate to weft_admin, weft_orchestrator, weft_worker, weft_client, weft_monitor;
    grant select on graphile_migrate.migrations to weft_admin, weft_orchestrator, weft_worker, weft_client, weft_monitor;
  end if;
end
$$;

-- 2. SECURITY DEFINER for every public weft function except the invoker ones named above.
do $$
declare
  v_fn regprocedure;
begin
  for v_fn in
    select p.oid::regprocedure from pg_catalog.pg_proc p
    where p.pronamespace = 'weft'::regnamespace and p.prokind = 'f' and not p.prosecdef
      and p.proname !~ '^_'
      and p.proname <> all (array['now', 'uuid_generate_v7', 'priority_value', 'priority_name', 'retry_delay_ms', 'calling_role'])
  loop
    execute pg_catalog.format('alter function %s security definer', v_fn);
  end loop;
end
$$;

-- 3. EXECUTE: nobody by default, everything for admins, then per role by function name (every
--    overload of the name).
revoke execute on all functions in schema weft from public;
grant execute on all functions in schema weft to weft_admin;

do $$
declare
  v_grant record;
  v_fn regprocedure;
begin
  for v_grant in
    select g.role_name, pg_catalog.unnest(g.functions) as function_name from (values
      -- read-only helpers (also used by the views and by column defaults)
      ('weft_orchestrator', array['now', 'uuid_generate_v7', 'priority_value', 'priority_name', 'calling_role']),
      ('weft_worker', array['now', 'uuid_generate_v7', 'priority_value', 'priority_name', 'calling_role']),
      ('weft_client', array['now', 'uuid_generate_v7', 'priority_value', 'priority_name', 'calling_role']),
      ('weft_monitor', array['now', 'uuid_generate_v7', 'priority_value', 'priority_name', 'calling_role']),
      ('weft_orchestrator', array['orchestrator_tick', 'intake_task_requests', 'intake_step_results', 'fire_timers',
                                  'recover_stalled_steps', 'claim_tasks_for_finalization', 'claim_task_for_finalization',
                                  'finalize_task', 'finalize_tasks']),
      ('weft_worker', array['complete_step', 'complete_steps', 'complete_steps_and_read', 'fail_step', 'heartbeat_step', 'checkpoint_step', 'release_step',
                            'dead_letter_message']),
      ('weft_client', array['request_task', 'request_tasks', 'cancel_task'])
    ) g (role_name, functions)
  loop
    for v_fn in
      select p.oid::regprocedure from pg_catalog.pg_proc p
      where p.pronamespace = 'weft'::regnamespace and p.proname = v_grant.function_name
    loop
      execute pg_catalog.format('grant execute on function %s to %I', v_fn, v_grant.role_name);
    end loop;
  end loop;
end
$$;

-- 4. Tables of schema weft.
grant select, insert, update, delete on all tables in schema weft to weft_admin;
grant select on all tables in schema weft to weft_monitor;
grant select on weft.namespaces, weft.workflows, weft.workflow_steps, weft.workflow_edges, weft.workflow_step_levels,
                weft.tasks, weft.steps, weft.transitions, weft.error_codes
  to weft_client;
-- Workers read the namespace list (queue names) and the error codes. Everything else a worker
-- needs is in the step message; step rows are not readable (a worker sees only its queues).
grant select on weft.namespaces, weft.error_codes to weft_worker;

-- 5. Queues. Existing tables now, the queues of namespaces created later through the default
--    privileges of the weft owner (namespace queues are created by weft's SECURITY DEFINER
--    functions, i.e. by the owner). Workers get their namespaces' queues from weft.grant_namespace.
grant select, insert, update, delete, truncate on all tables in schema pgmq to weft_admin;
grant usage, select on all sequences in schema pgmq to weft_admin;
grant select on all tables in schema pgmq to weft_monitor;
grant select on all sequences in schema pgmq to weft_monitor;
alter default privileges in schema pgmq grant select, insert, update, delete, truncate on tables to weft_admin;
alter default privileges in schema pgmq grant usage, select on sequences to weft_admin;
alter default privileges in schema pgmq grant select on tables to weft_monitor;
alter default privileges in schema pgmq grant select on sequences to weft_monitor;

-- pgmq.send = INSERT … RETURNING msg_id (msg_id is an identity column: no sequence privilege).
-- Clients send task requests; workers send step results (checked per namespace by the trigger
-- of sql/weft/068-check-namespace-writer.sql). Neither may read those queues.
grant insert, select (msg_id) on pgmq.q_orchestration_task_requests to weft_client;
grant insert, select (msg_id) on pgmq.q_orchestration_step_results to weft_worker;

-- The orchestration queues notify on insert (pgmq.enable_notify_insert in 050): the notify
-- trigger (pgmq.notify_queue_listeners) runs with the sender's rights and stamps the queue's
-- throttle row, so senders need these columns (as with upstream pgmq).
do $$
begin
  if pg_catalog.to_regclass('pgmq.notify_insert_throttle') is not null then
    grant select (queue_name, throttle_interval_ms, last_notified_at), update (last_notified_at)
      on pgmq.notify_insert_throttle to weft_client, weft_worker;
  end if;
end
$$;
