-- weft._ensure_namespace(namespace text) → void
--
-- Purpose : creates a namespace row and its PGMQ queue (named like the namespace) the first
--           time a workflow uses it, with a partial index of leased messages (read_ct > 0) that
--           weft.recover_stalled_steps scans, and its send and delete functions
--           (weft._q_send_<namespace>, weft._q_delete_<namespace>; 029-queue-functions.sql).
-- Callers : weft.register_workflow.
-- Locks   : the namespaces primary key: two first registrations at once create the queue once.
create function weft._ensure_namespace(namespace text) returns void
language plpgsql volatile
set search_path = ''
as $$
#variable_conflict use_column
declare
  v_inserted boolean;
begin
  insert into weft.namespaces (name, queue_name) values (namespace, namespace)
  on conflict (name) do nothing
  returning true into v_inserted;
  if v_inserted then
    perform pgmq.create(namespace);
    -- Leased messages (read at least once), for weft.recover_stalled_steps.
    execute pg_catalog.format('create index if not exists %I on pgmq.%I (vt) where read_ct > 0',
                              'q_' || namespace || '_leased_idx', 'q_' || namespace);
    perform weft._create_queue_functions(namespace);
  end if;
end
$$;
