-- Tasks: one run of a workflow.
--
-- steps_remaining counts the steps not yet complete or skipped; the transaction that brings it
-- to 0 moves the task to finalizing. It lives on the task row, so it is updated under the task
-- row lock that every state change of the task's steps takes first (lock order: task, then steps).
create table weft.tasks (
  task_id uuid primary key default weft.uuid_generate_v7(),
  workflow_id uuid not null references weft.workflows (workflow_id),
  namespace text not null references weft.namespaces (name),
  state weft.task_state not null default 'pending',
  priority smallint not null default 2 check (priority between 0 and 4),
  context jsonb not null default '{}',
  idempotency_key text,
  request_hash text not null,
  run_after timestamptz,
  steps_total integer not null default 0,
  steps_remaining integer not null default 0,
  result jsonb,
  error jsonb,
  parent_task_id uuid references weft.tasks (task_id),
  requested_by text,
  created_at timestamptz not null default now(),
  started_at timestamptz,
  finalize_requested_at timestamptz,
  finished_at timestamptz,
  updated_at timestamptz not null default now()
)
-- Room on each page for updates that touch no indexed column (steps_remaining counting down,
-- updated_at) to stay HOT: no new index entries, less to vacuum.
with (fillfactor = 80);
comment on table weft.tasks is 'Tasks (runs of a workflow). state: pending, running, finalizing, complete, error, cancelled.';
comment on column weft.tasks.priority is '0 critical, 1 high, 2 normal, 3 low, 4 background (weft.priority_name()).';
create unique index tasks_idempotency_key_idx on weft.tasks (idempotency_key) where idempotency_key is not null;
create index tasks_active_idx on weft.tasks (state, priority, task_id) where state in ('pending', 'running', 'finalizing', 'compensating');
-- Only tasks with a start time enter it: a task started at once (no run_after) is inserted
-- pending and made running in the same transaction, and would leave a dead entry per task that
-- every timer sweep (weft.fire_timers) had to step over until the next vacuum.
create index tasks_pending_run_after_idx on weft.tasks (run_after) where state = 'pending' and run_after is not null;
create index tasks_finalizing_idx on weft.tasks (finalize_requested_at) where state = 'finalizing';
create index tasks_workflow_idx on weft.tasks (workflow_id, created_at);
create index tasks_parent_idx on weft.tasks (parent_task_id) where parent_task_id is not null;
