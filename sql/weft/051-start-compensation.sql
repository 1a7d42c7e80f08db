-- weft._start_compensation(task_id, processor_id) → integer (compensation steps created)
--
-- Purpose : starts a saga's compensation. For every completed step that declares a
--           `compensate` handler it creates a compensation step (kind 'compensation', name
--           'compensate:<step>', the step's args and retry policy, `compensates` = the step) and
--           orders them in reverse topological order: the compensation of X waits for the
--           compensations of every descendant of X that is compensated (weft.step_dependencies).
--           The task moves finalizing → compensating with steps_remaining = the number of
--           compensation steps; those with nothing to wait for are enqueued. When they are all
--           done the task comes back to finalizing, and weft.finalize_task ends it as error (or
--           compensation_failed when one failed for good).
-- Callers : weft.finalize_task.
-- Locks   : caller holds the task row lock and the claim.
create function weft._start_compensation(task_id uuid, processor_id text) returns integer
language plpgsql volatile
set search_path = ''
as $$
#variable_conflict use_column
declare
  v_workflow_id uuid;
  v_count integer;
  v_deps integer;
  v_roots uuid[];
begin
  select t.workflow_id into v_workflow_id from weft.tasks t where t.task_id = _start_compensation.task_id;

  with recursive compensable as (
    select s.step_id, s.name from weft.steps s
    where s.task_id = _start_compensation.task_id and s.kind = 'step' and s.state = 'complete' and s.compensate is not null
  ), reach (ancestor, descendant) as (
    select e.parent, e.child from weft.workflow_edges e where e.workflow_id = v_workflow_id
    union
    select r.ancestor, e.child from reach r join weft.workflow_edges e on e.workflow_id = v_workflow_id and e.parent = r.descendant
  ), created as (
    insert into weft.steps (task_id, name, position, kind, compensates, handler, args, max_attempts, retry, timeout_ms, heartbeat_ms, pending_parents)
    select s.task_id, 'compensate:' || s.name, 100000 + s.position, 'compensation', s.step_id, s.compensate, s.args,
           s.max_attempts, s.retry, s.timeout_ms, s.heartbeat_ms,
           (select pg_catalog.count(*) from reach r join compensable c on c.name = r.descendant where r.ancestor = s.name)::integer
    from weft.steps s join compensable c on c.step_id = s.step_id
    returning step_id, compensates
  ), deps as (
    -- compensation(X) waits for compensation(Y) for every compensable descendant Y of X
    insert into weft.step_dependencies (task_id, parent_step_id, child_step_id)
    select _start_compensation.task_id, cy.step_id, cx.step_id
    from created cx
    join weft.steps x on x.step_id = cx.compensates
    join reach r on r.ancestor = x.name
    join weft.steps y on y.task_id = _start_compensation.task_id and y.name = r.descendant and y.kind = 'step'
    join created cy on cy.compensates = y.step_id
    returning 1
  )
  select pg_catalog.count(*)::integer, (select pg_catalog.count(*)::integer from deps) into v_count, v_deps from created;

  update weft.tasks t set state = 'compensating', steps_remaining = v_count, updated_at = pg_catalog.now()
  where t.task_id = _start_compensation.task_id;
  insert into weft.transitions (entity, task_id, from_state, to_state, reason, processor_id, details)
  values ('task', _start_compensation.task_id, 'finalizing', 'compensating', 'saga_compensation', processor_id,
          pg_catalog.jsonb_build_object('compensation_steps', v_count, 'dependencies', v_deps));

  select pg_catalog.array_agg(s.step_id) into v_roots from weft.steps s
  where s.task_id = _start_compensation.task_id and s.kind = 'compensation' and s.pending_parents = 0 and s.state = 'pending';
  perform weft._enqueue_steps(v_roots, processor_id, 'compensation_started');
  return v_count;
end
$$;
