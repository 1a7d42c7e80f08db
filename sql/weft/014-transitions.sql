-- The audit trail: one row for every state change of a task or a step.
create table weft.transitions (
  transition_id uuid primary key default weft.uuid_generate_v7(),
  entity text not null check (entity in ('task', 'step')),
  task_id uuid not null,
  step_id uuid,
  from_state text,
  to_state text not null,
  reason text not null,
  processor_id text,
  attempt integer,
  details jsonb,
  -- the moment of the change (not the transaction start), so changes made in one transaction
  -- and timers measured against them read true
  created_at timestamptz not null default clock_timestamp()
);
comment on table weft.transitions is 'Every state change of a task or step: from, to, why (reason), who (processor_id), attempt, when.';
create index transitions_task_idx on weft.transitions (task_id, transition_id);

-- Results that were not applied because their attempt had been superseded, or their task or
-- step had moved on. Kept for operators (contract 1: recorded, never applied).
create table weft.rejected_results (
  rejected_id uuid primary key default weft.uuid_generate_v7(),
  task_id uuid,
  step_id uuid not null,
  attempt integer,
  current_attempt integer,
  step_state text,
  kind text not null check (kind in ('complete', 'fail', 'heartbeat', 'checkpoint')),
  reason text not null,
  payload jsonb,
  processor_id text,
  created_at timestamptz not null default now()
);
comment on table weft.rejected_results is 'Late or stale worker reports that were recorded and not applied.';
create index rejected_results_step_idx on weft.rejected_results (step_id);
