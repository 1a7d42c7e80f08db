-- Steps: the nodes of one task's DAG, copied from the template when the task starts.
--
-- attempt is the fencing token: the number of the current (latest) attempt, 0 before the
-- first. pending_parents counts parents not yet complete; the transaction that brings it to 0
-- makes the step ready (under the task row lock, so two parents finishing at once make the
-- join ready exactly once).
create table weft.steps (
  step_id uuid primary key default weft.uuid_generate_v7(),
  task_id uuid not null references weft.tasks (task_id) on delete cascade,
  name text not null,
  position integer not null,
  kind text not null default 'step' constraint steps_kind_check check (kind in ('step', 'compensation')),
  compensates uuid references weft.steps (step_id),
  handler text not null,
  args jsonb not null default '{}',
  state weft.step_state not null default 'pending',
  attempt integer not null default 0,
  max_attempts integer not null,
  retry jsonb not null,
  timeout_ms integer,
  heartbeat_ms integer,
  compensate text,
  pending_parents integer not null,
  result jsonb,
  error jsonb,
  checkpoint jsonb,
  progress jsonb,
  msg_id bigint,
  ready_at timestamptz,
  deadline_at timestamptz,
  enqueued_at timestamptz,
  finished_at timestamptz,
  updated_at timestamptz not null default now(),
  constraint steps_task_name_key unique (task_id, name)
)
-- Room on each page for HOT updates (pending_parents counting down, checkpoints).
with (fillfactor = 80);
comment on table weft.steps is 'Steps of tasks. state: pending, enqueued, waiting_retry, complete, error, cancelled, skipped; attempt is the fencing token.';
create index steps_waiting_retry_idx on weft.steps (ready_at) where state = 'waiting_retry';
create index steps_compensates_idx on weft.steps (compensates) where compensates is not null;
create index steps_deadline_idx on weft.steps (deadline_at) where state = 'enqueued' and deadline_at is not null;

-- Dependencies between the compensation steps of a task (a saga undoes in reverse order: the
-- compensation of X waits for the compensations of X's completed descendants). Ordinary steps
-- take their dependencies from weft.workflow_edges.
create table weft.step_dependencies (
  task_id uuid not null references weft.tasks (task_id) on delete cascade,
  parent_step_id uuid not null references weft.steps (step_id) on delete cascade,
  child_step_id uuid not null references weft.steps (step_id) on delete cascade,
  primary key (child_step_id, parent_step_id)
);
create index step_dependencies_parent_idx on weft.step_dependencies (parent_step_id);
comment on table weft.step_dependencies is 'Dependencies between compensation steps (saga undo order).';
