-- weft._ensure_namespace(namespace text) → void
--
-- Purpose : creates a namespace row and its PGMQ queue (named like the namespace) the first
--           time a workflow uses it.
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
  end if;
end
$$;
