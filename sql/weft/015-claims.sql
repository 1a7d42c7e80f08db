-- Finalization claims: which orchestrator processor may finalize a task, until when.
-- A row exists while a claim is held; finalize deletes it; an expired row may be taken over.
create table weft.finalization_claims (
  task_id uuid primary key references weft.tasks (task_id) on delete cascade,
  processor_id text not null,
  claimed_at timestamptz not null,
  expires_at timestamptz not null,
  takeovers integer not null default 0
);
comment on table weft.finalization_claims is 'Held finalization claims: holder (processor_id) and expiry. Read them through the view weft.claims.';

-- Counters per processor: claims attempted, won, contended (held by another), taken over (expired claim of another).
create table weft.processor_stats (
  processor_id text primary key,
  claims_attempted bigint not null default 0,
  claims_won bigint not null default 0,
  claims_contended bigint not null default 0,
  claims_taken_over bigint not null default 0,
  tasks_finalized bigint not null default 0,
  last_seen_at timestamptz not null default now()
);
comment on table weft.processor_stats is 'Per orchestrator processor counters (finalization claims, finalized tasks).';
