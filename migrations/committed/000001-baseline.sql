--! Previous: -
--! Hash: sha1:d68d671ec390a936f673dfe2ccb1a7cbb0c141d7
--! Message: baseline

-- The weft schema, compiled from the files under sql/weft (one concern a file, load order by
-- number prefix). `npm run migrations:commit` compiles this file into migrations/committed/.
--! Included weft/all.sql
-- Load order of the weft schema: each file is one concern (see the header of each file).
--! Included weft/001-schema.sql
-- Schema `weft` and the record of what is installed.
--
-- Purpose : creates schema weft and weft.installation (key/value: schema_version,
--           queue_backend, migrated_at), written by `weft migrate` after each run.
-- Callers : graphile-migrate (baseline migration); read by `weft doctor`, DBAs.
-- Locks   : none beyond DDL.
create schema if not exists weft;
comment on schema weft is 'weft workflow engine: workflows, tasks, steps, claims, transitions';

create table weft.installation (
  key text primary key,
  value text not null
);
comment on table weft.installation is 'What weft migrate installed: schema_version, queue_backend, migrated_at.';
--! EndIncluded weft/001-schema.sql
--! Included weft/002-error-codes.sql
-- weft's SQLSTATEs (class WF), as a table a DBA or a polyglot worker can read.
--
-- Purpose : one place that lists every SQLSTATE weft's functions raise; docs/errors.md and
--           src/db/errors.ts carry the same list (a test keeps the three equal).
-- Callers : humans, docs; nothing reads it at run time.
create table weft.error_codes (
  sqlstate text primary key check (sqlstate ~ '^WF[0-9]{3}$'),
  name text not null unique,
  meaning text not null
);
comment on table weft.error_codes is 'SQLSTATEs raised by weft functions (class WF).';

insert into weft.error_codes (sqlstate, name, meaning) values
  ('WF001', 'invalid_argument', 'an argument is null, malformed or out of range; the message names it'),
  ('WF002', 'workflow_not_found', 'no workflow with that namespace, name (and version)'),
  ('WF003', 'workflow_invalid', 'a workflow definition failed validation (unknown dependency, duplicate step, cycle, bad retry policy, missing handler)'),
  ('WF004', 'workflow_version_conflict', 'that workflow version exists with different content; versions are immutable'),
  ('WF005', 'task_not_found', 'no task with that id'),
  ('WF006', 'step_not_found', 'no step with that id (or name in that task)'),
  ('WF007', 'stale_attempt', 'the attempt number is not the step''s current attempt; the result was recorded and not applied'),
  ('WF008', 'illegal_transition', 'the state change is not allowed from the current state'),
  ('WF009', 'idempotency_conflict', 'the idempotency key was used for a different request'),
  ('WF010', 'namespace_not_found', 'no namespace with that name'),
  ('WF011', 'claim_not_held', 'the processor does not hold the finalization claim of the task'),
  ('WF012', 'permission_denied', 'the calling role may not act on that namespace');
--! EndIncluded weft/002-error-codes.sql
--! Included weft/003-clock.sql
-- The engine's clock: every timer, backoff, deadline and expiry reads weft.now().
--
-- Purpose : one function for "now" that tests can shift (weft.clock.offset) so that backoff,
--           timeouts, delayed starts and claim expiry are tested without sleeping.
-- Callers : every weft function that compares or stores a time; tests (weft.shift_clock).
-- Locks   : none (reads one single-row table).
create table weft.clock (
  id boolean primary key default true check (id),
  offset_interval interval not null default interval '0'
);
comment on table weft.clock is 'Offset added to clock_timestamp() by weft.now(); zero in production, shifted by tests.';
insert into weft.clock (id) values (true);

-- PL/pgSQL, not SQL: a SQL function with a SET clause cannot be inlined and is planned on every
-- call; PL/pgSQL keeps its plan, and weft.now() is on the hot path of every state change.
create function weft.now() returns timestamptz
language plpgsql stable
set search_path = ''
as $$
begin
  return pg_catalog.clock_timestamp() + coalesce((select c.offset_interval from weft.clock c where c.id), interval '0');
end
$$;
comment on function weft.now() is 'The engine clock: clock_timestamp() plus the test offset in weft.clock.';

-- weft.shift_clock(by interval) → the new offset. For tests and drills only.
create function weft.shift_clock(by_interval interval) returns interval
language plpgsql volatile
set search_path = ''
as $$
#variable_conflict use_column
declare
  v_offset interval;
begin
  if by_interval is null then
    raise exception 'by_interval must not be null' using errcode = 'WF001';
  end if;
  update weft.clock set offset_interval = offset_interval + by_interval where id returning offset_interval into v_offset;
  return v_offset;
end
$$;
--! EndIncluded weft/003-clock.sql
--! Included weft/004-uuidv7.sql
-- UUIDv7 generated in SQL (PostgreSQL 15 has no builtin).
--
-- Purpose : time-ordered ids for tasks, steps and transitions (FIFO inside a priority level
--           is UUIDv7 order; the transitions of one task are read in transition_id order).
--           48-bit Unix milliseconds, version 7, then 12 bits of sub-millisecond time (RFC 9562
--           method 3, as PostgreSQL 18's uuidv7()), variant, 62 random bits. The sub-millisecond
--           bits keep ids made one after another inside one millisecond — several transitions
--           of one transaction — in the order they were made.
-- Callers : column defaults of weft tables.
-- Locks   : none.
create function weft.uuid_generate_v7() returns uuid
language plpgsql volatile parallel safe
set search_path = ''
as $$
declare
  -- µs since the epoch
  v_us bigint := (extract(epoch from pg_catalog.clock_timestamp()) * 1000000)::bigint;
begin
  -- bytes 1-6: ms since the epoch; bytes 7-8: version nibble 7 (0x7000 = 28672) + µs * 4096 / 1000;
  -- bytes 9-16 of gen_random_uuid() keep the RFC 4122 variant and the random bits.
  -- (PL/pgSQL, not SQL: a SQL function with a SET clause is planned again at every statement
  -- that calls it — as a column default, at every INSERT — while PL/pgSQL keeps its plan.)
  return pg_catalog.encode(
    overlay(pg_catalog.uuid_send(pg_catalog.gen_random_uuid())
      placing pg_catalog.int8send(((v_us / 1000) << 16) | 28672 | ((v_us % 1000) * 4096 / 1000))
      from 1 for 8),
    'hex')::uuid;
end
$$;
comment on function weft.uuid_generate_v7() is 'A version-7 (time-ordered) UUID with sub-millisecond ordering.';
--! EndIncluded weft/004-uuidv7.sql
--! Included weft/005-types.sql
-- State enums and priority names.
--
-- Task states (docs/architecture.md has the diagram):
--   pending     requested, waiting for its run_after time
--   running     steps are being made ready and worked
--   finalizing  no more work to start: every step finished, or one failed for good, or it was
--               cancelled while steps ran; waiting for an orchestrator to claim and finalize it
--   compensating  it failed; completed steps that declare a compensation handler are being
--                 undone, in reverse topological order (saga)
--   complete | error | cancelled | compensation_failed   terminal (compensation_failed: a
--                 compensation step failed for good — the saga could not be fully undone)
-- Step states:
--   pending        waiting for its parents
--   enqueued       its message is in the namespace queue (waiting for, or held by, a worker)
--   waiting_retry  an attempt failed; the next one starts at ready_at
--   complete | error | cancelled | skipped   terminal
create type weft.task_state as enum ('pending', 'running', 'finalizing', 'complete', 'error', 'cancelled', 'compensating', 'compensation_failed');
create type weft.step_state as enum ('pending', 'enqueued', 'waiting_retry', 'complete', 'error', 'cancelled', 'skipped');

-- Priorities: five named levels stored 0..4; lower runs sooner.
create function weft.priority_value(priority_name text) returns smallint
language plpgsql immutable
set search_path = ''
as $$
#variable_conflict use_column
begin
  return case coalesce(priority_name, 'normal')
    when 'critical' then 0 when 'high' then 1 when 'normal' then 2 when 'low' then 3 when 'background' then 4
    else null end;
end
$$;

create function weft.priority_name(priority_value smallint) returns text
language sql immutable
set search_path = ''
as $$
  select (array['critical', 'high', 'normal', 'low', 'background'])[priority_value + 1]
$$;
--! EndIncluded weft/005-types.sql
--! Included weft/010-namespaces.sql
-- Namespaces: groups of workflows and the unit of worker routing. Each has one PGMQ queue
-- named like the namespace, created with the namespace's first workflow.
--
-- Callers : weft._ensure_namespace (from weft.register_workflow); workers read queue_name.
create table weft.namespaces (
  name text primary key
    constraint namespaces_name_format check (name ~ '^[a-z][a-z0-9_]{0,46}$'),
  queue_name text not null unique,
  created_at timestamptz not null default now()
);
comment on table weft.namespaces is 'Namespaces; queue_name is the PGMQ queue workers read for its steps.';
--! EndIncluded weft/010-namespaces.sql
--! Included weft/011-workflows.sql
-- Workflow templates as data: workflows (namespace + name + version, immutable), their steps
-- and their edges. Written only by weft.register_workflow, read by any language.
create table weft.workflows (
  workflow_id uuid primary key default weft.uuid_generate_v7(),
  namespace text not null references weft.namespaces (name),
  name text not null constraint workflows_name_format check (name ~ '^[A-Za-z][A-Za-z0-9_.-]{0,127}$'),
  version text not null constraint workflows_version_format check (version ~ '^[0-9A-Za-z][0-9A-Za-z.+_-]{0,63}$'),
  description text,
  definition jsonb not null,
  content_hash text not null,
  created_at timestamptz not null default now(),
  constraint workflows_namespace_name_version_key unique (namespace, name, version)
);
comment on table weft.workflows is 'Workflow templates; a version is immutable (content_hash of its normalized definition).';
create index workflows_latest_idx on weft.workflows (namespace, name, created_at desc);

create table weft.workflow_steps (
  workflow_id uuid not null references weft.workflows (workflow_id) on delete cascade,
  name text not null,
  position integer not null,
  handler text not null,
  args jsonb not null default '{}',
  retry jsonb not null,
  timeout_ms integer,
  heartbeat_ms integer,
  compensate text,
  primary key (workflow_id, name)
);
comment on table weft.workflow_steps is 'Steps of a workflow template, with handler, static args, normalized retry policy, timeout and compensation handler.';

create table weft.workflow_edges (
  workflow_id uuid not null references weft.workflows (workflow_id) on delete cascade,
  parent text not null,
  child text not null,
  primary key (workflow_id, child, parent),
  foreign key (workflow_id, parent) references weft.workflow_steps (workflow_id, name),
  foreign key (workflow_id, child) references weft.workflow_steps (workflow_id, name)
);
create index workflow_edges_parent_idx on weft.workflow_edges (workflow_id, parent);
comment on table weft.workflow_edges is 'Dependencies: child runs after parent completes.';
--! EndIncluded weft/011-workflows.sql
--! Included weft/012-tasks.sql
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
--! EndIncluded weft/012-tasks.sql
--! Included weft/013-steps.sql
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
--! EndIncluded weft/013-steps.sql
--! Included weft/014-transitions.sql
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
--! EndIncluded weft/014-transitions.sql
--! Included weft/015-claims.sql
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
--! EndIncluded weft/015-claims.sql
--! Included weft/016-dead-letters.sql
-- Dead letters: queue messages weft could not use (malformed, unknown workflow/task/step).
-- The message itself is also archived in its queue's a-table (pgmq.a_<queue>); nothing is dropped.
create table weft.dead_letters (
  dead_letter_id uuid primary key default weft.uuid_generate_v7(),
  queue_name text not null,
  msg_id bigint not null,
  message jsonb,
  reason text not null,
  sqlstate text,
  processor_id text,
  created_at timestamptz not null default now()
);
comment on table weft.dead_letters is 'Queue messages that could not be processed, with the reason; the message is archived in pgmq.a_<queue>.';
create index dead_letters_queue_idx on weft.dead_letters (queue_name, created_at);
--! EndIncluded weft/016-dead-letters.sql
--! Included weft/017-wakeups.sql
-- Wake-up throttle: when each NOTIFY channel/payload pair was last sent (weft._wake).
--
-- Why: PostgreSQL serializes the commits of every transaction that sent a NOTIFY (the notify
-- queue's lock is held through the commit's WAL flush), so a NOTIFY in every step report caps
-- the whole engine at one commit per fsync. weft sends a wake-up only when the same one was not
-- sent in the last weft._wake_window_ms() ms; listeners poll once more that long after a
-- wake-up, so nothing waits for the fallback poll. One small row per (channel, payload), updated
-- at most once per window: HOT updates in place (fillfactor 50).
create table weft.wakeups (
  channel text not null,
  payload text not null,
  notified_at timestamptz not null,
  primary key (channel, payload)
) with (fillfactor = 50);
comment on table weft.wakeups is 'When each NOTIFY wake-up (channel, payload) was last sent; weft._wake sends one per window at most.';
--! EndIncluded weft/017-wakeups.sql
--! Included weft/020-normalize-retry.sql
-- weft._normalize_retry(policy jsonb, step_name text) → jsonb
--
-- Purpose : validates a step's retry policy and fills in defaults, giving the record every
--           other function relies on: {strategy, base_ms, multiplier, max_ms, jitter,
--           max_attempts, retry_on, dont_retry_on}. A string names a preset (none, aggressive,
--           standard, conservative). `backoff` is accepted as an alias of `strategy` (the
--           scenario format).
-- Callers : weft._validate_workflow.
-- Errors  : WF003 naming the step, the key and the bad value.
create function weft._normalize_retry(policy jsonb, step_name text) returns jsonb
language plpgsql immutable
set search_path = ''
as $$
#variable_conflict use_column
declare
  v_policy jsonb := coalesce(policy, '{}'::jsonb);
  v_out jsonb;
  v_key text;
  v_allowed text[] := array['strategy', 'backoff', 'base_ms', 'multiplier', 'max_ms', 'jitter', 'max_attempts', 'retry_on', 'dont_retry_on'];
  v_num numeric;
begin
  if pg_catalog.jsonb_typeof(v_policy) = 'string' then
    v_policy := case v_policy #>> '{}'
      when 'none' then '{"max_attempts": 1}'::jsonb
      when 'aggressive' then '{"strategy": "exponential", "base_ms": 100, "max_ms": 10000, "max_attempts": 5, "jitter": true}'::jsonb
      when 'standard' then '{"strategy": "exponential", "base_ms": 1000, "max_ms": 300000, "max_attempts": 3, "jitter": true}'::jsonb
      when 'conservative' then '{"strategy": "exponential", "base_ms": 5000, "max_ms": 600000, "max_attempts": 10, "jitter": true}'::jsonb
      else null end;
    if v_policy is null then
      raise exception 'step "%": unknown retry preset %', step_name, policy
        using errcode = 'WF003', hint = 'Use one of none, aggressive, standard, conservative, or an object.';
    end if;
  end if;
  if pg_catalog.jsonb_typeof(v_policy) <> 'object' then
    raise exception 'step "%": retry must be an object or a preset name, got %', step_name, policy using errcode = 'WF003';
  end if;
  for v_key in select pg_catalog.jsonb_object_keys(v_policy) loop
    if not v_key = any (v_allowed) then
      raise exception 'step "%": unknown retry key "%"', step_name, v_key
        using errcode = 'WF003', hint = 'Allowed keys: ' || pg_catalog.array_to_string(v_allowed, ', ');
    end if;
  end loop;

  v_out := pg_catalog.jsonb_build_object(
    'strategy', coalesce(v_policy ->> 'strategy', v_policy ->> 'backoff', 'exponential'),
    'base_ms', coalesce(v_policy -> 'base_ms', '1000'),
    'multiplier', coalesce(v_policy -> 'multiplier', '2'),
    'max_ms', coalesce(v_policy -> 'max_ms', '300000'),
    'jitter', coalesce(v_policy -> 'jitter', 'false'),
    'max_attempts', coalesce(v_policy -> 'max_attempts', '3'),
    'retry_on', coalesce(v_policy -> 'retry_on', '[]'),
    'dont_retry_on', coalesce(v_policy -> 'dont_retry_on', '[]'));

  if not (v_out ->> 'strategy') = any (array['fixed', 'linear', 'exponential', 'random']) then
    raise exception 'step "%": retry strategy must be fixed, linear, exponential or random, got %', step_name, v_out -> 'strategy' using errcode = 'WF003';
  end if;
  foreach v_key in array array['base_ms', 'multiplier', 'max_ms', 'max_attempts'] loop
    if pg_catalog.jsonb_typeof(v_out -> v_key) <> 'number' then
      raise exception 'step "%": retry.% must be a number, got %', step_name, v_key, v_out -> v_key using errcode = 'WF003';
    end if;
    v_num := (v_out ->> v_key)::numeric;
    if v_num < 0 or (v_key = 'max_attempts' and (v_num < 1 or v_num > 1000 or v_num <> pg_catalog.trunc(v_num)))
       or (v_key = 'multiplier' and v_num < 1) then
      raise exception 'step "%": retry.% is out of range: %', step_name, v_key, v_out -> v_key
        using errcode = 'WF003', hint = 'max_attempts is a whole number from 1 to 1000 (it counts the first run); base_ms and max_ms are >= 0; multiplier >= 1.';
    end if;
  end loop;
  if (v_out ->> 'max_ms')::numeric < (v_out ->> 'base_ms')::numeric then
    raise exception 'step "%": retry.max_ms (%) is below retry.base_ms (%)', step_name, v_out -> 'max_ms', v_out -> 'base_ms' using errcode = 'WF003';
  end if;
  if pg_catalog.jsonb_typeof(v_out -> 'jitter') not in ('boolean', 'number')
     or (pg_catalog.jsonb_typeof(v_out -> 'jitter') = 'number' and ((v_out ->> 'jitter')::numeric < 0 or (v_out ->> 'jitter')::numeric > 1)) then
    raise exception 'step "%": retry.jitter must be true, false or a fraction from 0 to 1, got %', step_name, v_out -> 'jitter' using errcode = 'WF003';
  end if;
  foreach v_key in array array['retry_on', 'dont_retry_on'] loop
    if pg_catalog.jsonb_typeof(v_out -> v_key) <> 'array'
       or exists (select 1 from pg_catalog.jsonb_array_elements(v_out -> v_key) e where pg_catalog.jsonb_typeof(e) <> 'string') then
      raise exception 'step "%": retry.% must be an array of error codes or names, got %', step_name, v_key, v_out -> v_key using errcode = 'WF003';
    end if;
  end loop;
  return v_out;
end
$$;
--! EndIncluded weft/020-normalize-retry.sql
--! Included weft/021-retry-delay.sql
-- weft.retry_delay_ms(policy jsonb, failed_attempt integer) → bigint
--
-- Purpose : the wait before the attempt after `failed_attempt` (1 = the first run failed), from a
--           normalized retry policy: fixed base; linear base*n; exponential base*multiplier^(n-1);
--           random uniform in [base, max]; capped at max_ms; jitter true takes up to half off
--           ("equal jitter"), a fraction j takes up to j off.
-- Callers : weft.fail_step, the timeout sweep (weft.fire_timers).
create function weft.retry_delay_ms(policy jsonb, failed_attempt integer) returns bigint
language plpgsql volatile
set search_path = ''
as $$
#variable_conflict use_column
declare
  v_base numeric := (policy ->> 'base_ms')::numeric;
  v_max numeric := (policy ->> 'max_ms')::numeric;
  v_mult numeric := coalesce((policy ->> 'multiplier')::numeric, 2);
  v_n integer := greatest(coalesce(failed_attempt, 1), 1);
  v_delay numeric;
  v_jitter numeric;
begin
  v_delay := case policy ->> 'strategy'
    when 'fixed' then v_base
    when 'linear' then v_base * v_n
    when 'random' then v_base + pg_catalog.random() * (v_max - v_base)
    else v_base * pg_catalog.power(v_mult, least(v_n - 1, 60))
  end;
  v_delay := least(v_delay, v_max);
  v_jitter := case pg_catalog.jsonb_typeof(policy -> 'jitter')
    when 'boolean' then case when (policy ->> 'jitter')::boolean then 0.5 else 0 end
    when 'number' then (policy ->> 'jitter')::numeric
    else 0 end;
  if v_jitter > 0 then
    v_delay := v_delay * (1 - v_jitter * pg_catalog.random());
  end if;
  return pg_catalog.round(v_delay)::bigint;
end
$$;
--! EndIncluded weft/021-retry-delay.sql
--! Included weft/022-validate-workflow.sql
-- weft._validate_workflow(definition jsonb) → jsonb (the normalized definition)
--
-- Purpose : the authority on what a valid workflow is. Checks shape and names, handlers,
--           dependencies (unknown, duplicate, self), retry policies (weft._normalize_retry),
--           timeouts, and cycles — a cycle's error names its path (a -> b -> c -> a).
--           Returns {namespace, name, version, description, steps: [...]} with every step
--           normalized ({name, handler, args, depends_on, retry, timeout_ms, compensate}).
-- Callers : weft.register_workflow.
-- Errors  : WF001 when the definition is not an object; WF003 for everything else, naming
--           the step and the bad value.
create function weft._validate_workflow(definition jsonb) returns jsonb
language plpgsql immutable
set search_path = ''
as $$
#variable_conflict use_column
declare
  v_step jsonb;
  v_steps jsonb := '[]'::jsonb;
  v_names text[] := '{}';
  v_name text;
  v_dep jsonb;
  v_deps text[];
  v_key text;
  v_step_keys text[] := array['name', 'handler', 'args', 'depends_on', 'retry', 'timeout_ms', 'heartbeat_ms', 'compensate', 'description'];
  v_top_keys text[] := array['namespace', 'name', 'version', 'description', 'steps'];
  v_edges text[][] := '{}';
  v_remaining text[];
  v_ready text[];
  v_cycle text[];
  v_cur text;
  v_next text;
  v_version text;
begin
  if definition is null or pg_catalog.jsonb_typeof(definition) <> 'object' then
    raise exception 'workflow definition must be a JSON object, got %', coalesce(pg_catalog.jsonb_typeof(definition), 'null')
      using errcode = 'WF001';
  end if;
  for v_key in select pg_catalog.jsonb_object_keys(definition) loop
    if not v_key = any (v_top_keys) then
      raise exception 'workflow definition has unknown key "%"', v_key
        using errcode = 'WF003', hint = 'Allowed keys: ' || pg_catalog.array_to_string(v_top_keys, ', ');
    end if;
  end loop;
  if pg_catalog.jsonb_typeof(definition -> 'namespace') is distinct from 'string'
     or (definition ->> 'namespace') !~ '^[a-z][a-z0-9_]{0,46}$' then
    raise exception 'workflow namespace must match ^[a-z][a-z0-9_]{0,46}$, got %', coalesce((definition -> 'namespace')::text, 'nothing')
      using errcode = 'WF003';
  end if;
  if pg_catalog.jsonb_typeof(definition -> 'name') is distinct from 'string'
     or (definition ->> 'name') !~ '^[A-Za-z][A-Za-z0-9_.-]{0,127}$' then
    raise exception 'workflow name must match ^[A-Za-z][A-Za-z0-9_.-]{0,127}$, got %', coalesce((definition -> 'name')::text, 'nothing')
      using errcode = 'WF003';
  end if;
  v_version := case pg_catalog.jsonb_typeof(definition -> 'version')
    when 'string' then definition ->> 'version' when 'number' then definition ->> 'version' else null end;
  if v_version is null or v_version !~ '^[0-9A-Za-z][0-9A-Za-z.+_-]{0,63}$' then
    raise exception 'workflow "%" version must be a string like 1.0.0, got %', definition ->> 'name', coalesce((definition -> 'version')::text, 'nothing')
      using errcode = 'WF003';
  end if;
  if pg_catalog.jsonb_typeof(definition -> 'steps') is distinct from 'array' or pg_catalog.jsonb_array_length(definition -> 'steps') = 0 then
    raise exception 'workflow "%" must have a non-empty steps array', definition ->> 'name' using errcode = 'WF003';
  end if;
  if pg_catalog.jsonb_array_length(definition -> 'steps') > 10000 then
    raise exception 'workflow "%" has % steps; at most 10000 are allowed', definition ->> 'name', pg_catalog.jsonb_array_length(definition -> 'steps')
      using errcode = 'WF003';
  end if;

  -- Guard: each step's own fields.
  for v_step in select e from pg_catalog.jsonb_array_elements(definition -> 'steps') e loop
    if pg_catalog.jsonb_typeof(v_step) <> 'object' then
      raise exception 'workflow "%": every step must be an object, got %', definition ->> 'name', v_step using errcode = 'WF003';
    end if;
    v_name := v_step ->> 'name';
    if pg_catalog.jsonb_typeof(v_step -> 'name') is distinct from 'string' or v_name !~ '^[A-Za-z_][A-Za-z0-9_-]{0,63}$' then
      raise exception 'workflow "%": step name must match ^[A-Za-z_][A-Za-z0-9_-]{0,63}$, got %', definition ->> 'name', coalesce((v_step -> 'name')::text, 'nothing')
        using errcode = 'WF003';
    end if;
    if v_name = any (v_names) then
      raise exception 'workflow "%": duplicate step name "%"', definition ->> 'name', v_name using errcode = 'WF003';
    end if;
    v_names := v_names || v_name;
    for v_key in select pg_catalog.jsonb_object_keys(v_step) loop
      if not v_key = any (v_step_keys) then
        raise exception 'step "%": unknown key "%"', v_name, v_key
          using errcode = 'WF003', hint = 'Allowed keys: ' || pg_catalog.array_to_string(v_step_keys, ', ');
      end if;
    end loop;
    if pg_catalog.jsonb_typeof(v_step -> 'handler') is distinct from 'string' or pg_catalog.btrim(v_step ->> 'handler') = '' then
      raise exception 'step "%" has no handler name', v_name using errcode = 'WF003', hint = 'Every step needs "handler": the name a worker registers.';
    end if;
    if (v_step ->> 'handler') !~ '^[A-Za-z_][A-Za-z0-9_.:-]{0,127}$' then
      raise exception 'step "%": handler name % has characters outside [A-Za-z0-9_.:-]', v_name, v_step -> 'handler' using errcode = 'WF003';
    end if;
    if v_step ? 'compensate' and pg_catalog.jsonb_typeof(v_step -> 'compensate') <> 'null'
       and (pg_catalog.jsonb_typeof(v_step -> 'compensate') <> 'string' or (v_step ->> 'compensate') !~ '^[A-Za-z_][A-Za-z0-9_.:-]{0,127}$') then
      raise exception 'step "%": compensate must be a handler name, got %', v_name, v_step -> 'compensate' using errcode = 'WF003';
    end if;
    if v_step ? 'args' and pg_catalog.jsonb_typeof(v_step -> 'args') not in ('object', 'null') then
      raise exception 'step "%": args must be an object, got %', v_name, v_step -> 'args' using errcode = 'WF003';
    end if;
    if v_step ? 'timeout_ms' and pg_catalog.jsonb_typeof(v_step -> 'timeout_ms') <> 'null'
       and (pg_catalog.jsonb_typeof(v_step -> 'timeout_ms') <> 'number' or (v_step ->> 'timeout_ms')::numeric <= 0
            or (v_step ->> 'timeout_ms')::numeric > 2147483647 or (v_step ->> 'timeout_ms')::numeric <> pg_catalog.trunc((v_step ->> 'timeout_ms')::numeric)) then
      raise exception 'step "%": timeout_ms must be a positive whole number of milliseconds, got %', v_name, v_step -> 'timeout_ms' using errcode = 'WF003';
    end if;
    if v_step ? 'heartbeat_ms' and pg_catalog.jsonb_typeof(v_step -> 'heartbeat_ms') <> 'null'
       and (pg_catalog.jsonb_typeof(v_step -> 'heartbeat_ms') <> 'number' or (v_step ->> 'heartbeat_ms')::numeric < 1000
            or (v_step ->> 'heartbeat_ms')::numeric > 3600000 or (v_step ->> 'heartbeat_ms')::numeric <> pg_catalog.trunc((v_step ->> 'heartbeat_ms')::numeric)) then
      raise exception 'step "%": heartbeat_ms must be a whole number of milliseconds from 1000 to 3600000, got %', v_name, v_step -> 'heartbeat_ms'
        using errcode = 'WF003', hint = 'The lease of an attempt is three heartbeats: a worker that misses three is taken for dead.';
    end if;
    if v_step ? 'depends_on' and pg_catalog.jsonb_typeof(v_step -> 'depends_on') not in ('array', 'null') then
      raise exception 'step "%": depends_on must be an array of step names, got %', v_name, v_step -> 'depends_on' using errcode = 'WF003';
    end if;
  end loop;

  -- Guard: dependencies name existing steps, once each, never the step itself.
  for v_step in select e from pg_catalog.jsonb_array_elements(definition -> 'steps') e loop
    v_name := v_step ->> 'name';
    v_deps := '{}';
    for v_dep in select e from pg_catalog.jsonb_array_elements(coalesce(nullif(v_step -> 'depends_on', 'null'::jsonb), '[]'::jsonb)) e loop
      if pg_catalog.jsonb_typeof(v_dep) <> 'string' then
        raise exception 'step "%": depends_on entries must be step names, got %', v_name, v_dep using errcode = 'WF003';
      end if;
      if (v_dep #>> '{}') = v_name then
        raise exception 'step "%" depends on itself', v_name using errcode = 'WF003';
      end if;
      if not (v_dep #>> '{}') = any (v_names) then
        raise exception 'step "%" depends on unknown step "%"', v_name, v_dep #>> '{}' using errcode = 'WF003';
      end if;
      if (v_dep #>> '{}') = any (v_deps) then
        raise exception 'step "%" lists dependency "%" twice', v_name, v_dep #>> '{}' using errcode = 'WF003';
      end if;
      v_deps := v_deps || (v_dep #>> '{}');
      v_edges := v_edges || array[array[v_dep #>> '{}', v_name]];
    end loop;
    v_steps := v_steps || pg_catalog.jsonb_build_array(pg_catalog.jsonb_build_object(
      'name', v_name,
      'handler', v_step ->> 'handler',
      'args', coalesce(nullif(v_step -> 'args', 'null'::jsonb), '{}'::jsonb),
      'depends_on', pg_catalog.to_jsonb(v_deps),
      'retry', weft._normalize_retry(v_step -> 'retry', v_name),
      'timeout_ms', coalesce(v_step -> 'timeout_ms', 'null'::jsonb),
      'heartbeat_ms', coalesce(v_step -> 'heartbeat_ms', 'null'::jsonb),
      'compensate', coalesce(v_step -> 'compensate', 'null'::jsonb),
      'description', coalesce(v_step -> 'description', 'null'::jsonb)));
  end loop;

  -- Guard: no cycles (Kahn's algorithm); on failure walk parent links to print one cycle.
  v_remaining := v_names;
  loop
    select coalesce(pg_catalog.array_agg(n), '{}') into v_ready
    from pg_catalog.unnest(v_remaining) n
    where not exists (
      select 1 from pg_catalog.generate_subscripts(v_edges, 1) i
      where v_edges[i][2] = n and v_edges[i][1] = any (v_remaining));
    exit when pg_catalog.cardinality(v_ready) = 0;
    v_remaining := array(select n from pg_catalog.unnest(v_remaining) n where not n = any (v_ready));
  end loop;
  if pg_catalog.cardinality(v_remaining) > 0 then
    -- every remaining step has a remaining parent: follow parents until a step repeats
    v_cur := v_remaining[1];
    v_cycle := array[v_cur];
    loop
      select v_edges[i][1] into v_next
      from pg_catalog.generate_subscripts(v_edges, 1) i
      where v_edges[i][2] = v_cur and v_edges[i][1] = any (v_remaining)
      order by v_edges[i][1] limit 1;
      if v_next = any (v_cycle) then
        v_cycle := v_cycle[pg_catalog.array_position(v_cycle, v_next):] || v_next;
        exit;
      end if;
      v_cycle := v_cycle || v_next;
      v_cur := v_next;
    end loop;
    -- v_cycle follows child -> parent; print it in dependency order parent -> child
    v_cycle := array(select v_cycle[i] from pg_catalog.generate_subscripts(v_cycle, 1) i order by i desc);
    raise exception 'workflow "%" has a cycle: %', definition ->> 'name', pg_catalog.array_to_string(v_cycle, ' -> ')
      using errcode = 'WF003', detail = 'Steps on the cycle: ' || pg_catalog.array_to_string(v_cycle[1:pg_catalog.cardinality(v_cycle) - 1], ', ');
  end if;

  return pg_catalog.jsonb_build_object(
    'namespace', definition ->> 'namespace',
    'name', definition ->> 'name',
    'version', v_version,
    'description', coalesce(definition -> 'description', 'null'::jsonb),
    'steps', v_steps);
end
$$;
--! EndIncluded weft/022-validate-workflow.sql
--! Included weft/023-ensure-namespace.sql
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
--! EndIncluded weft/023-ensure-namespace.sql
--! Included weft/024-register-workflow.sql
-- weft.register_workflow(definition jsonb) → uuid (the workflow_id)
--
-- Purpose : stores a workflow template (validated and normalized by weft._validate_workflow)
--           in weft.workflows / workflow_steps / workflow_edges, creating its namespace and
--           queue on first use. Versions are immutable: the same content again is a no-op that
--           returns the existing id; different content under an existing version is an error.
-- Callers : `weft workflows apply`, the TS client (Weft.registerWorkflow), any SQL client.
-- Locks   : an advisory transaction lock on (namespace, name, version) so that concurrent
--           registrations of one version serialize.
-- Errors  : WF001 / WF003 from validation; WF004 version exists with other content.
--
-- Example : select weft.register_workflow('{"namespace":"math","name":"double","version":"1",
--             "steps":[{"name":"a","handler":"double"}]}');
create function weft.register_workflow(definition jsonb) returns uuid
language plpgsql volatile
set search_path = ''
as $$
#variable_conflict use_column
declare
  v_def jsonb := weft._validate_workflow(definition);
  v_hash text := pg_catalog.md5(v_def::text);
  v_existing record;
  v_workflow_id uuid;
begin
  perform pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtextextended(
    'weft.workflow:' || (v_def ->> 'namespace') || '/' || (v_def ->> 'name') || '@' || (v_def ->> 'version'), 0));
  select w.workflow_id, w.content_hash into v_existing
  from weft.workflows w
  where w.namespace = v_def ->> 'namespace' and w.name = v_def ->> 'name' and w.version = v_def ->> 'version';
  if found then
    if v_existing.content_hash = v_hash then
      return v_existing.workflow_id;
    end if;
    raise exception 'workflow %/% version % already exists with different content', v_def ->> 'namespace', v_def ->> 'name', v_def ->> 'version'
      using errcode = 'WF004', hint = 'Versions are immutable: register the change under a new version.';
  end if;

  perform weft._ensure_namespace(v_def ->> 'namespace');
  insert into weft.workflows (namespace, name, version, description, definition, content_hash)
  values (v_def ->> 'namespace', v_def ->> 'name', v_def ->> 'version', v_def ->> 'description', v_def, v_hash)
  returning workflow_id into v_workflow_id;

  insert into weft.workflow_steps (workflow_id, name, position, handler, args, retry, timeout_ms, heartbeat_ms, compensate)
  select v_workflow_id, s ->> 'name', (o - 1)::integer, s ->> 'handler', s -> 'args', s -> 'retry',
         (s ->> 'timeout_ms')::integer, (s ->> 'heartbeat_ms')::integer, s ->> 'compensate'
  from pg_catalog.jsonb_array_elements(v_def -> 'steps') with ordinality as t (s, o);

  insert into weft.workflow_edges (workflow_id, parent, child)
  select v_workflow_id, d #>> '{}', s ->> 'name'
  from pg_catalog.jsonb_array_elements(v_def -> 'steps') s,
       pg_catalog.jsonb_array_elements(s -> 'depends_on') d;

  return v_workflow_id;
end
$$;
--! EndIncluded weft/024-register-workflow.sql
--! Included weft/026-wake.sql
-- weft._wake_window_ms() → integer
-- weft._wake(channel text, payload text) → boolean (whether a NOTIFY was sent)
--
-- Purpose : the throttled NOTIFY every engine wake-up goes through (weft_steps per namespace,
--           weft_orchestrator). Sends pg_notify(channel, payload) unless the same wake-up was
--           sent in the last weft._wake_window_ms() ms (20) or another transaction is sending
--           it right now (its row is locked: SKIP LOCKED, never wait). Listeners (worker SDK,
--           orchestrator) read again window + a margin after each wake-up they receive, so a
--           message whose own wake-up was suppressed is still read within about one window.
--           Worst case, a suppressed wake-up whose transaction commits long after the window
--           is found by the listeners' fallback poll (poll interval, default 1 s).
-- Callers : weft._enqueue_steps, weft._request_finalization, weft.release_step, timer-setting
--           functions (request_task with run_after, fail_step, retry_step).
-- Locks   : the weft.wakeups row, only when the window has passed (SKIP LOCKED); for the first
--           wake-up of a pair, a transaction-level advisory lock (try, never wait) on
--           (hashtext('weft._wake'), hashtext(channel || '/' || payload)).
-- Errors  : none (null channel or payload: nothing is sent).
create function weft._wake_window_ms() returns integer
language sql immutable parallel safe
set search_path = ''
as $$ select 20 $$;

create function weft._wake(channel text, payload text) returns boolean
language plpgsql volatile
set search_path = ''
as $$
#variable_conflict use_column
declare
  v_now timestamptz := pg_catalog.clock_timestamp();
  v_window interval := weft._wake_window_ms() * interval '1 millisecond';
  v_last timestamptz;
begin
  if channel is null or payload is null then
    return false;
  end if;
  -- Fast path, no lock: the committed row says a wake-up went out within the window.
  select w.notified_at into v_last from weft.wakeups w where w.channel = _wake.channel and w.payload = _wake.payload;
  if found and v_last > v_now - v_window then
    return false;
  end if;
  if not found then
    -- First wake-up of this pair. Another transaction inserting the same row right now would
    -- make ON CONFLICT wait for it: the advisory lock says it is there, and it will notify.
    if not pg_catalog.pg_try_advisory_xact_lock(pg_catalog.hashtext('weft._wake'), pg_catalog.hashtext(channel || '/' || payload)) then
      return false;
    end if;
    insert into weft.wakeups (channel, payload, notified_at) values (channel, payload, v_now) on conflict do nothing;
    if found then
      perform pg_catalog.pg_notify(channel, payload);
      return true;
    end if;
  end if;
  -- The window has passed: take the row unless another transaction has it (it will notify).
  perform 1 from weft.wakeups w where w.channel = _wake.channel and w.payload = _wake.payload for no key update skip locked;
  if not found then
    return false;
  end if;
  update weft.wakeups w set notified_at = v_now
  where w.channel = _wake.channel and w.payload = _wake.payload and w.notified_at <= v_now - v_window;
  if found then
    perform pg_catalog.pg_notify(channel, payload);
    return true;
  end if;
  return false;
end
$$;
--! EndIncluded weft/026-wake.sql
--! Included weft/029-queue-functions.sql
-- weft._create_queue_functions(namespace text) → void
--
-- Purpose : makes the two functions weft writes a namespace's PGMQ queue table
--           (pgmq.q_<namespace>) with, as static SQL:
--             weft."_q_send_<namespace>"(messages jsonb[]) → (step_ids uuid[], msg_ids bigint[])
--               inserts the messages in array order, visible at once, and returns their step
--               ids and msg_ids (weft._enqueue_steps);
--             weft."_q_delete_<namespace>"(msg_ids bigint[]) → integer (rows deleted)
--               deletes the reported steps' messages (weft.complete_steps).
--           The queue table's name varies with the namespace, so a shared function could only
--           use dynamic SQL, which PostgreSQL parses and plans again at every call (about a
--           fifth of a single request); a function per namespace holds static SQL, whose plan
--           PL/pgSQL keeps for the session. The delete looks messages up by primary key with
--           sequential scans off: its plan is kept, and a plan made while the queue was empty
--           must not scan it once it holds a backlog. A queue table dropped and made again is
--           planned again. Replaces the functions if they exist. Not executable by PUBLIC: they
--           run inside weft's SECURITY DEFINER functions.
-- Callers : weft._ensure_namespace (a namespace's first workflow); the migration, for
--           namespaces made before it.
-- Locks   : none beyond CREATE FUNCTION's.
-- Errors  : WF001 a namespace that is not registered.
create function weft._create_queue_functions(namespace text) returns void
language plpgsql volatile
set search_path = ''
as $$
declare
  v_send text := '_q_send_' || namespace;
  v_delete text := '_q_delete_' || namespace;
  v_table text := 'q_' || namespace;
begin
  if not exists (select 1 from weft.namespaces n where n.name = _create_queue_functions.namespace) then
    raise exception 'namespace "%" is not registered', coalesce(namespace, 'null') using errcode = 'WF001';
  end if;
  execute pg_catalog.format($ddl$
    create or replace function weft.%1$I(messages jsonb[], out step_ids uuid[], out msg_ids bigint[])
    language plpgsql volatile
    set search_path = ''
    as $fn$
    begin
      with sent as (
        insert into pgmq.%2$I (vt, message)
        select pg_catalog.clock_timestamp(), u.m from pg_catalog.unnest(messages) with ordinality as u (m, i) order by u.i
        returning msg_id, (message ->> 'step_id')::uuid as step_id
      )
      select pg_catalog.array_agg(sent.step_id), pg_catalog.array_agg(sent.msg_id) into step_ids, msg_ids from sent;
    end
    $fn$
  $ddl$, v_send, v_table);
  execute pg_catalog.format($ddl$
    create or replace function weft.%1$I(msg_ids bigint[]) returns integer
    language plpgsql volatile
    set search_path = ''
    set enable_seqscan = off
    as $fn$
    declare
      v_count integer;
    begin
      delete from pgmq.%2$I q where q.msg_id = any (msg_ids);
      get diagnostics v_count = row_count;
      return v_count;
    end
    $fn$
  $ddl$, v_delete, v_table);
  execute pg_catalog.format('comment on function weft.%I(jsonb[]) is %L', v_send,
                            'Sends step messages to the PGMQ queue of namespace ' || namespace || ' (made by weft._create_queue_functions).');
  execute pg_catalog.format('comment on function weft.%I(bigint[]) is %L', v_delete,
                            'Deletes messages from the PGMQ queue of namespace ' || namespace || ' (made by weft._create_queue_functions).');
  execute pg_catalog.format('revoke execute on function weft.%I(jsonb[]) from public', v_send);
  execute pg_catalog.format('revoke execute on function weft.%I(bigint[]) from public', v_delete);
end
$$;
comment on function weft._create_queue_functions(text) is 'Makes weft._q_send_<namespace>(jsonb[]) and weft._q_delete_<namespace>(bigint[]), the static-SQL writers of a namespace''s queue.';

-- Namespaces made before this function existed get theirs.
do $$
declare
  v_name text;
begin
  for v_name in select n.name from weft.namespaces n order by n.name loop
    perform weft._create_queue_functions(v_name);
  end loop;
end
$$;
--! EndIncluded weft/029-queue-functions.sql
--! Included weft/030-enqueue-steps.sql
-- weft._enqueue_steps(step_ids uuid[], processor_id text, reason text) → integer (steps enqueued)
--
-- Purpose : makes steps ready and sends their messages, in the caller's transaction: each
--           step whose state is pending (all parents complete) or waiting_retry gets
--           attempt + 1, state enqueued, its deadline, and one message in its namespace's
--           PGMQ queue, written with the message's msg_id in one statement per namespace.
--           Messages go in priority order, then task id (UUIDv7 = request order), then step
--           position. One wake-up weft_steps (payload: namespace; weft._wake, throttled) per
--           namespace. The messages are built and the step rows locked by static SQL (a plan
--           cached per session), and sent by the namespace's weft._q_send_<namespace> (static
--           SQL too); only the call of that function is dynamic (its name varies).
-- Callers : weft._start_task, weft.complete_step, weft.fire_timers, manual retry functions.
-- Locks   : the caller holds the task row lock; this takes the step rows (FOR UPDATE).
-- Plans   : generic (plan_cache_mode pinned): one plan per session for every call.
-- Message : see schemas/step-message.schema.json and docs/protocol.md.
create function weft._enqueue_steps(step_ids uuid[], processor_id text, reason text) returns integer
language plpgsql volatile
set search_path = ''
-- The statements filter on `= any (step_ids)`: costed for a typical array, a generic plan looks
-- dearer than a custom one for a single step, so PL/pgSQL would plan them again at every call.
set plan_cache_mode = force_generic_plan
as $$
#variable_conflict use_column
declare
  -- one reading of the engine clock per call: weft.now() in a statement runs once per row
  v_now timestamptz := weft.now();
  v_namespace text;
  v_count integer := 0;
  v_ids uuid[];
  v_msgs jsonb[];
  v_from text[];
  v_attempts integer[];
  v_deadlines timestamptz[];
  v_sent_ids uuid[];
  v_sent_msgs bigint[];
  v_n integer;
begin
  if step_ids is null or pg_catalog.cardinality(step_ids) = 0 then
    return 0;
  end if;
  for v_namespace in
    select distinct t.namespace from weft.steps s join weft.tasks t on t.task_id = s.task_id where s.step_id = any (step_ids)
  loop
    with picked as (
      select s.step_id, s.task_id, s.name, s.handler, s.args, s.attempt + 1 as attempt, s.max_attempts,
             s.timeout_ms, s.heartbeat_ms, s.checkpoint, s.state, t.context, t.priority, t.workflow_id, w.name as workflow_name,
             w.version as workflow_version, t.namespace, s.position, s.kind, s.compensates,
             case when s.timeout_ms is null then null else v_now + s.timeout_ms * interval '1 millisecond' end as deadline_at
      from weft.steps s
      join weft.tasks t on t.task_id = s.task_id
      join weft.workflows w on w.workflow_id = t.workflow_id
      where s.step_id = any (step_ids) and t.namespace = v_namespace
        and (s.state = 'waiting_retry' or (s.state = 'pending' and s.pending_parents = 0))
      order by t.priority, s.task_id, s.position
      for update of s
    )
    select pg_catalog.array_agg(p.step_id order by p.priority, p.task_id, p.position),
           pg_catalog.array_agg(p.state::text order by p.priority, p.task_id, p.position),
           pg_catalog.array_agg(p.attempt order by p.priority, p.task_id, p.position),
           pg_catalog.array_agg(p.deadline_at order by p.priority, p.task_id, p.position),
           pg_catalog.array_agg(pg_catalog.jsonb_build_object(
             'task_id', p.task_id,
             'step_id', p.step_id,
             'namespace', p.namespace,
             'workflow', pg_catalog.jsonb_build_object('name', p.workflow_name, 'version', p.workflow_version),
             'step', p.name,
             'handler', p.handler,
             'args', p.args,
             'attempt', p.attempt,
             'max_attempts', p.max_attempts,
             'priority', weft.priority_name(p.priority),
             'context', p.context,
             'kind', p.kind,
             'parents', coalesce((
               select pg_catalog.jsonb_object_agg(x.name, x.result) from (
                 select ps.name, ps.result
                 from weft.workflow_edges e
                 join weft.steps ps on ps.task_id = p.task_id and ps.name = e.parent
                 where p.kind = 'step' and e.workflow_id = p.workflow_id and e.child = p.name
                 union all
                 select ps.name, ps.result
                 from weft.step_dependencies d join weft.steps ps on ps.step_id = d.parent_step_id
                 where p.kind = 'compensation' and d.child_step_id = p.step_id) x), '{}'::jsonb),
             'compensates', (
               select pg_catalog.jsonb_build_object('step', o.name, 'step_id', o.step_id, 'result', o.result, 'args', o.args)
               from weft.steps o where o.step_id = p.compensates),
             'checkpoint', p.checkpoint,
             'timeout_ms', p.timeout_ms,
             'heartbeat_ms', p.heartbeat_ms,
             'deadline', p.deadline_at) order by p.priority, p.task_id, p.position)
    into v_ids, v_from, v_attempts, v_deadlines, v_msgs
    from picked p;
    v_n := coalesce(pg_catalog.cardinality(v_ids), 0);
    continue when v_n = 0;

    -- The messages go through the namespace's own send function (static SQL, its plan kept
    -- for the session; see 029-queue-functions.sql); only the call is dynamic.
    execute pg_catalog.format('select s.step_ids, s.msg_ids from weft.%I($1) s', '_q_send_' || v_namespace)
    into v_sent_ids, v_sent_msgs
    using v_msgs;

    with u as (
      select x.step_id, x.from_state, x.attempt, x.deadline_at, m.msg_id
      from rows from (pg_catalog.unnest(v_ids), pg_catalog.unnest(v_from), pg_catalog.unnest(v_attempts), pg_catalog.unnest(v_deadlines))
        as x (step_id, from_state, attempt, deadline_at)
      join rows from (pg_catalog.unnest(v_sent_ids), pg_catalog.unnest(v_sent_msgs)) as m (step_id, msg_id) on m.step_id = x.step_id
    ), updated as (
      update weft.steps s
      set state = 'enqueued', attempt = u.attempt, msg_id = u.msg_id, enqueued_at = v_now,
          deadline_at = u.deadline_at, ready_at = null, updated_at = pg_catalog.now()
      from u
      where s.step_id = u.step_id
      returning s.step_id, s.task_id, s.attempt, u.from_state
    )
    insert into weft.transitions (entity, task_id, step_id, from_state, to_state, reason, processor_id, attempt)
    select 'step', p.task_id, p.step_id, p.from_state, 'enqueued', _enqueue_steps.reason, _enqueue_steps.processor_id, p.attempt
    from updated p;

    perform weft._wake('weft_steps', v_namespace);
    v_count := v_count + v_n;
  end loop;
  return v_count;
end
$$;
--! EndIncluded weft/030-enqueue-steps.sql
--! Included weft/031-start-task.sql
-- weft._start_task(task_id uuid, processor_id text, reason text) → void
--
-- Purpose : pending → running, and enqueues the steps that have no parents: weft._start_tasks
--           for one task.
-- Callers : weft.fire_timers (run_after reached).
-- Locks   : caller holds the task row lock.
create function weft._start_task(task_id uuid, processor_id text, reason text) returns void
language plpgsql volatile
set search_path = ''
as $$
begin
  perform weft._start_tasks(array[task_id], processor_id, reason);
end
$$;
--! EndIncluded weft/031-start-task.sql
--! Included weft/032-request-task.sql
-- weft.request_task(namespace, workflow_name, context, version, idempotency_key, priority,
--                   run_after, parent_task_id, requested_by) → uuid (the task_id)
--
-- Purpose : creates a task of a workflow (the latest registered version unless `version` is
--           given) with all its steps, and — unless run_after is in the future — starts it:
--           its root steps' messages are in their queue when the caller commits. Works inside
--           the caller's transaction: roll back and there is no task.
-- Idempotency: a non-null idempotency_key identifies the request. The same key with the same
--           request (namespace, workflow, version as given, context, priority, run_after,
--           parent) returns the existing task; with a different request it raises WF009.
--           Keys are kept until weft.purge_idempotency_keys(age) clears them (default 24 h).
-- Callers : services (one SQL statement), the TS client, `weft task request`, the request
--           queue intake (weft.intake_task_requests). The work is weft.request_tasks (a batch
--           of one; services requesting many tasks call it directly).
-- Locks   : inserts only; concurrent requests with one key serialize on the unique index.
-- Errors  : WF001 bad argument (null names, context not an object, unknown priority name);
--           WF002 no such workflow (or version); WF009 idempotency conflict.
--
-- Example : select weft.request_task('math', 'diamond', '{"n": 2}', idempotency_key => 'order-42');
create function weft.request_task(
  namespace text,
  workflow_name text,
  context jsonb default '{}',
  version text default null,
  idempotency_key text default null,
  priority text default 'normal',
  run_after timestamptz default null,
  parent_task_id uuid default null,
  requested_by text default null
) returns uuid
language plpgsql volatile
set search_path = ''
as $$
begin
  return (select u.id from weft.request_tasks(namespace, workflow_name, array[coalesce(context, '{}'::jsonb)], version,
                                              case when idempotency_key is null then null else array[idempotency_key] end,
                                              priority, run_after, parent_task_id, requested_by) as u (id));
end
$$;
--! EndIncluded weft/032-request-task.sql
--! Included weft/033-step-report-types.sql
-- Row types returned to workers by the report functions.
--
-- weft.step_report: what became of a complete_step / fail_step call.
--   outcome   applied    the report was applied
--             duplicate  the same attempt had already completed (a redelivered message ran twice)
--             rejected   stale attempt, or the step/task has moved on: recorded in
--                        weft.rejected_results, not applied (a WARNING with SQLSTATE WF007 says so)
--   reason    why it was rejected or what it caused (e.g. retry_scheduled, step_failed)
create type weft.step_report as (
  outcome text,
  reason text,
  step_id uuid,
  step_state weft.step_state,
  attempt integer,
  task_id uuid,
  task_state weft.task_state
);

-- weft._fence_result: the verdict of weft._fence_step plus what the caller needs next.
create type weft._fence_result as (
  verdict text,
  reason text,
  task_id uuid,
  namespace text,
  workflow_id uuid,
  task_state weft.task_state,
  step_name text,
  step_state weft.step_state,
  current_attempt integer,
  max_attempts integer,
  retry jsonb,
  msg_id bigint
);
--! EndIncluded weft/033-step-report-types.sql
--! Included weft/034-fence-step.sql
-- weft._fence_step(step_id, attempt, kind, payload, processor_id, lock_task, record) → weft._fence_result
--
-- Purpose : the fencing check every worker report goes through. The attempt number is the
--           fencing token: only the step's current attempt, while the step is enqueued, may
--           report. Verdicts:
--             ok         current attempt, step enqueued, task not terminal
--             duplicate  current attempt, step already complete (kind complete only)
--             stale      anything else: an older attempt, the step/task moved on, or the
--                        attempt's deadline (timeout_ms) has passed; recorded
--                        in weft.rejected_results (when `record`) with a WARNING, SQLSTATE WF007
-- Callers : weft.complete_step, weft.fail_step, weft.heartbeat_step, weft.checkpoint_step.
-- Locks   : with lock_task, the task row (FOR NO KEY UPDATE) and then the step row (FOR UPDATE)
--           — the engine's lock order. Without, the step row only.
-- Errors  : WF001 null step_id / attempt < 1; WF006 unknown step; WF007 (exception) when the
--           attempt is higher than any attempt started — that is bad input, nothing is recorded;
--           WF012 when the calling role may not act on the step's namespace (weft._assert_namespace_access).
create function weft._fence_step(
  step_id uuid, attempt integer, kind text, payload jsonb, processor_id text, lock_task boolean, record boolean
) returns weft._fence_result
language plpgsql volatile
set search_path = ''
as $$
#variable_conflict use_column
declare
  v_task_id uuid;
  v_namespace text;
  v_task record;
  v_step record;
  v_out weft._fence_result;
begin
  if step_id is null then
    raise exception 'step_id must not be null' using errcode = 'WF001';
  end if;
  if attempt is null or attempt < 1 then
    raise exception 'attempt must be a positive integer, got %', coalesce(attempt::text, 'null') using errcode = 'WF001';
  end if;
  select s.task_id, t.namespace into v_task_id, v_namespace
  from weft.steps s join weft.tasks t on t.task_id = s.task_id where s.step_id = _fence_step.step_id;
  if v_task_id is null then
    raise exception 'step % not found', step_id using errcode = 'WF006';
  end if;
  perform weft._assert_namespace_access(v_namespace); -- WF012 (070-privileges.sql)
  if lock_task then
    select t.state, t.namespace, t.workflow_id into v_task from weft.tasks t where t.task_id = v_task_id for no key update;
  else
    select t.state, t.namespace, t.workflow_id into v_task from weft.tasks t where t.task_id = v_task_id;
  end if;
  select s.name, s.state, s.attempt, s.max_attempts, s.retry, s.msg_id, s.deadline_at into v_step
  from weft.steps s where s.step_id = _fence_step.step_id for update;

  if attempt > v_step.attempt then
    raise exception 'attempt % of step % was never started (current attempt is %)', attempt, step_id, v_step.attempt
      using errcode = 'WF007', hint = 'Report with the attempt number from the step message.';
  end if;

  v_out := row('ok', null, v_task_id, v_task.namespace, v_task.workflow_id, v_task.state, v_step.name, v_step.state,
               v_step.attempt, v_step.max_attempts, v_step.retry, v_step.msg_id)::weft._fence_result;
  if attempt < v_step.attempt then
    v_out.verdict := 'stale';
    v_out.reason := 'superseded_attempt';
  elsif v_step.state = 'complete' and kind = 'complete' then
    v_out.verdict := 'duplicate';
    v_out.reason := 'already_complete';
  elsif v_step.state <> 'enqueued' then
    v_out.verdict := 'stale';
    v_out.reason := 'step_' || v_step.state::text;
  elsif v_task.state in ('complete', 'error', 'cancelled', 'compensation_failed') then
    v_out.verdict := 'stale';
    v_out.reason := 'task_' || v_task.state::text;
  elsif v_step.deadline_at is not null and v_step.deadline_at <= weft.now() then
    -- past its timeout the attempt is over, even before the timer sweep has failed it
    v_out.verdict := 'stale';
    v_out.reason := 'deadline_passed';
  end if;

  if v_out.verdict <> 'ok' and record then
    insert into weft.rejected_results (task_id, step_id, attempt, current_attempt, step_state, kind, reason, payload, processor_id)
    values (v_task_id, step_id, attempt, v_step.attempt, v_step.state::text, kind, v_out.reason, payload, processor_id);
    if v_out.verdict = 'stale' then
      raise warning 'weft: % of step % attempt % rejected (%); current attempt is %, step is %', kind, step_id, attempt,
        v_out.reason, v_step.attempt, v_step.state
        using errcode = 'WF007';
    end if;
  end if;
  return v_out;
end
$$;
--! EndIncluded weft/034-fence-step.sql
--! Included weft/035-request-finalization.sql
-- weft._request_finalization(task_id, reason, processor_id) → void
--
-- Purpose : running (or compensating) → finalizing: nothing more will be started for the task; an orchestrator
--           claims and finalizes it (weft.claim_task_for_finalization, weft.finalize_task).
--           A wake-up weft_orchestrator 'finalize' (weft._wake) tells orchestrators. The work is
--           weft._request_finalizations, which moves a set of tasks at once.
-- Callers : weft.complete_step (last step done), weft._apply_step_failure (step failed for good),
--           weft.cancel_task.
-- Locks   : caller holds the task row lock.
create function weft._request_finalization(task_id uuid, reason text, processor_id text) returns void
language plpgsql volatile
set search_path = ''
as $$
begin
  perform weft._request_finalizations(array[task_id], reason, processor_id);
end
$$;
--! EndIncluded weft/035-request-finalization.sql
--! Included weft/036-complete-step.sql
-- weft.complete_step(step_id, attempt, result, processor_id) → weft.step_report
--
-- Purpose : a worker reports that attempt `attempt` of a step succeeded with `result`. In one
--           transaction: the step becomes complete, its queue message is deleted, each child's
--           count of pending parents drops, children that reach 0 are enqueued (if the task is
--           still running), and when no step remains the task moves to finalizing.
--           A report for a superseded attempt, or for a step that moved on, is recorded in
--           weft.rejected_results and not applied (outcome 'rejected', WARNING WF007); the same
--           attempt reported twice gives outcome 'duplicate'.
--           (The state changes themselves are weft._apply_step_completion, shared with the manual
--           operations resolve_step and skip_step.)
-- Callers : workers (TS SDK, bash+psql, any language), weft.intake_step_results.
-- Locks   : task row, then the step row, then the child rows (lock order: task → steps), so two
--           parents of one join completing at once serialize on the task row and the join is
--           enqueued exactly once.
-- Errors  : WF001 null step_id / bad attempt; WF006 unknown step; WF007 attempt never started.
--
-- Example : select * from weft.complete_step('0190…'::uuid, 1, '42'::jsonb);
create function weft.complete_step(step_id uuid, attempt integer, result jsonb default null, processor_id text default null)
returns weft.step_report
language plpgsql volatile
set search_path = ''
as $$
#variable_conflict use_column
declare
  v weft._fence_result;
  v_task_state weft.task_state;
begin
  v := weft._fence_step(step_id, attempt, 'complete', result, processor_id, true, true);
  if v.verdict <> 'ok' then
    return row(case v.verdict when 'duplicate' then 'duplicate' else 'rejected' end, v.reason, step_id, v.step_state,
               v.current_attempt, v.task_id, v.task_state)::weft.step_report;
  end if;

  v_task_state := weft._apply_step_completion(v.task_id, step_id, result, 'complete', processor_id, 'completed');
  return row('applied', null, step_id, 'complete'::weft.step_state, attempt, v.task_id, v_task_state)::weft.step_report;
end
$$;
--! EndIncluded weft/036-complete-step.sql
--! Included weft/037-apply-step-failure.sql
-- weft._apply_step_failure(task_id, step_id, attempt, error, retryable, processor_id, reason) → weft.step_report
--
-- Purpose : what a failed attempt leads to, per the step's retry policy: when the error is
--           retryable, attempts remain (max_attempts counts the first run) and the policy's
--           retry_on / dont_retry_on filters allow it (matched against error.code and
--           error.name), the step waits in waiting_retry until ready_at = now + backoff;
--           otherwise it is in error and the task moves to finalizing. The queue message of
--           the attempt is deleted either way.
-- Callers : weft.fail_step (worker reports), weft.fire_timers (deadline passed).
-- Locks   : caller holds the task row lock and the step row lock (weft._fence_step).
create function weft._apply_step_failure(
  task_id uuid, step_id uuid, attempt integer, error jsonb, retryable boolean, processor_id text, reason text
) returns weft.step_report
language plpgsql volatile
set search_path = ''
as $$
#variable_conflict use_column
declare
  v_step record;
  v_names text[];
  v_retry boolean;
  v_delay bigint;
  v_task_state weft.task_state;
begin
  select s.state, s.attempt, s.max_attempts, s.retry, s.msg_id, t.namespace, t.state as task_state into v_step
  from weft.steps s join weft.tasks t on t.task_id = s.task_id
  where s.step_id = _apply_step_failure.step_id;

  v_names := array_remove(array[error ->> 'code', error ->> 'name'], null);
  v_retry := coalesce(retryable, true)
    and v_step.attempt < v_step.max_attempts
    and v_step.task_state in ('running', 'compensating')
    and not exists (select 1 from pg_catalog.jsonb_array_elements_text(v_step.retry -> 'dont_retry_on') d where d = any (v_names))
    and (pg_catalog.jsonb_array_length(v_step.retry -> 'retry_on') = 0
         or exists (select 1 from pg_catalog.jsonb_array_elements_text(v_step.retry -> 'retry_on') r where r = any (v_names)));

  if v_step.msg_id is not null then
    perform pgmq.delete(v_step.namespace, v_step.msg_id);
  end if;

  if v_retry then
    v_delay := weft.retry_delay_ms(v_step.retry, v_step.attempt);
    update weft.steps s
    set state = 'waiting_retry', error = _apply_step_failure.error, msg_id = null, deadline_at = null,
        ready_at = weft.now() + v_delay * interval '1 millisecond', updated_at = pg_catalog.now()
    where s.step_id = _apply_step_failure.step_id;
    insert into weft.transitions (entity, task_id, step_id, from_state, to_state, reason, processor_id, attempt, details)
    values ('step', task_id, step_id, 'enqueued', 'waiting_retry', reason, processor_id, attempt,
            pg_catalog.jsonb_build_object('error', error, 'retryable', true, 'delay_ms', v_delay,
                                          'ready_at', weft.now() + v_delay * interval '1 millisecond'));
    perform weft._wake('weft_orchestrator', 'timer');
    return row('applied', 'retry_scheduled', step_id, 'waiting_retry'::weft.step_state, attempt, task_id, v_step.task_state)::weft.step_report;
  end if;

  update weft.steps s
  set state = 'error', error = _apply_step_failure.error, msg_id = null, deadline_at = null, finished_at = weft.now(),
      updated_at = pg_catalog.now()
  where s.step_id = _apply_step_failure.step_id;
  insert into weft.transitions (entity, task_id, step_id, from_state, to_state, reason, processor_id, attempt, details)
  values ('step', task_id, step_id, 'enqueued', 'error', reason, processor_id, attempt,
          pg_catalog.jsonb_build_object('error', error, 'retryable', coalesce(retryable, true),
                                        'attempts_exhausted', v_step.attempt >= v_step.max_attempts));
  perform weft._request_finalization(task_id, 'step_failed', processor_id);
  select t.state into v_task_state from weft.tasks t where t.task_id = _apply_step_failure.task_id;
  return row('applied', 'step_failed', step_id, 'error'::weft.step_state, attempt, task_id, v_task_state)::weft.step_report;
end
$$;
--! EndIncluded weft/037-apply-step-failure.sql
--! Included weft/038-fail-step.sql
-- weft.fail_step(step_id, attempt, error, retryable, processor_id) → weft.step_report
--
-- Purpose : a worker reports that attempt `attempt` failed. `error` is a JSON object (a bare
--           string becomes {"message": …}); its `code` / `name` are matched by the retry
--           policy's retry_on / dont_retry_on. retryable = false fails the step at once
--           (a permanent error). Retry or failure per weft._apply_step_failure.
--           Stale reports: recorded, not applied (outcome 'rejected', WARNING WF007).
-- Callers : workers (any language), weft.intake_step_results.
-- Locks   : task row, then step row (weft._fence_step).
-- Errors  : WF001 null step_id / bad attempt / error not an object or string; WF006; WF007.
--
-- Example : select * from weft.fail_step('0190…'::uuid, 1, '{"message":"card declined","code":"DECLINED"}', false);
create function weft.fail_step(
  step_id uuid, attempt integer, error jsonb default '{}', retryable boolean default true, processor_id text default null
) returns weft.step_report
language plpgsql volatile
set search_path = ''
as $$
#variable_conflict use_column
declare
  v weft._fence_result;
  v_error jsonb := coalesce(error, '{}'::jsonb);
begin
  if pg_catalog.jsonb_typeof(v_error) = 'string' then
    v_error := pg_catalog.jsonb_build_object('message', v_error #>> '{}');
  elsif pg_catalog.jsonb_typeof(v_error) <> 'object' then
    raise exception 'error must be a JSON object or string, got a JSON %', pg_catalog.jsonb_typeof(v_error)
      using errcode = 'WF001';
  end if;
  if pg_catalog.octet_length(v_error::text) > 65536 then
    v_error := pg_catalog.jsonb_build_object('message', pg_catalog.left(v_error ->> 'message', 4096), 'code', v_error -> 'code',
                                             'name', v_error -> 'name', 'truncated', true);
  end if;
  v := weft._fence_step(step_id, attempt, 'fail', v_error, processor_id, true, true);
  if v.verdict <> 'ok' then
    return row('rejected', v.reason, step_id, v.step_state, v.current_attempt, v.task_id, v.task_state)::weft.step_report;
  end if;
  return weft._apply_step_failure(v.task_id, step_id, attempt, v_error, retryable, processor_id,
                                  case when coalesce(retryable, true) then 'failed' else 'failed_permanently' end);
end
$$;
--! EndIncluded weft/038-fail-step.sql
--! Included weft/039-heartbeat-step.sql
-- weft.heartbeat_step(step_id, attempt, extend_seconds, progress) → table(carry_on, reason, visible_until)
--
-- Purpose : a worker says it is still working on an attempt. While the attempt is current and
--           its task is running, the lease — the visibility timeout of the step's queue
--           message — is extended by extend_seconds from now, optional progress
--           ({percent, message}) is stored, and carry_on is true. Otherwise carry_on is false
--           with the reason (superseded_attempt, step_cancelled, step_waiting_retry, …;
--           task_cancelled once a cancellation was requested, task_finalizing when the task ends
--           for another reason, e.g. a sibling step failed for good): the worker should stop.
-- Callers : workers, every third of the lease (the TS SDK does it by itself).
-- Locks   : the step row only (no task lock: heartbeats must not queue behind completions).
-- Errors  : WF001 bad arguments (extend_seconds outside 1..43200, progress not an object);
--           WF006 unknown step; WF007 attempt never started.
create function weft.heartbeat_step(step_id uuid, attempt integer, extend_seconds integer default 30, progress jsonb default null)
returns table (carry_on boolean, reason text, visible_until timestamptz)
language plpgsql volatile
set search_path = ''
as $$
#variable_conflict use_column
declare
  v weft._fence_result;
  v_vt timestamptz;
begin
  if extend_seconds is null or extend_seconds < 1 or extend_seconds > 43200 then
    raise exception 'extend_seconds must be from 1 to 43200, got %', coalesce(extend_seconds::text, 'null') using errcode = 'WF001';
  end if;
  if progress is not null and pg_catalog.jsonb_typeof(progress) <> 'object' then
    raise exception 'progress must be a JSON object like {"percent": 40, "message": "…"}, got a JSON %', pg_catalog.jsonb_typeof(progress)
      using errcode = 'WF001';
  end if;
  v := weft._fence_step(step_id, attempt, 'heartbeat', null, null, false, false);
  if v.verdict <> 'ok' then
    return query select false, v.reason, null::timestamptz;
    return;
  end if;
  if v.task_state not in ('running', 'compensating') then
    -- A cancellation moves the task to finalizing with a marker; say "cancelled" to the worker.
    return query select false,
      case when v.task_state = 'finalizing'
                and exists (select 1 from weft.tasks t where t.task_id = v.task_id and t.error ? 'cancelled')
           then 'task_cancelled' else 'task_' || v.task_state::text end,
      null::timestamptz;
    return;
  end if;
  v_vt := pg_catalog.clock_timestamp() + pg_catalog.make_interval(secs => extend_seconds);
  if v.msg_id is not null then
    perform pgmq.set_vt(v.namespace, v.msg_id, v_vt);
  end if;
  update weft.steps s set progress = coalesce(heartbeat_step.progress, s.progress), updated_at = pg_catalog.now()
  where s.step_id = heartbeat_step.step_id;
  return query select true, 'ok'::text, v_vt;
end
$$;
--! EndIncluded weft/039-heartbeat-step.sql
--! Included weft/040-checkpoint-step.sql
-- weft.checkpoint_step(step_id, attempt, data) → boolean
--
-- Purpose : stores partial progress of the current attempt; the next attempt's message carries
--           the last checkpoint (field `checkpoint`). Returns false (and records the report in
--           weft.rejected_results) when the attempt is not current.
-- Callers : workers (TS SDK ctx.checkpoint()).
-- Locks   : the step row.
-- Errors  : WF001 null data or data over 1 MiB; WF006; WF007 attempt never started.
create function weft.checkpoint_step(step_id uuid, attempt integer, data jsonb) returns boolean
language plpgsql volatile
set search_path = ''
as $$
#variable_conflict use_column
declare
  v weft._fence_result;
begin
  if data is null then
    raise exception 'checkpoint data must not be null' using errcode = 'WF001';
  end if;
  if pg_catalog.octet_length(data::text) > 1048576 then
    raise exception 'checkpoint data is % bytes; at most 1 MiB is allowed', pg_catalog.octet_length(data::text) using errcode = 'WF001';
  end if;
  v := weft._fence_step(step_id, attempt, 'checkpoint', data, null, false, true);
  if v.verdict <> 'ok' then
    return false;
  end if;
  update weft.steps s set checkpoint = data, updated_at = pg_catalog.now() where s.step_id = checkpoint_step.step_id;
  return true;
end
$$;
--! EndIncluded weft/040-checkpoint-step.sql
--! Included weft/041-claim-tasks-for-finalization.sql
-- weft.claim_tasks_for_finalization(processor_id, task_ids, ttl_ms, max_tasks)
--   → table(task_id, outcome, expires_at)
--
-- Purpose : the finalization gate. For each candidate task in state finalizing, inserts a
--           claim (holder, expiry) unless a live claim of another processor exists. Exactly one
--           processor wins a task whatever the number of orchestrators: the claims primary key
--           serializes concurrent inserts, and ON CONFLICT takes the row over only when the
--           existing claim has expired (a takeover) or is the caller's own (a renewal).
--           Candidates: the given task_ids; or, when task_ids is null, up to max_tasks
--           finalizing tasks with no live claim, oldest request first, skipping rows another
--           orchestrator is claiming right now (SKIP LOCKED).
--           outcome: won | taken_over | contended (held by another) | not_finalizing.
--           Counters go to weft.processor_stats.
-- Callers : orchestrators (the finalization loop); weft.claim_task_for_finalization.
-- Locks   : task rows FOR UPDATE SKIP LOCKED (sweep mode); then the candidate task rows (FOR NO
--           KEY UPDATE, in task id order, waiting for a finalize_task in progress), then the
--           claim rows — the order weft.finalize_task uses (task, then claim).
-- Errors  : WF001 processor_id null/empty, ttl_ms outside 100..3600000.
create function weft.claim_tasks_for_finalization(
  processor_id text, task_ids uuid[] default null, ttl_ms integer default 30000, max_tasks integer default 100
) returns table (task_id uuid, outcome text, expires_at timestamptz)
language plpgsql volatile
set search_path = ''
-- Plans cached once per session (see 030-enqueue-steps.sql): costed for a typical array, the
-- custom plans look cheaper, and PL/pgSQL would plan every statement again at every call.
set plan_cache_mode = force_generic_plan
as $$
#variable_conflict use_column
declare
  v_now timestamptz := weft.now();
  v_candidates uuid[];
begin
  if processor_id is null or pg_catalog.btrim(processor_id) = '' then
    raise exception 'processor_id must be a non-empty string' using errcode = 'WF001';
  end if;
  if ttl_ms is null or ttl_ms < 100 or ttl_ms > 3600000 then
    raise exception 'ttl_ms must be from 100 to 3600000, got %', coalesce(ttl_ms::text, 'null') using errcode = 'WF001';
  end if;

  if task_ids is null then
    select pg_catalog.array_agg(c.task_id) into v_candidates from (
      select t.task_id from weft.tasks t
      where t.state = 'finalizing'
        -- NOT IN, not NOT EXISTS: a hashed subplan, built once per call from the few live
        -- claims. The claims table churns (a row per task, deleted at finalization) and its
        -- statistics usually say it is empty, so an anti join is planned as a sequential scan
        -- of its pages for every finalizing task: quadratic once a backlog builds up.
        and t.task_id not in (select c.task_id from weft.finalization_claims c where c.expires_at > v_now)
      order by t.finalize_requested_at
      limit greatest(coalesce(max_tasks, 100), 1)
      for update of t skip locked
    ) c;
  else
    v_candidates := task_ids;
  end if;
  if v_candidates is null then
    return;
  end if;

  return query
  with eligible as (
    -- Lock the tasks (in id order: no deadlock between callers naming overlapping lists). A
    -- task being finalized right now is waited for and then re-read: it is no longer
    -- finalizing, so no claim is granted on a task that is already terminal.
    -- (state compared as text: looked up by primary key, never by scanning the partial index of
    -- finalizing tasks, whose statistics on this queue-like table are usually stale.)
    select t.task_id from weft.tasks t where t.task_id = any (v_candidates) and t.state::text = 'finalizing'
    order by t.task_id
    for no key update of t
  ), previous as (
    select c.task_id, c.processor_id, c.expires_at from weft.finalization_claims c where c.task_id = any (v_candidates)
  ), upserted as (
    insert into weft.finalization_claims as c (task_id, processor_id, claimed_at, expires_at)
    select e.task_id, claim_tasks_for_finalization.processor_id, v_now, v_now + ttl_ms * interval '1 millisecond' from eligible e
    on conflict on constraint finalization_claims_pkey do update
      set processor_id = excluded.processor_id, claimed_at = excluded.claimed_at, expires_at = excluded.expires_at,
          takeovers = c.takeovers + case when c.processor_id = excluded.processor_id then 0 else 1 end
      where c.expires_at <= v_now or c.processor_id = excluded.processor_id
    returning c.task_id, c.expires_at
  ), outcomes as (
    select cand as task_id,
           case
             when u.task_id is not null and p.task_id is not null and p.processor_id <> claim_tasks_for_finalization.processor_id then 'taken_over'
             when u.task_id is not null then 'won'
             when e.task_id is null then 'not_finalizing'
             else 'contended'
           end as outcome,
           u.expires_at
    from pg_catalog.unnest(v_candidates) as cand
    left join eligible e on e.task_id = cand
    left join upserted u on u.task_id = cand
    left join previous p on p.task_id = cand
  ), counted as (
    insert into weft.processor_stats as ps (processor_id, claims_attempted, claims_won, claims_contended, claims_taken_over, last_seen_at)
    select claim_tasks_for_finalization.processor_id, pg_catalog.count(*),
           pg_catalog.count(*) filter (where o.outcome in ('won', 'taken_over')),
           pg_catalog.count(*) filter (where o.outcome = 'contended'),
           pg_catalog.count(*) filter (where o.outcome = 'taken_over'), pg_catalog.now()
    from outcomes o
    on conflict (processor_id) do update
      set claims_attempted = ps.claims_attempted + excluded.claims_attempted,
          claims_won = ps.claims_won + excluded.claims_won,
          claims_contended = ps.claims_contended + excluded.claims_contended,
          claims_taken_over = ps.claims_taken_over + excluded.claims_taken_over,
          last_seen_at = excluded.last_seen_at
    returning 1
  )
  -- `counted` runs although nothing reads it (data-modifying WITH queries always run once).
  select o.task_id, o.outcome, o.expires_at from outcomes o;
end
$$;
--! EndIncluded weft/041-claim-tasks-for-finalization.sql
--! Included weft/042-claim-task-for-finalization.sql
-- weft.claim_task_for_finalization(task_id, processor_id, ttl_ms) → table(outcome, expires_at)
--
-- Purpose : claims one task for finalization (see weft.claim_tasks_for_finalization for the
--           rules). outcome: won | taken_over | contended | not_finalizing.
-- Callers : orchestrators, operators, tests.
-- Errors  : WF001 null task_id / processor_id; WF005 unknown task.
--
-- Example : select * from weft.claim_task_for_finalization('0190…', 'orch-a');
create function weft.claim_task_for_finalization(task_id uuid, processor_id text, ttl_ms integer default 30000)
returns table (outcome text, expires_at timestamptz)
language plpgsql volatile
set search_path = ''
as $$
#variable_conflict use_column
begin
  if task_id is null then
    raise exception 'task_id must not be null' using errcode = 'WF001';
  end if;
  if not exists (select 1 from weft.tasks t where t.task_id = claim_task_for_finalization.task_id) then
    raise exception 'task % not found', task_id using errcode = 'WF005';
  end if;
  return query select c.outcome, c.expires_at
  from weft.claim_tasks_for_finalization(processor_id, array[task_id], ttl_ms) c;
end
$$;
--! EndIncluded weft/042-claim-task-for-finalization.sql
--! Included weft/043-finalize-task.sql
-- weft.finalize_task(task_id, processor_id) → weft.task_state (the final state)
--
-- Purpose : the single place a task becomes terminal. The caller must hold a live claim
--           (weft.claim_task_for_finalization). From finalizing:
--             cancellation requested       → cancelled
--             some step in error, and completed steps declare a compensation handler, not yet
--               compensated                 → compensating: the saga's compensation steps are
--                                               created and started (weft._start_compensation);
--                                               the task comes back here when they are done
--             compensation step in error    → compensation_failed
--             some step in error            → error (error = {step, error} of the first failed
--                                               step, and the steps compensated, in order)
--             otherwise (every step done)   → complete (result = results of the leaf steps)
--           Steps not yet terminal are cancelled and their messages deleted. The claim row is
--           deleted (released), the processor's counter goes up, and NOTIFY weft_task_finished
--           (payload: task id) tells waiting clients.
--           A task is finalized exactly once: only a finalizing task can be claimed, and only
--           the claim holder can finalize it.
-- Callers : orchestrators, right after winning the claim (one task); weft.finalize_tasks (a
--           batch in one transaction, the orchestrator's usual path). The work itself is
--           weft._finalize_task; this wrapper adds the processor's counter.
-- Locks   : task row, then its step rows.
-- Errors  : WF001 nulls; WF005 unknown task; WF011 the caller holds no live claim;
--           WF008 the task is not finalizing.
create function weft._finalize_task(task_id uuid, processor_id text) returns weft.task_state
language plpgsql volatile
set search_path = ''
as $$
#variable_conflict use_column
declare
  v_task record;
  v_claim record;
  v_failed record;
  v_final weft.task_state;
  v_result jsonb;
  v_error jsonb;
  v_step record;
  v_compensated jsonb;
  v_comp_failed record;
begin
  if task_id is null or processor_id is null then
    raise exception 'task_id and processor_id must not be null' using errcode = 'WF001';
  end if;
  select t.state, t.namespace, t.workflow_id, t.error into v_task from weft.tasks t
  where t.task_id = _finalize_task.task_id for no key update;
  if not found then
    raise exception 'task % not found', task_id using errcode = 'WF005';
  end if;
  select c.processor_id, c.expires_at into v_claim from weft.finalization_claims c where c.task_id = _finalize_task.task_id for update;
  if not found or v_claim.processor_id <> _finalize_task.processor_id or v_claim.expires_at <= weft.now() then
    raise exception 'processor "%" holds no live finalization claim on task %', processor_id, task_id
      using errcode = 'WF011', detail = coalesce('claim held by ' || v_claim.processor_id || ' until ' || v_claim.expires_at, 'no claim'),
            hint = 'Claim it first with weft.claim_task_for_finalization.';
  end if;
  if v_task.state <> 'finalizing' then
    raise exception 'task % is %, not finalizing', task_id, v_task.state using errcode = 'WF008';
  end if;

  select s.name, s.error into v_failed from weft.steps s
  where s.task_id = _finalize_task.task_id and s.state = 'error' and s.kind = 'step'
  order by s.finished_at, s.position limit 1;
  select o.name, s.error into v_comp_failed from weft.steps s join weft.steps o on o.step_id = s.compensates
  where s.task_id = _finalize_task.task_id and s.state = 'error' and s.kind = 'compensation'
  order by s.finished_at limit 1;
  -- the compensated steps, in the order their compensations completed
  select pg_catalog.jsonb_agg(o.name order by s.finished_at, s.step_id) into v_compensated
  from weft.steps s join weft.steps o on o.step_id = s.compensates
  where s.task_id = _finalize_task.task_id and s.kind = 'compensation' and s.state = 'complete';

  if v_task.error ? 'cancelled' then
    v_final := 'cancelled';
    v_error := v_task.error;
  elsif v_comp_failed.name is not null then
    v_final := 'compensation_failed';
    v_error := pg_catalog.jsonb_build_object('step', v_failed.name, 'error', v_failed.error,
      'compensation_failed', pg_catalog.jsonb_build_object('step', v_comp_failed.name, 'error', v_comp_failed.error),
      'compensated', coalesce(v_compensated, '[]'::jsonb));
  elsif v_failed.name is not null then
    if not exists (select 1 from weft.steps s where s.task_id = _finalize_task.task_id and s.kind = 'compensation')
       and exists (select 1 from weft.steps s where s.task_id = _finalize_task.task_id and s.kind = 'step'
                   and s.state = 'complete' and s.compensate is not null) then
      v_final := 'compensating';
    else
      v_final := 'error';
      v_error := pg_catalog.jsonb_build_object('step', v_failed.name, 'error', v_failed.error);
      if v_compensated is not null then
        v_error := v_error || pg_catalog.jsonb_build_object('compensated', v_compensated);
      end if;
    end if;
  else
    v_final := 'complete';
    select coalesce(pg_catalog.jsonb_object_agg(s.name, s.result order by s.position), '{}'::jsonb) into v_result
    from weft.steps s
    where s.task_id = _finalize_task.task_id and s.state = 'complete'
      and not exists (select 1 from weft.workflow_edges e where e.workflow_id = v_task.workflow_id and e.parent = s.name);
  end if;

  -- Steps still open never run: cancel them and drop their messages.
  for v_step in
    update weft.steps s set state = 'cancelled', msg_id = null, finished_at = weft.now(), updated_at = pg_catalog.now()
    from (select s2.step_id, s2.state as old_state, s2.msg_id as old_msg from weft.steps s2
          where s2.task_id = _finalize_task.task_id and s2.state in ('pending', 'enqueued', 'waiting_retry') for update) o
    where s.step_id = o.step_id
    returning s.step_id, o.old_state, o.old_msg, s.attempt
  loop
    if v_step.old_msg is not null then
      perform pgmq.delete(v_task.namespace, v_step.old_msg);
    end if;
    insert into weft.transitions (entity, task_id, step_id, from_state, to_state, reason, processor_id, attempt)
    values ('step', _finalize_task.task_id, v_step.step_id, v_step.old_state::text, 'cancelled', 'task_' || v_final::text, processor_id, v_step.attempt);
  end loop;

  if v_final = 'compensating' then
    perform weft._start_compensation(_finalize_task.task_id, processor_id);
    delete from weft.finalization_claims c where c.task_id = _finalize_task.task_id;
    return v_final;
  end if;

  update weft.tasks t set state = v_final, result = v_result, error = v_error, finished_at = weft.now(), updated_at = pg_catalog.now()
  where t.task_id = _finalize_task.task_id;
  insert into weft.transitions (entity, task_id, from_state, to_state, reason, processor_id)
  values ('task', _finalize_task.task_id, 'finalizing', v_final::text, 'finalized', processor_id);
  delete from weft.finalization_claims c where c.task_id = _finalize_task.task_id;
  perform pg_catalog.pg_notify('weft_task_finished', _finalize_task.task_id::text);
  return v_final;
end
$$;

create function weft.finalize_task(task_id uuid, processor_id text) returns weft.task_state
language plpgsql volatile
set search_path = ''
as $$
declare
  v_final weft.task_state;
begin
  v_final := weft._finalize_task(task_id, processor_id);
  if v_final <> 'compensating' then
    insert into weft.processor_stats as ps (processor_id, tasks_finalized, last_seen_at) values (processor_id, 1, pg_catalog.now())
    on conflict on constraint processor_stats_pkey do update set tasks_finalized = ps.tasks_finalized + 1, last_seen_at = excluded.last_seen_at;
  end if;
  return v_final;
end
$$;
--! EndIncluded weft/043-finalize-task.sql
--! Included weft/044-fire-timers.sql
-- weft.fire_timers(processor_id, max_rows) → table(started_tasks, retried_steps, timed_out_steps, next_due_at)
--
-- Purpose : the durable timers, as one SQL sweep (rows, not in-memory timers): delayed tasks
--           whose run_after has come are started; steps in waiting_retry whose ready_at has come
--           get their next attempt enqueued; enqueued attempts past their deadline fail as
--           retryable timeouts (error code "timeout"). next_due_at says when the next timer is
--           due, so an orchestrator can sleep until then (or until a NOTIFY).
-- Callers : orchestrators, every tick (any number at once: rows are taken with SKIP LOCKED).
-- Locks   : task rows (FOR NO KEY UPDATE SKIP LOCKED), then their step rows.
create function weft.fire_timers(processor_id text default null, max_rows integer default 500)
returns table (started_tasks integer, retried_steps integer, timed_out_steps integer, next_due_at timestamptz)
language plpgsql volatile
set search_path = ''
as $$
#variable_conflict use_column
declare
  v_now timestamptz := weft.now();
  v_task uuid;
  v_started integer := 0;
  v_retried integer := 0;
  v_timed_out integer := 0;
  v_steps uuid[];
  v_step record;
  v_limit integer := greatest(coalesce(max_rows, 500), 1);
begin
  -- Delayed starts.
  for v_task in
    select t.task_id from weft.tasks t
    where t.state = 'pending' and t.run_after is not null and t.run_after <= v_now
    order by t.priority, t.task_id
    limit v_limit
    for no key update skip locked
  loop
    perform weft._start_task(v_task, processor_id, 'run_after_reached');
    v_started := v_started + 1;
  end loop;

  -- Retries whose backoff has elapsed (task lock first, then steps).
  with due_tasks as (
    select t.task_id from weft.tasks t
    where t.state in ('running', 'compensating')
      and t.task_id in (select s.task_id from weft.steps s where s.state = 'waiting_retry' and s.ready_at <= v_now
                        order by s.ready_at limit v_limit)
    for no key update of t skip locked
  )
  select pg_catalog.array_agg(s.step_id) into v_steps
  from weft.steps s join due_tasks d on d.task_id = s.task_id
  where s.state = 'waiting_retry' and s.ready_at <= v_now;
  v_retried := weft._enqueue_steps(v_steps, processor_id, 'retry_backoff_elapsed');

  -- Attempts past their deadline.
  for v_step in
    select s.step_id, s.task_id, s.attempt, s.timeout_ms from weft.steps s
    join weft.tasks t on t.task_id = s.task_id
    where s.state = 'enqueued' and s.deadline_at <= v_now
    order by s.deadline_at
    limit v_limit
    for no key update of t skip locked
  loop
    perform 1 from weft.steps s where s.step_id = v_step.step_id and s.state = 'enqueued' and s.attempt = v_step.attempt for update;
    if found then
      perform weft._apply_step_failure(v_step.task_id, v_step.step_id, v_step.attempt,
        pg_catalog.jsonb_build_object('code', 'timeout', 'message',
          pg_catalog.format('attempt %s exceeded its timeout of %s ms', v_step.attempt, v_step.timeout_ms)),
        true, processor_id, 'timed_out');
      v_timed_out := v_timed_out + 1;
    end if;
  end loop;

  return query select v_started, v_retried, v_timed_out, (
    select pg_catalog.min(d) from (
      select pg_catalog.min(t.run_after) as d from weft.tasks t where t.state = 'pending' and t.run_after is not null
      -- only timers this sweep can fire: steps of tasks still running (or compensating); a
      -- finalizing task's leftovers are cancelled by its finalization, not by a timer
      union all select pg_catalog.min(s.ready_at) from weft.steps s where s.state = 'waiting_retry'
        and exists (select 1 from weft.tasks t where t.task_id = s.task_id and t.state in ('running', 'compensating'))
      union all select pg_catalog.min(s.deadline_at) from weft.steps s where s.state = 'enqueued' and s.deadline_at is not null
        and exists (select 1 from weft.tasks t where t.task_id = s.task_id and t.state in ('running', 'compensating'))
    ) x);
end
$$;
--! EndIncluded weft/044-fire-timers.sql
--! Included weft/045-cancel-task.sql
-- weft.cancel_task(task_id, reason, requested_by) → weft.task_state
--
-- Purpose : cancels a task: nothing more starts; it moves to finalizing with a cancellation
--           marker, and the finalizer ends it as cancelled (pending/queued steps cancelled, their
--           messages deleted). Workers running its steps learn it from weft.heartbeat_step
--           (carry_on = false). A result reported before the orchestrator
--           finalizes the task is still recorded on its step (it did run), but starts nothing
--           more; after finalization the step is cancelled and late results are rejected. The
--           task ends cancelled either way. Cascades to child tasks.
--           Idempotent: cancelling a finished or already cancelling task returns its state.
-- Callers : `weft task cancel`, the TS client, the API, SQL users.
-- Locks   : the task row (and each child task's, recursively).
-- Errors  : WF001 null task_id; WF005 unknown task.
create function weft.cancel_task(task_id uuid, reason text default null, requested_by text default null)
returns weft.task_state
language plpgsql volatile
set search_path = ''
as $$
#variable_conflict use_column
declare
  v_state weft.task_state;
  v_child uuid;
begin
  if task_id is null then
    raise exception 'task_id must not be null' using errcode = 'WF001';
  end if;
  select t.state into v_state from weft.tasks t where t.task_id = cancel_task.task_id for no key update;
  if not found then
    raise exception 'task % not found', task_id using errcode = 'WF005';
  end if;
  if v_state in ('pending', 'running') then
    update weft.tasks t
    set state = 'finalizing', finalize_requested_at = weft.now(), updated_at = pg_catalog.now(),
        -- qualified: inside this UPDATE a bare requested_by is the column weft.tasks.requested_by
        error = pg_catalog.jsonb_build_object('cancelled', pg_catalog.jsonb_build_object('reason', cancel_task.reason, 'by', cancel_task.requested_by))
    where t.task_id = cancel_task.task_id;
    insert into weft.transitions (entity, task_id, from_state, to_state, reason, processor_id, details)
    values ('task', cancel_task.task_id, v_state::text, 'finalizing', 'cancel_requested', requested_by,
            pg_catalog.jsonb_build_object('reason', reason));
    perform weft._wake('weft_orchestrator', 'finalize');
    v_state := 'finalizing';
  end if;
  for v_child in select t.task_id from weft.tasks t where t.parent_task_id = cancel_task.task_id and t.state in ('pending', 'running') loop
    perform weft.cancel_task(v_child, coalesce(reason, 'parent cancelled'), requested_by);
  end loop;
  return v_state;
end
$$;
--! EndIncluded weft/045-cancel-task.sql
--! Included weft/046-intake-task-requests.sql
-- weft.intake_task_requests(processor_id, max_messages, vt_seconds) → table(accepted, rejected)
--
-- Purpose : turns messages of the PGMQ queue orchestration_task_requests into tasks, so a
--           service that can only send a PGMQ message can request a task:
--             select pgmq.send('orchestration_task_requests',
--               '{"namespace":"math","workflow":"diamond","context":{"n":2},"idempotency_key":"k1"}');
--           Fields: namespace, workflow (or workflow_name), context, version, idempotency_key,
--           priority, run_after, requested_by — the arguments of weft.request_task.
--           Each message is handled in its own subtransaction: accepted ones are archived;
--           a message weft.request_task rejects is archived too and written to
--           weft.dead_letters with the reason and SQLSTATE — never dropped.
-- Callers : orchestrators, every tick.
-- Locks   : the messages it reads (PGMQ visibility timeout + SKIP LOCKED).
create function weft.intake_task_requests(processor_id text default null, max_messages integer default 100, vt_seconds integer default 30)
returns table (accepted integer, rejected integer)
language plpgsql volatile
set search_path = ''
as $$
#variable_conflict use_column
declare
  v_msg record;
  v_m jsonb;
  v_ok integer := 0;
  v_bad integer := 0;
  v_state text;
  v_text text;
begin
  for v_msg in select * from pgmq.read('orchestration_task_requests', vt_seconds, greatest(coalesce(max_messages, 100), 1)) loop
    v_m := v_msg.message;
    begin
      if v_m is null or pg_catalog.jsonb_typeof(v_m) <> 'object' then
        raise exception 'task request must be a JSON object, got %', coalesce(pg_catalog.jsonb_typeof(v_m), 'null') using errcode = 'WF001';
      end if;
      perform weft.request_task(
        namespace => v_m ->> 'namespace',
        workflow_name => coalesce(v_m ->> 'workflow', v_m ->> 'workflow_name'),
        context => coalesce(v_m -> 'context', '{}'::jsonb),
        version => v_m ->> 'version',
        idempotency_key => v_m ->> 'idempotency_key',
        priority => coalesce(v_m ->> 'priority', 'normal'),
        run_after => (v_m ->> 'run_after')::timestamptz,
        requested_by => coalesce(v_m ->> 'requested_by', 'queue:orchestration_task_requests'));
      perform pgmq.archive('orchestration_task_requests', v_msg.msg_id);
      v_ok := v_ok + 1;
    exception when others then
      get stacked diagnostics v_state = returned_sqlstate, v_text = message_text;
      insert into weft.dead_letters (queue_name, msg_id, message, reason, sqlstate, processor_id)
      values ('orchestration_task_requests', v_msg.msg_id, v_m, v_text, v_state, processor_id);
      perform pgmq.archive('orchestration_task_requests', v_msg.msg_id);
      v_bad := v_bad + 1;
    end;
  end loop;
  return query select v_ok, v_bad;
end
$$;
--! EndIncluded weft/046-intake-task-requests.sql
--! Included weft/047-intake-step-results.sql
-- weft.intake_step_results(processor_id, max_messages, vt_seconds) → table(applied, rejected, dead)
--
-- Purpose : applies step results that workers sent as PGMQ messages to the queue
--           orchestration_step_results instead of calling weft.complete_step / weft.fail_step:
--             {"step_id": "…", "attempt": 1, "status": "complete", "result": 42}
--             {"step_id": "…", "attempt": 1, "status": "failed", "error": {"message": "…"}, "retryable": true}
--           Each message in its own subtransaction; applied and stale (recorded in
--           weft.rejected_results) messages are archived; malformed ones or ones naming an
--           unknown step go to weft.dead_letters and are archived — never dropped.
-- Callers : orchestrators, every tick.
create function weft.intake_step_results(processor_id text default null, max_messages integer default 100, vt_seconds integer default 30)
returns table (applied integer, rejected integer, dead integer)
language plpgsql volatile
set search_path = ''
as $$
#variable_conflict use_column
declare
  v_msg record;
  v_m jsonb;
  v_report weft.step_report;
  v_applied integer := 0;
  v_rejected integer := 0;
  v_dead integer := 0;
  v_state text;
  v_text text;
begin
  for v_msg in select * from pgmq.read('orchestration_step_results', vt_seconds, greatest(coalesce(max_messages, 100), 1)) loop
    v_m := v_msg.message;
    begin
      if v_m is null or pg_catalog.jsonb_typeof(v_m) <> 'object' then
        raise exception 'step result must be a JSON object, got %', coalesce(pg_catalog.jsonb_typeof(v_m), 'null') using errcode = 'WF001';
      end if;
      if pg_catalog.jsonb_typeof(v_m -> 'attempt') is distinct from 'number' then
        raise exception 'step result needs a numeric "attempt", got %', coalesce((v_m -> 'attempt')::text, 'nothing') using errcode = 'WF001';
      end if;
      if v_m ->> 'status' = 'complete' then
        v_report := weft.complete_step((v_m ->> 'step_id')::uuid, (v_m ->> 'attempt')::integer, v_m -> 'result',
                                       coalesce(v_m ->> 'processor_id', processor_id));
      elsif v_m ->> 'status' = 'failed' then
        v_report := weft.fail_step((v_m ->> 'step_id')::uuid, (v_m ->> 'attempt')::integer, coalesce(v_m -> 'error', '{}'::jsonb),
                                   coalesce((v_m ->> 'retryable')::boolean, true), coalesce(v_m ->> 'processor_id', processor_id));
      else
        raise exception 'step result "status" must be "complete" or "failed", got %', coalesce((v_m -> 'status')::text, 'nothing')
          using errcode = 'WF001';
      end if;
      if v_report.outcome = 'applied' then v_applied := v_applied + 1; else v_rejected := v_rejected + 1; end if;
      perform pgmq.archive('orchestration_step_results', v_msg.msg_id);
    exception when others then
      get stacked diagnostics v_state = returned_sqlstate, v_text = message_text;
      insert into weft.dead_letters (queue_name, msg_id, message, reason, sqlstate, processor_id)
      values ('orchestration_step_results', v_msg.msg_id, v_m, v_text, v_state, processor_id);
      perform pgmq.archive('orchestration_step_results', v_msg.msg_id);
      v_dead := v_dead + 1;
    end;
  end loop;
  return query select v_applied, v_rejected, v_dead;
end
$$;
--! EndIncluded weft/047-intake-step-results.sql
--! Included weft/048-orchestrator-tick.sql
-- weft.orchestrator_tick(processor_id, max_rows) → table(requests_accepted, requests_rejected,
--   results_applied, results_rejected, results_dead, started_tasks, retried_steps, timed_out_steps,
--   finalizable, next_due_at, next_due_in_ms, recovered_steps)
--
-- Purpose : one round trip for an orchestrator's periodic duties: request-queue intake,
--           result-queue intake, timers, stalled-step recovery (weft.recover_stalled_steps); and
--           how many finalizing tasks wait for a claim, counted up to max_rows (the caller then
--           claims and finalizes them; it needs to know there are some, not how many). An idle orchestrator issues this one query
--           per poll. next_due_in_ms is measured on the engine clock (weft.now()), so a caller
--           can sleep until the next timer even when a test has shifted the clock.
-- Callers : orchestrators.
create function weft.orchestrator_tick(processor_id text, max_rows integer default 100)
returns table (requests_accepted integer, requests_rejected integer, results_applied integer, results_rejected integer,
               results_dead integer, started_tasks integer, retried_steps integer, timed_out_steps integer,
               finalizable integer, next_due_at timestamptz, next_due_in_ms bigint, recovered_steps integer)
language plpgsql volatile
set search_path = ''
as $$
#variable_conflict use_column
declare
  r record;
  s record;
  t record;
  v_finalizable integer;
  v_recovered integer;
begin
  select * into r from weft.intake_task_requests(processor_id, max_rows);
  select * into s from weft.intake_step_results(processor_id, max_rows);
  select * into t from weft.fire_timers(processor_id, max_rows * 5);
  v_recovered := weft.recover_stalled_steps(processor_id, max_rows);
  select pg_catalog.count(*)::integer into v_finalizable from (
    select 1 from weft.tasks x where x.state = 'finalizing'
      -- NOT IN: a hashed subplan over the live claims (see 041-claim-tasks-for-finalization.sql)
      and x.task_id not in (select c.task_id from weft.finalization_claims c where c.expires_at > weft.now())
    limit greatest(coalesce(max_rows, 100), 1)) f;
  return query select r.accepted, r.rejected, s.applied, s.rejected, s.dead, t.started_tasks, t.retried_steps,
                      t.timed_out_steps, v_finalizable, t.next_due_at,
                      -- null when no timer is pending (greatest() would turn a null into 0: a busy loop)
                      case when t.next_due_at is null then null
                           else greatest(0, pg_catalog.ceil(extract(epoch from t.next_due_at - weft.now()) * 1000))::bigint end,
                      v_recovered;
end
$$;
--! EndIncluded weft/048-orchestrator-tick.sql
--! Included weft/049-dead-letter-message.sql
-- weft.dead_letter_message(queue_name, msg_id, reason, processor_id, sqlstate) → boolean
--
-- Purpose : a consumer that cannot use a queue message (it does not parse, it names an unknown
--           task or step, its handler cannot take it) hands it here: the message is archived
--           (pgmq.a_<queue>) and a row with the reason (and the SQLSTATE, if the consumer got
--           one) goes to weft.dead_letters. Nothing is dropped. When the message is the live
--           message of a step's current attempt, that attempt fails for good (error code
--           "dead_lettered") in the same transaction, so the step does not wait forever for a
--           message that is gone. Returns false when the message was no longer in the queue.
-- Callers : workers (TS SDK, any language).
-- Errors  : WF001 null queue_name / msg_id / reason; WF010 queue_name is not a weft queue.
create function weft.dead_letter_message(queue_name text, msg_id bigint, reason text, processor_id text default null,
                                         sqlstate text default null)
returns boolean
language plpgsql volatile
set search_path = ''
as $$
#variable_conflict use_column
declare
  v_message jsonb;
  v_rows integer;
  v_step record;
  v_live boolean := false;
begin
  if queue_name is null or msg_id is null or reason is null then
    raise exception 'queue_name, msg_id and reason are required' using errcode = 'WF001';
  end if;
  if not exists (select 1 from weft.namespaces n where n.queue_name = dead_letter_message.queue_name)
     and dead_letter_message.queue_name not in ('orchestration_task_requests', 'orchestration_step_results') then
    raise exception 'queue "%" is not a weft queue', queue_name using errcode = 'WF010';
  end if;
  execute pg_catalog.format('select message from pgmq.%I where msg_id = $1', 'q_' || dead_letter_message.queue_name)
    into v_message using dead_letter_message.msg_id;
  get diagnostics v_rows = row_count;
  if v_rows = 0 then
    return false;
  end if;
  -- The live message of a current attempt? Lock task, then step (the engine's lock order) before
  -- touching the message, so this never deadlocks with a completion of the same step.
  if pg_catalog.jsonb_typeof(v_message) = 'object' and (v_message ->> 'step_id') ~ '^[0-9a-fA-F-]{36}$' then
    select s.step_id, s.task_id, s.attempt into v_step from weft.steps s
    where s.step_id = (v_message ->> 'step_id')::uuid and s.msg_id = dead_letter_message.msg_id and s.state = 'enqueued';
    if found then
      perform 1 from weft.tasks t where t.task_id = v_step.task_id for no key update;
      perform 1 from weft.steps s where s.step_id = v_step.step_id and s.state = 'enqueued' and s.msg_id = dead_letter_message.msg_id
      for update;
      v_live := found;
    end if;
  end if;

  insert into weft.dead_letters (queue_name, msg_id, message, reason, sqlstate, processor_id)
  values (dead_letter_message.queue_name, dead_letter_message.msg_id, v_message, dead_letter_message.reason,
          dead_letter_message.sqlstate, dead_letter_message.processor_id);
  perform pgmq.archive(dead_letter_message.queue_name, dead_letter_message.msg_id);
  if v_live then
    perform weft._apply_step_failure(v_step.task_id, v_step.step_id, v_step.attempt,
      pg_catalog.jsonb_build_object('code', 'dead_lettered', 'message', dead_letter_message.reason),
      false, dead_letter_message.processor_id, 'dead_lettered');
  end if;
  return true;
end
$$;
--! EndIncluded weft/049-dead-letter-message.sql
--! Included weft/050-orchestration-queues.sql
-- The orchestration queues (created once, idempotently):
--   orchestration_task_requests  task requests sent as PGMQ messages (weft.intake_task_requests)
--   orchestration_step_results   step results sent as PGMQ messages (weft.intake_step_results)
-- Both notify on insert (pgmq.enable_notify_insert; channel pgmq.q_<queue>.INSERT, at most one
-- notification per 100 ms), which wakes idle orchestrators: a service that only sends a PGMQ
-- message does not wait for the next poll.
select pgmq.create('orchestration_task_requests');
select pgmq.create('orchestration_step_results');
select pgmq.enable_notify_insert('orchestration_task_requests', 100);
select pgmq.enable_notify_insert('orchestration_step_results', 100);
--! EndIncluded weft/050-orchestration-queues.sql
--! Included weft/051-start-compensation.sql
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
--! EndIncluded weft/051-start-compensation.sql
--! Included weft/052-recover-stalled-steps.sql
-- weft.recover_stalled_steps(processor_id, max_rows) → integer (attempts failed as stalled)
--
-- Purpose : stalled-step recovery. A step's lease is the visibility timeout of its queue
--           message: a worker that read it extends it with weft.heartbeat_step. A message that
--           was read (read_ct > 0) and whose visibility timeout has passed belongs to a worker
--           that died or hung: its attempt fails as retryable with error code "lease_expired"
--           (retried per the step's policy, or the step fails when attempts are exhausted), the
--           message is deleted, and a late result from that attempt is rejected (fencing).
--           If another worker re-reads the expired message before this sweep sees it, that
--           worker simply carries on with the same attempt: nothing is lost either way.
-- Callers : weft.orchestrator_tick (every tick, any number of orchestrators at once).
-- Locks   : queue rows FOR UPDATE SKIP LOCKED, then task and step rows with SKIP LOCKED, so the
--           sweep never waits on (and never deadlocks with) a completion or a heartbeat in flight.
-- Index   : q_<namespace>_leased_idx (vt) where read_ct > 0, created with each namespace queue.
create function weft.recover_stalled_steps(processor_id text default null, max_rows integer default 100)
returns integer
language plpgsql volatile
set search_path = ''
as $$
#variable_conflict use_column
declare
  v_ns record;
  v_msg record;
  v_count integer := 0;
  v_limit integer := greatest(coalesce(max_rows, 100), 1);
begin
  for v_ns in select n.name, n.queue_name from weft.namespaces n loop
    for v_msg in execute pg_catalog.format(
      'select q.msg_id, q.read_ct, q.vt, q.message from pgmq.%I q
       where q.read_ct > 0 and q.vt < pg_catalog.clock_timestamp()
       order by q.vt limit $1 for update skip locked', 'q_' || v_ns.queue_name) using v_limit
    loop
      continue when pg_catalog.jsonb_typeof(v_msg.message) is distinct from 'object'
                 or (v_msg.message ->> 'step_id') !~ '^[0-9a-f-]{36}$';
      -- task, then step (the engine's lock order), skipping rows someone is working on now
      perform 1 from weft.tasks t
      where t.task_id = (select s.task_id from weft.steps s where s.step_id = (v_msg.message ->> 'step_id')::uuid)
        and t.state in ('running', 'compensating')
      for no key update skip locked;
      continue when not found;
      perform 1 from weft.steps s
      where s.step_id = (v_msg.message ->> 'step_id')::uuid and s.state = 'enqueued' and s.msg_id = v_msg.msg_id
      for update skip locked;
      continue when not found;
      perform weft._apply_step_failure(
        (select s.task_id from weft.steps s where s.step_id = (v_msg.message ->> 'step_id')::uuid),
        (v_msg.message ->> 'step_id')::uuid,
        (select s.attempt from weft.steps s where s.step_id = (v_msg.message ->> 'step_id')::uuid),
        pg_catalog.jsonb_build_object('code', 'lease_expired', 'message',
          pg_catalog.format('the worker holding attempt %s stopped heartbeating; its lease expired at %s (read %s times)',
                            v_msg.message ->> 'attempt', v_msg.vt, v_msg.read_ct)),
        true, processor_id, 'lease_expired');
      v_count := v_count + 1;
    end loop;
  end loop;
  return v_count;
end
$$;
--! EndIncluded weft/052-recover-stalled-steps.sql
--! Included weft/053-apply-step-completion.sql
-- weft._apply_step_completion(task_id, step_id, result, to_state, processor_id, reason, details)
--   → weft.task_state (the task's state afterwards)
--
-- Purpose : what a step finishing successfully leads to — shared by weft.complete_step (a
--           worker's report), weft.resolve_step (an operator supplies the result) and
--           weft.skip_step (to_state 'skipped', result null): the step gets its final state and
--           result, its queue message (if any) is deleted, each child's count of pending parents
--           drops and children at zero are enqueued (while the task runs or compensates), and
--           when no step remains the task moves to finalizing.
-- Callers : weft.complete_step, weft.resolve_step, weft.skip_step.
-- Locks   : caller holds the task row lock and the step row lock.
create function weft._apply_step_completion(
  task_id uuid, step_id uuid, result jsonb, to_state weft.step_state, processor_id text, reason text, details jsonb default null
) returns weft.task_state
language plpgsql volatile
set search_path = ''
as $$
#variable_conflict use_column
declare
  v_step record;
  v_ready uuid[];
  v_remaining integer;
  v_task_state weft.task_state;
begin
  -- The step's new state, reading its old one in the same statement (the FROM row is the
  -- version before the update).
  update weft.steps s
  set state = to_state, result = _apply_step_completion.result, error = null, finished_at = weft.now(), msg_id = null,
      deadline_at = null, ready_at = null, updated_at = pg_catalog.now()
  from weft.steps o join weft.tasks t on t.task_id = o.task_id
  where s.step_id = _apply_step_completion.step_id and o.step_id = s.step_id
  returning o.name, o.state, o.attempt, o.msg_id, t.namespace, t.workflow_id, t.state as task_state into v_step;
  if v_step.msg_id is not null then
    perform pgmq.delete(v_step.namespace, v_step.msg_id);
  end if;
  insert into weft.transitions (entity, task_id, step_id, from_state, to_state, reason, processor_id, attempt, details)
  values ('step', task_id, step_id, v_step.state::text, to_state::text, reason, processor_id, v_step.attempt, details);

  -- Children: one fewer pending parent each; those at zero are ready. Ordinary steps take their
  -- children from the workflow's edges, compensation steps from weft.step_dependencies.
  with children as (
    select c.step_id from weft.workflow_edges e join weft.steps c on c.task_id = _apply_step_completion.task_id and c.name = e.child
    where e.workflow_id = v_step.workflow_id and e.parent = v_step.name and c.kind = 'step'
    union all
    select d.child_step_id from weft.step_dependencies d where d.parent_step_id = _apply_step_completion.step_id
  ), dec as (
    update weft.steps c set pending_parents = c.pending_parents - 1, updated_at = pg_catalog.now()
    from children ch
    where c.step_id = ch.step_id
    returning c.step_id, c.pending_parents, c.state
  )
  select pg_catalog.array_agg(dec.step_id) filter (where dec.pending_parents = 0 and dec.state = 'pending') into v_ready from dec;
  if v_ready is not null and v_step.task_state in ('running', 'compensating') then
    perform weft._enqueue_steps(v_ready, processor_id, 'parents_complete');
  end if;

  update weft.tasks t set steps_remaining = t.steps_remaining - 1, updated_at = pg_catalog.now()
  where t.task_id = _apply_step_completion.task_id
  returning t.steps_remaining, t.state into v_remaining, v_task_state;
  if v_remaining = 0 then
    perform weft._request_finalization(task_id, 'all_steps_complete', processor_id);
    v_task_state := 'finalizing';
  end if;
  return v_task_state;
end
$$;
--! EndIncluded weft/053-apply-step-completion.sql
--! Included weft/054-reopen-task.sql
-- weft._reopen_task(task_id, requested_by, reason) → uuid[] (steps now ready to enqueue)
--
-- Purpose : brings a task that ended in error back to running, for the manual operations:
--           every ordinary step in error or cancelled goes back to pending with a fresh attempt
--           budget (max_attempts = attempts so far + the policy's max_attempts; attempt numbers
--           keep counting, so fencing still holds), pending_parents is recounted, the task's
--           steps_remaining is recounted, and each change is written to weft.transitions with
--           the operator's name. Returns the steps with no pending parent (the caller enqueues
--           them after its own changes).
-- Callers : weft.retry_task, weft.retry_step, weft.resolve_step, weft.skip_step.
-- Locks   : caller holds the task row lock.
-- Errors  : WF008 when the task is not in error, or when its saga was already compensated
--           (re-running compensated steps would repeat effects that were undone).
create function weft._reopen_task(task_id uuid, requested_by text, reason text) returns uuid[]
language plpgsql volatile
set search_path = ''
as $$
#variable_conflict use_column
declare
  v_task record;
  v_ready uuid[];
begin
  select t.state, t.workflow_id into v_task from weft.tasks t where t.task_id = _reopen_task.task_id;
  if v_task.state <> 'error' then
    raise exception 'task % is %; only a task in error can be reopened', task_id, v_task.state using errcode = 'WF008';
  end if;
  if exists (select 1 from weft.steps s where s.task_id = _reopen_task.task_id and s.kind = 'compensation') then
    raise exception 'task % was compensated (saga); it cannot be retried', task_id
      using errcode = 'WF008', hint = 'Request a new task instead.';
  end if;

  with reset as (
    update weft.steps s
    set state = 'pending', error = null, finished_at = null, msg_id = null, deadline_at = null, ready_at = null,
        max_attempts = s.attempt + (s.retry ->> 'max_attempts')::integer, updated_at = pg_catalog.now()
    from (select s2.step_id, s2.state as old_state from weft.steps s2
          where s2.task_id = _reopen_task.task_id and s2.kind = 'step' and s2.state in ('error', 'cancelled') for update) o
    where s.step_id = o.step_id
    returning s.step_id, o.old_state, s.attempt
  )
  insert into weft.transitions (entity, task_id, step_id, from_state, to_state, reason, processor_id, attempt)
  select 'step', _reopen_task.task_id, r.step_id, r.old_state::text, 'pending', reason, requested_by, r.attempt from reset r;

  update weft.steps c
  set pending_parents = (
    select pg_catalog.count(*) from weft.workflow_edges e join weft.steps p on p.task_id = c.task_id and p.name = e.parent
    where e.workflow_id = v_task.workflow_id and e.child = c.name and p.state not in ('complete', 'skipped'))::integer
  where c.task_id = _reopen_task.task_id and c.kind = 'step' and c.state = 'pending';

  update weft.tasks t
  set state = 'running', error = null, result = null, finished_at = null, finalize_requested_at = null, updated_at = pg_catalog.now(),
      steps_remaining = (select pg_catalog.count(*) from weft.steps s where s.task_id = _reopen_task.task_id and s.kind = 'step'
                         and s.state not in ('complete', 'skipped'))::integer
  where t.task_id = _reopen_task.task_id;
  insert into weft.transitions (entity, task_id, from_state, to_state, reason, processor_id)
  values ('task', task_id, 'error', 'running', reason, requested_by);

  select pg_catalog.array_agg(s.step_id) into v_ready from weft.steps s
  where s.task_id = _reopen_task.task_id and s.kind = 'step' and s.state = 'pending' and s.pending_parents = 0;
  return v_ready;
end
$$;
--! EndIncluded weft/054-reopen-task.sql
--! Included weft/055-retry-task.sql
-- weft.retry_task(task_id, requested_by) → weft.task_state
--
-- Purpose : manual retry of a failed task: its failed steps and the steps that never ran
--           because of them run again (fresh attempt budget), from where the task stopped;
--           completed steps keep their results. Audited: transitions name requested_by.
-- Callers : `weft task retry`, the TS client, the API, SQL users.
-- Locks   : the task row, then its steps.
-- Errors  : WF001 null task_id / requested_by; WF005 unknown task; WF008 task not in error, or
--           compensated.
--
-- Example : select weft.retry_task('0190…', requested_by => 'alice');
create function weft.retry_task(task_id uuid, requested_by text) returns weft.task_state
language plpgsql volatile
set search_path = ''
as $$
#variable_conflict use_column
declare
  v_ready uuid[];
begin
  if task_id is null or requested_by is null or pg_catalog.btrim(requested_by) = '' then
    raise exception 'task_id and requested_by (who asks, for the audit trail) are required' using errcode = 'WF001';
  end if;
  perform 1 from weft.tasks t where t.task_id = retry_task.task_id for no key update;
  if not found then
    raise exception 'task % not found', task_id using errcode = 'WF005';
  end if;
  v_ready := weft._reopen_task(task_id, requested_by, 'manual_retry');
  perform weft._enqueue_steps(v_ready, requested_by, 'manual_retry');
  return 'running';
end
$$;
--! EndIncluded weft/055-retry-task.sql
--! Included weft/056-retry-step.sql
-- weft.retry_step(step_id, requested_by) → weft.step_state
--
-- Purpose : manual retry of one step. A step waiting out its retry backoff is made due now.
--           A failed step of a task in error reopens the task (weft._reopen_task: the failed
--           step and the steps that never ran because of it go back to pending) and runs again.
--           Audited with requested_by.
-- Callers : `weft task retry --step`, the TS client, the API, SQL users.
-- Locks   : the task row, then the step.
-- Errors  : WF001 nulls; WF006 unknown step; WF008 the step is neither waiting_retry nor in error
--           (or its task cannot be reopened).
create function weft.retry_step(step_id uuid, requested_by text) returns weft.step_state
language plpgsql volatile
set search_path = ''
as $$
#variable_conflict use_column
declare
  v_task_id uuid;
  v_state weft.step_state;
  v_ready uuid[];
begin
  if step_id is null or requested_by is null or pg_catalog.btrim(requested_by) = '' then
    raise exception 'step_id and requested_by (who asks, for the audit trail) are required' using errcode = 'WF001';
  end if;
  select s.task_id into v_task_id from weft.steps s where s.step_id = retry_step.step_id;
  if v_task_id is null then
    raise exception 'step % not found', step_id using errcode = 'WF006';
  end if;
  perform 1 from weft.tasks t where t.task_id = v_task_id for no key update;
  select s.state into v_state from weft.steps s where s.step_id = retry_step.step_id for update;
  if v_state = 'waiting_retry' then
    update weft.steps s set ready_at = weft.now(), updated_at = pg_catalog.now() where s.step_id = retry_step.step_id;
    insert into weft.transitions (entity, task_id, step_id, from_state, to_state, reason, processor_id)
    values ('step', v_task_id, step_id, 'waiting_retry', 'waiting_retry', 'manual_retry_now', requested_by);
    perform weft._wake('weft_orchestrator', 'timer');
    return 'waiting_retry';
  elsif v_state = 'error' then
    v_ready := weft._reopen_task(v_task_id, requested_by, 'manual_retry_step');
    perform weft._enqueue_steps(v_ready, requested_by, 'manual_retry_step');
    select s.state into v_state from weft.steps s where s.step_id = retry_step.step_id;
    return v_state;
  end if;
  raise exception 'step % is %; only a step in error or waiting_retry can be retried', step_id, v_state using errcode = 'WF008';
end
$$;
--! EndIncluded weft/056-retry-step.sql
--! Included weft/057-resolve-step.sql
-- weft.resolve_step(step_id, result, requested_by) → weft.task_state
--
-- Purpose : an operator completes a step by hand with a supplied result — for a step in error
--           (its task is reopened first), waiting_retry, enqueued (the worker's later report is
--           rejected: the step has moved on) or pending. Its children then run as if it had
--           completed. Audited: the transition's reason is manual_resolve, details hold the
--           result, processor_id is requested_by.
-- Callers : `weft task resolve`, the TS client, the API, SQL users.
-- Locks   : the task row, then the step.
-- Errors  : WF001 nulls; WF006 unknown step; WF008 step already complete/skipped/cancelled, or
--           its task is neither running nor reopenable.
create function weft.resolve_step(step_id uuid, result jsonb, requested_by text) returns weft.task_state
language plpgsql volatile
set search_path = ''
as $$
#variable_conflict use_column
begin
  return weft._finish_step_by_hand(step_id, coalesce(result, 'null'::jsonb), 'complete', requested_by, 'manual_resolve');
end
$$;
--! EndIncluded weft/057-resolve-step.sql
--! Included weft/058-skip-step.sql
-- weft.skip_step(step_id, requested_by) → weft.task_state
--
-- Purpose : an operator skips a step: it ends 'skipped' with a null result and its children run
--           as if it had completed (their `parents` show null for it). Same rules as
--           weft.resolve_step; audited with reason manual_skip.
-- Callers : `weft task skip`, the TS client, the API, SQL users.
-- Errors  : as weft.resolve_step.
create function weft.skip_step(step_id uuid, requested_by text) returns weft.task_state
language plpgsql volatile
set search_path = ''
as $$
#variable_conflict use_column
begin
  return weft._finish_step_by_hand(step_id, null, 'skipped', requested_by, 'manual_skip');
end
$$;
--! EndIncluded weft/058-skip-step.sql
--! Included weft/059-finish-step-by-hand.sql
-- weft._finish_step_by_hand(step_id, result, to_state, requested_by, reason) → weft.task_state
--
-- Purpose : the body of weft.resolve_step and weft.skip_step: checks, reopens a task in error,
--           then applies the completion (weft._apply_step_completion) and enqueues what became
--           ready.
-- Locks   : the task row, then the step.
create function weft._finish_step_by_hand(step_id uuid, result jsonb, to_state weft.step_state, requested_by text, reason text)
returns weft.task_state
language plpgsql volatile
set search_path = ''
as $$
#variable_conflict use_column
declare
  v_task_id uuid;
  v_task_state weft.task_state;
  v_state weft.step_state;
  v_kind text;
  v_ready uuid[];
begin
  if step_id is null or requested_by is null or pg_catalog.btrim(requested_by) = '' then
    raise exception 'step_id and requested_by (who asks, for the audit trail) are required' using errcode = 'WF001';
  end if;
  select s.task_id into v_task_id from weft.steps s where s.step_id = _finish_step_by_hand.step_id;
  if v_task_id is null then
    raise exception 'step % not found', step_id using errcode = 'WF006';
  end if;
  select t.state into v_task_state from weft.tasks t where t.task_id = v_task_id for no key update;
  select s.state, s.kind into v_state, v_kind from weft.steps s where s.step_id = _finish_step_by_hand.step_id for update;
  if v_state in ('complete', 'skipped', 'cancelled') and not (v_state = 'cancelled' and v_task_state = 'error') then
    raise exception 'step % is already %', step_id, v_state using errcode = 'WF008';
  end if;
  if v_kind <> 'step' then
    raise exception 'step % is a compensation step; resolve or skip the task''s ordinary steps', step_id using errcode = 'WF008';
  end if;
  if v_task_state = 'error' then
    v_ready := weft._reopen_task(v_task_id, requested_by, reason);
  elsif v_task_state not in ('running') then
    raise exception 'task % is %; steps can be resolved or skipped while it runs or after it failed', v_task_id, v_task_state
      using errcode = 'WF008';
  end if;
  v_task_state := weft._apply_step_completion(v_task_id, step_id, result, to_state, requested_by, reason,
                                              pg_catalog.jsonb_build_object('result', result));
  -- steps that were ready before this completion (reopened roots); the completion enqueued its own children
  select pg_catalog.array_agg(s.step_id) into v_ready from weft.steps s
  where s.step_id = any (coalesce(v_ready, '{}')) and s.state = 'pending' and s.pending_parents = 0;
  perform weft._enqueue_steps(v_ready, requested_by, reason);
  return v_task_state;
end
$$;
--! EndIncluded weft/059-finish-step-by-hand.sql
--! Included weft/060-views.sql
-- Views for operators (schema weft). Read-only; granted to the monitor role.

-- Each step of each workflow with its topological level: level 0 has no parents; steps of one
-- level can run in parallel.
create view weft.workflow_step_levels as
with recursive lv as (
  select ws.workflow_id, ws.name, 0 as level
  from weft.workflow_steps ws
  where not exists (select 1 from weft.workflow_edges e where e.workflow_id = ws.workflow_id and e.child = ws.name)
  union all
  select e.workflow_id, e.child, lv.level + 1
  from lv join weft.workflow_edges e on e.workflow_id = lv.workflow_id and e.parent = lv.name
)
select w.namespace, w.name as workflow_name, w.version, lv.workflow_id, lv.name as step_name, max(lv.level) as level
from lv join weft.workflows w on w.workflow_id = lv.workflow_id
group by w.namespace, w.name, w.version, lv.workflow_id, lv.name;
comment on view weft.workflow_step_levels is 'Topological level of every workflow step (0 = no parents).';

-- Tasks not yet terminal, with progress.
create view weft.active_tasks as
select t.task_id, t.namespace, w.name as workflow_name, w.version as workflow_version, t.state,
       weft.priority_name(t.priority) as priority, t.steps_total, t.steps_total - t.steps_remaining as steps_done,
       case when t.steps_total = 0 then 0 else round(100.0 * (t.steps_total - t.steps_remaining) / t.steps_total, 1) end as percent,
       t.idempotency_key, t.run_after, t.created_at, t.started_at, t.finalize_requested_at,
       now() - t.created_at as age
from weft.tasks t join weft.workflows w on w.workflow_id = t.workflow_id
where t.state in ('pending', 'running', 'finalizing', 'compensating');
comment on view weft.active_tasks is 'Tasks not yet terminal, with progress.';

-- Counts of tasks by namespace, workflow and state.
create view weft.task_stats as
select t.namespace, w.name as workflow_name, t.state, count(*) as tasks,
       min(t.created_at) as oldest_created_at, max(t.finished_at) as last_finished_at
from weft.tasks t join weft.workflows w on w.workflow_id = t.workflow_id
group by t.namespace, w.name, t.state;
comment on view weft.task_stats is 'Task counts per namespace, workflow and state.';

-- Finalization claims with their holder and whether they are still live.
create view weft.claims as
select c.task_id, c.processor_id, c.claimed_at, c.expires_at, c.expires_at > weft.now() as live,
       greatest(extract(epoch from c.expires_at - weft.now()), 0) as seconds_left, c.takeovers, t.state as task_state
from weft.finalization_claims c join weft.tasks t on t.task_id = c.task_id;
comment on view weft.claims is 'Finalization claims: holder, expiry, live or expired.';

-- Everything the timer sweep (weft.fire_timers) will fire, and when.
create view weft.pending_timers as
select 'delayed_start'::text as kind, t.task_id, null::uuid as step_id, null::text as step_name, t.run_after as due_at
from weft.tasks t where t.state = 'pending' and t.run_after is not null
union all
select 'retry_backoff', s.task_id, s.step_id, s.name, s.ready_at from weft.steps s where s.state = 'waiting_retry'
union all
select 'attempt_deadline', s.task_id, s.step_id, s.name, s.deadline_at from weft.steps s where s.state = 'enqueued' and s.deadline_at is not null;
comment on view weft.pending_timers is 'Durable timers: delayed starts, retry backoffs and attempt deadlines, with their due time.';

-- Queue depth per namespace (an autoscaler such as KEDA can run:
--   select queue_visible_length from weft.queue_depths where namespace = 'fulfillment').
create view weft.queue_depths as
select n.name as namespace, n.queue_name, m.queue_length, m.queue_visible_length, m.oldest_msg_age_sec, m.newest_msg_age_sec,
       m.total_messages
from weft.namespaces n cross join lateral pgmq.metrics(n.queue_name) m;
comment on view weft.queue_depths is 'Depth and oldest message age of each namespace queue (for dashboards and autoscalers).';

-- Steps that failed for good, with every failed attempt's error (from transitions).
create view weft.failed_steps as
select s.task_id, s.step_id, s.name as step_name, t.namespace, w.name as workflow_name, s.attempt, s.max_attempts, s.error,
       (select jsonb_agg(jsonb_build_object('attempt', tr.attempt, 'at', tr.created_at, 'reason', tr.reason,
                                            'error', tr.details -> 'error') order by tr.transition_id)
        from weft.transitions tr where tr.step_id = s.step_id and tr.to_state in ('waiting_retry', 'error')) as error_history,
       s.finished_at
from weft.steps s join weft.tasks t on t.task_id = s.task_id join weft.workflows w on w.workflow_id = t.workflow_id
where s.state = 'error';
comment on view weft.failed_steps is 'Steps in error (retries exhausted or permanent failure) with their full error history.';
--! EndIncluded weft/060-views.sql
--! Included weft/080-purge-finished-tasks.sql
-- weft.purge_finished_tasks(older_than interval, max_tasks integer) → integer (tasks deleted)
--
-- Purpose : retention of finished work: deletes tasks that are terminal (complete, error,
--           cancelled, compensation_failed) and finished more than `older_than` ago, with their
--           steps, step dependencies, transitions, rejected results and claims; at most
--           max_tasks per call (run it repeatedly for a large backlog). Child tasks are
--           detached (parent_task_id set null) when their parent goes first.
-- Callers : operators, `weft purge`, schedulers (pg_cron), the benchmark.
-- Locks   : the deleted rows.
-- Errors  : WF001 older_than null or negative, max_tasks < 1.
--
-- Example : select weft.purge_finished_tasks(interval '30 days');
create function weft.purge_finished_tasks(older_than interval, max_tasks integer default 10000) returns integer
language plpgsql volatile
set search_path = ''
as $$
#variable_conflict use_column
declare
  v_ids uuid[];
begin
  if older_than is null or older_than < interval '0' then
    raise exception 'older_than must be a non-negative interval, got %', coalesce(older_than::text, 'null') using errcode = 'WF001';
  end if;
  if max_tasks is null or max_tasks < 1 then
    raise exception 'max_tasks must be at least 1, got %', coalesce(max_tasks::text, 'null') using errcode = 'WF001';
  end if;
  select pg_catalog.array_agg(t.task_id) into v_ids from (
    select t.task_id from weft.tasks t
    where t.state in ('complete', 'error', 'cancelled', 'compensation_failed') and t.finished_at < weft.now() - older_than
    order by t.finished_at limit max_tasks
    for update skip locked) t;
  if v_ids is null then
    return 0;
  end if;
  update weft.tasks t set parent_task_id = null where t.parent_task_id = any (v_ids) and not t.task_id = any (v_ids);
  delete from weft.transitions tr where tr.task_id = any (v_ids);
  delete from weft.rejected_results r where r.task_id = any (v_ids);
  delete from weft.step_dependencies d where d.task_id = any (v_ids);
  -- steps reference each other (compensates): clear before deleting
  update weft.steps s set compensates = null where s.task_id = any (v_ids) and s.compensates is not null;
  delete from weft.steps s where s.task_id = any (v_ids);
  delete from weft.tasks t where t.task_id = any (v_ids);
  return pg_catalog.cardinality(v_ids);
end
$$;
--! EndIncluded weft/080-purge-finished-tasks.sql
--! Included weft/081-purge-idempotency-keys.sql
-- weft.purge_idempotency_keys(older_than interval default '24 hours') → integer (keys cleared)
--
-- Purpose : idempotency keys are kept for a window (default 24 h): after it, the same key may
--           request a new task. Clears the key of tasks requested more than `older_than` ago.
-- Callers : operators, `weft purge`, schedulers.
-- Errors  : WF001 older_than null or negative.
create function weft.purge_idempotency_keys(older_than interval default interval '24 hours') returns integer
language plpgsql volatile
set search_path = ''
as $$
#variable_conflict use_column
declare
  v_n integer;
begin
  if older_than is null or older_than < interval '0' then
    raise exception 'older_than must be a non-negative interval, got %', coalesce(older_than::text, 'null') using errcode = 'WF001';
  end if;
  update weft.tasks t set idempotency_key = null
  where t.idempotency_key is not null and t.created_at < weft.now() - older_than;
  get diagnostics v_n = row_count;
  return v_n;
end
$$;
--! EndIncluded weft/081-purge-idempotency-keys.sql
--! Included weft/082-purge-queue-archives.sql
-- weft.purge_queue_archives(older_than interval) → bigint (archived messages deleted)
--
-- Purpose : retention of the PGMQ archive tables (pgmq.a_<queue>) of every weft queue (the
--           namespace queues and the two orchestration queues): archived messages older than
--           `older_than` are deleted. Dead-lettered messages stay in weft.dead_letters.
-- Callers : operators, `weft purge`, schedulers.
-- Errors  : WF001 older_than null or negative.
create function weft.purge_queue_archives(older_than interval) returns bigint
language plpgsql volatile
set search_path = ''
as $$
#variable_conflict use_column
declare
  v_queue text;
  v_n bigint;
  v_total bigint := 0;
begin
  if older_than is null or older_than < interval '0' then
    raise exception 'older_than must be a non-negative interval, got %', coalesce(older_than::text, 'null') using errcode = 'WF001';
  end if;
  for v_queue in
    select n.queue_name from weft.namespaces n
    union all select 'orchestration_task_requests' union all select 'orchestration_step_results'
  loop
    execute pg_catalog.format('delete from pgmq.%I where archived_at < pg_catalog.now() - $1', 'a_' || v_queue) using older_than;
    get diagnostics v_n = row_count;
    v_total := v_total + v_n;
  end loop;
  return v_total;
end
$$;
--! EndIncluded weft/082-purge-queue-archives.sql
--! Included weft/083-purge-dead-letters.sql
-- weft.purge_dead_letters(older_than interval) → integer (rows deleted)
--
-- Purpose : retention of weft.dead_letters.
-- Callers : operators, `weft purge`, schedulers.
-- Errors  : WF001 older_than null or negative.
create function weft.purge_dead_letters(older_than interval) returns integer
language plpgsql volatile
set search_path = ''
as $$
#variable_conflict use_column
declare
  v_n integer;
begin
  if older_than is null or older_than < interval '0' then
    raise exception 'older_than must be a non-negative interval, got %', coalesce(older_than::text, 'null') using errcode = 'WF001';
  end if;
  delete from weft.dead_letters d where d.created_at < weft.now() - older_than;
  get diagnostics v_n = row_count;
  return v_n;
end
$$;
--! EndIncluded weft/083-purge-dead-letters.sql
--! Included weft/061-roles.sql
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
--! EndIncluded weft/061-roles.sql
--! Included weft/062-namespace-grants.sql
-- Per-namespace worker rights: which role may work on which namespace.
--
-- A row means: members of role_name (directly, or through roles they inherit) may read and
-- acknowledge the namespace's queue (the table privileges weft.grant_namespace gave) and report
-- its steps (weft._assert_namespace_access, called by the fencing check of every report).
-- Written only by weft.grant_namespace / weft.revoke_namespace; a dropped role's rows stay
-- (harmless: the checks join pg_roles) until revoke_namespace or the namespace goes.
create table weft.namespace_grants (
  role_name text not null constraint namespace_grants_role_name_length check (pg_catalog.length(role_name) between 1 and 63),
  namespace text not null references weft.namespaces (name) on delete cascade,
  granted_by text not null,
  granted_at timestamptz not null default now(),
  primary key (role_name, namespace)
);
comment on table weft.namespace_grants is 'Roles allowed to work on a namespace (its queue and its steps); see weft.grant_namespace.';
create index namespace_grants_namespace_idx on weft.namespace_grants (namespace);
--! EndIncluded weft/062-namespace-grants.sql
--! Included weft/063-calling-role.sql
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
--! EndIncluded weft/063-calling-role.sql
--! Included weft/064-has-namespace-access.sql
-- weft._has_namespace_access(role_name, namespace) → boolean
--
-- Purpose : may `role_name` act on `namespace` (read its queue, report its steps)? True for
--           superusers and members of the owner of schema weft (the migrating role), of
--           weft_admin and of weft_orchestrator (which applies results from the results queue
--           for every namespace), and for members of any role that weft.namespace_grants lists
--           for the namespace. Membership counts only where privileges are inherited
--           (pg_has_role … 'USAGE'): a NOINHERIT member must SET ROLE first, as for table
--           privileges.
-- Callers : weft._assert_namespace_access (every step report), weft._check_namespace_writer.
-- Security: SECURITY DEFINER (reads weft.namespace_grants whoever the caller is); EXECUTE for
--           the owner and weft_admin only, like every internal function.
-- Locks   : none (reads).
-- Speed   : PL/pgSQL (cached plans): it runs in every step report.
create function weft._has_namespace_access(role_name name, namespace text) returns boolean
language plpgsql stable
security definer
set search_path = ''
as $$
#variable_conflict use_variable
begin
  return pg_catalog.pg_has_role(role_name, (select n.nspowner from pg_catalog.pg_namespace n where n.nspname = 'weft'), 'USAGE')
      or pg_catalog.pg_has_role(role_name, 'weft_admin', 'USAGE')
      or pg_catalog.pg_has_role(role_name, 'weft_orchestrator', 'USAGE')
      or exists (
        select 1
        from weft.namespace_grants g
        join pg_catalog.pg_roles r on r.rolname = g.role_name
        where g.namespace = _has_namespace_access.namespace and pg_catalog.pg_has_role(_has_namespace_access.role_name, r.oid, 'USAGE'));
end
$$;
comment on function weft._has_namespace_access(name, text) is 'Whether a role may work on a namespace: weft owner, weft_admin, weft_orchestrator, or a member of a role granted it (weft.grant_namespace).';
--! EndIncluded weft/064-has-namespace-access.sql
--! Included weft/065-assert-namespace-access.sql
-- weft._assert_namespace_access(namespace) → void
--
-- Purpose : the per-namespace guard of worker reports: raises WF012 unless the calling role
--           (weft.calling_role(): the session's SET ROLE or login role when called from weft's
--           SECURITY DEFINER functions) may act on the namespace (weft._has_namespace_access).
-- Callers : weft._fence_step (so weft.complete_step, fail_step, heartbeat_step, checkpoint_step
--           and the results-queue intake all pass through it), weft._check_namespace_writer.
-- Locks   : none.
-- Errors  : WF012 permission_denied, naming the role and the namespace.
create function weft._assert_namespace_access(namespace text) returns void
language plpgsql stable
set search_path = ''
as $$
#variable_conflict use_column
declare
  v_role name := weft.calling_role();
begin
  if not weft._has_namespace_access(v_role, namespace) then
    raise exception 'role "%" may not act on namespace "%"', v_role, namespace
      using errcode = 'WF012',
            detail = 'Only roles granted the namespace (weft.namespace_grants), weft_orchestrator, weft_admin and the weft owner may report its steps.',
            hint = pg_catalog.format('An admin grants it with: select weft.grant_namespace(role_name => %L, namespace => %L);', v_role, namespace);
  end if;
end
$$;
comment on function weft._assert_namespace_access(text) is 'Raises WF012 unless the calling role may act on the namespace.';
--! EndIncluded weft/065-assert-namespace-access.sql
--! Included weft/066-grant-namespace.sql
-- weft.grant_namespace(role_name, namespace) → boolean (true when the grant is new)
--
-- Purpose : lets a role work on one namespace: the table privileges the PGMQ calls of a worker
--           need on that namespace's queue (PGMQ functions run with the caller's rights) —
--             pgmq.q_<queue>  SELECT, UPDATE, DELETE  (read / read_with_poll / set_vt: UPDATE +
--                                                      SELECT; delete: DELETE + SELECT)
--             pgmq.a_<queue>  SELECT, INSERT          (archive: INSERT … RETURNING msg_id)
--           — and a row in weft.namespace_grants, which the report functions check
--           (weft._assert_namespace_access). Idempotent. The role (or a role it inherits from)
--           must also be a member of weft_worker to call the report functions; a NOTICE says so
--           when it is not. Members of role_name inherit the grant.
-- Callers : operators (weft_admin), `select weft.grant_namespace('svc_fulfillment', 'fulfillment');`.
-- Security: SECURITY DEFINER (the queue tables belong to the weft owner); EXECUTE for weft_admin only.
-- Locks   : the weft.namespace_grants row; GRANT takes a lock on the two queue tables' ACLs.
-- Errors  : WF001 null argument or unknown role; WF010 unknown namespace.
create function weft.grant_namespace(role_name text, namespace text) returns boolean
language plpgsql volatile
security definer
set search_path = ''
as $$
#variable_conflict use_column
declare
  v_queue text;
  v_new boolean;
begin
  if role_name is null or namespace is null then
    raise exception 'role_name and namespace are required' using errcode = 'WF001';
  end if;
  if not exists (select 1 from pg_catalog.pg_roles r where r.rolname = grant_namespace.role_name) then
    raise exception 'role "%" does not exist', role_name
      using errcode = 'WF001', hint = 'Create the login role first, e.g. create role … login; grant weft_worker to …;';
  end if;
  select n.queue_name into v_queue from weft.namespaces n where n.name = grant_namespace.namespace;
  if v_queue is null then
    raise exception 'namespace "%" not found', namespace
      using errcode = 'WF010', hint = 'A namespace exists once a workflow of it is registered (weft.register_workflow).';
  end if;

  execute pg_catalog.format('grant select, update, delete on table pgmq.%I to %I', 'q_' || v_queue, grant_namespace.role_name);
  execute pg_catalog.format('grant select, insert on table pgmq.%I to %I', 'a_' || v_queue, grant_namespace.role_name);
  insert into weft.namespace_grants (role_name, namespace, granted_by)
  values (grant_namespace.role_name, grant_namespace.namespace, weft.calling_role())
  on conflict (role_name, namespace) do nothing
  returning true into v_new;

  if not pg_catalog.pg_has_role(grant_namespace.role_name::name, 'weft_worker', 'USAGE') then
    raise notice 'role "%" may now read queue "%", but it is not a member of weft_worker, so it cannot report steps yet', role_name, v_queue
      using hint = pg_catalog.format('grant weft_worker to %I;', grant_namespace.role_name);
  end if;
  return coalesce(v_new, false);
end
$$;
comment on function weft.grant_namespace(text, text) is 'Lets a role (and its members) read a namespace''s queue and report its steps; admin only.';
--! EndIncluded weft/066-grant-namespace.sql
--! Included weft/067-revoke-namespace.sql
-- weft.revoke_namespace(role_name, namespace) → boolean (true when a grant was removed)
--
-- Purpose : undoes weft.grant_namespace: removes the row from weft.namespace_grants and
--           revokes the queue table privileges it gave (skipped when the role no longer
--           exists). From the next statement on, the role's reads of the queue fail with 42501
--           and its step reports with WF012. Idempotent.
-- Callers : operators (weft_admin).
-- Security: SECURITY DEFINER (the queue tables belong to the weft owner); EXECUTE for weft_admin only.
-- Locks   : the weft.namespace_grants row; REVOKE locks the two queue tables' ACLs.
-- Errors  : WF001 null argument; WF010 unknown namespace.
create function weft.revoke_namespace(role_name text, namespace text) returns boolean
language plpgsql volatile
security definer
set search_path = ''
as $$
#variable_conflict use_column
declare
  v_queue text;
  v_removed integer;
begin
  if role_name is null or namespace is null then
    raise exception 'role_name and namespace are required' using errcode = 'WF001';
  end if;
  select n.queue_name into v_queue from weft.namespaces n where n.name = revoke_namespace.namespace;
  if v_queue is null then
    raise exception 'namespace "%" not found', namespace using errcode = 'WF010';
  end if;
  delete from weft.namespace_grants g where g.role_name = revoke_namespace.role_name and g.namespace = revoke_namespace.namespace;
  get diagnostics v_removed = row_count;
  if exists (select 1 from pg_catalog.pg_roles r where r.rolname = revoke_namespace.role_name) then
    execute pg_catalog.format('revoke select, update, delete on table pgmq.%I from %I', 'q_' || v_queue, revoke_namespace.role_name);
    execute pg_catalog.format('revoke select, insert on table pgmq.%I from %I', 'a_' || v_queue, revoke_namespace.role_name);
  end if;
  return v_removed > 0;
end
$$;
comment on function weft.revoke_namespace(text, text) is 'Takes a namespace back from a role: queue privileges and step reports; admin only.';
--! EndIncluded weft/067-revoke-namespace.sql
--! Included weft/068-check-namespace-writer.sql
-- weft._check_namespace_writer() → trigger on pgmq.q_orchestration_step_results and weft.dead_letters
--
-- Purpose : rows written on behalf of a namespace must come from a role allowed on it. Two
--           writes reach a namespace's steps without going through weft._fence_step:
--             * a step result sent to the results queue (pgmq.send), which
--               weft.intake_step_results applies later as the orchestrator: the step the
--               message names is looked up and the sender checked against its namespace; a
--               message naming no step, or an unknown one, is let through (the intake
--               dead-letters it);
--             * a dead letter (weft.dead_letter_message archives the message and may fail the
--               step's attempt): the queue's namespace is checked; a dead letter of an
--               orchestration queue may only be written by weft_orchestrator, weft_admin or the
--               weft owner.
--           The writer is weft.calling_role() (the session's SET ROLE or login role), checked by
--           weft._has_namespace_access.
-- Callers : the two BEFORE INSERT triggers below.
-- Security: SECURITY DEFINER (reads weft.steps, weft.tasks and weft.namespaces, which workers
--           cannot read).
-- Locks   : none beyond the reads.
-- Errors  : WF012 when the writer may not act on the namespace (nothing is written).
create function weft._check_namespace_writer() returns trigger
language plpgsql volatile
security definer
set search_path = ''
as $$
declare
  v_step_id uuid;
  v_namespace text;
  v_role name;
begin
  if tg_table_schema = 'pgmq' then
    begin
      v_step_id := (new.message ->> 'step_id')::uuid;
    exception when invalid_text_representation then
      v_step_id := null; -- not a step id: the intake dead-letters the message
    end;
    select t.namespace into v_namespace
    from weft.steps s join weft.tasks t on t.task_id = s.task_id
    where s.step_id = v_step_id;
    if v_namespace is not null then
      perform weft._assert_namespace_access(v_namespace);
    end if;
    return new;
  end if;

  select n.name into v_namespace from weft.namespaces n where n.queue_name = new.queue_name;
  if v_namespace is not null then
    perform weft._assert_namespace_access(v_namespace);
  else
    v_role := weft.calling_role();
    -- No role is granted a non-namespace queue: only the privileged roles pass.
    if not weft._has_namespace_access(v_role, new.queue_name) then
      raise exception 'role "%" may not dead-letter messages of queue "%"', v_role, new.queue_name
        using errcode = 'WF012', hint = 'Only weft_orchestrator, weft_admin and the weft owner handle the orchestration queues.';
    end if;
  end if;
  return new;
end
$$;
comment on function weft._check_namespace_writer() is 'Trigger: step results (results queue) and dead letters must come from a role allowed on their namespace (WF012).';

create trigger check_step_result_sender
  before insert on pgmq.q_orchestration_step_results
  for each row execute function weft._check_namespace_writer();

create trigger check_dead_letter_writer
  before insert on weft.dead_letters
  for each row execute function weft._check_namespace_writer();
--! EndIncluded weft/068-check-namespace-writer.sql
--! Included weft/069-release-step.sql
-- weft.release_step(step_id, attempt, processor_id) → boolean
--
-- Purpose : a worker that stops cleanly (shutdown) hands an unfinished attempt back without
--           charging it: the attempt's message is replaced by a fresh, unread copy (same
--           attempt number, visible at once), so another worker picks it up and the stalled-step
--           sweep (weft.recover_stalled_steps) does not mistake it for a dead worker's lease.
--           Returns false (nothing changed) when the attempt is no longer current.
-- Callers : workers on shutdown (the TS SDK's Worker.stop(), the bash worker).
-- Locks   : the step row, then the message rows.
-- Errors  : WF001 null step_id / bad attempt; WF006 unknown step; WF007 attempt never started.
create function weft.release_step(step_id uuid, attempt integer, processor_id text default null) returns boolean
language plpgsql volatile
set search_path = ''
as $$
#variable_conflict use_column
declare
  v weft._fence_result;
  v_new bigint;
begin
  v := weft._fence_step(step_id, attempt, 'heartbeat', null, processor_id, false, false);
  if v.verdict <> 'ok' or v.msg_id is null then
    return false;
  end if;
  execute pg_catalog.format(
    'with old as (delete from pgmq.%1$I where msg_id = $1 returning message, headers)
     insert into pgmq.%1$I (vt, message, headers) select pg_catalog.clock_timestamp(), old.message, old.headers from old
     returning msg_id', 'q_' || v.namespace)
    into v_new using v.msg_id;
  if v_new is null then
    return false;
  end if;
  update weft.steps s set msg_id = v_new, updated_at = pg_catalog.now() where s.step_id = release_step.step_id;
  insert into weft.transitions (entity, task_id, step_id, from_state, to_state, reason, processor_id, attempt)
  values ('step', v.task_id, step_id, 'enqueued', 'enqueued', 'released', processor_id, attempt);
  perform weft._wake('weft_steps', v.namespace);
  return true;
end
$$;
--! EndIncluded weft/069-release-step.sql
--! Included weft/071-finalize-tasks.sql
-- weft.finalize_tasks(task_ids uuid[], processor_id text) → table(task_id uuid, state weft.task_state)
--
-- Purpose : finalizes a batch of tasks the caller has claimed, in one transaction: the same
--           outcome as weft.finalize_task for each, with one commit and one update of the
--           processor's counter for the whole batch. The common case is done set-based: tasks
--           whose steps all completed (or were skipped), with no cancellation requested, become
--           complete together — leaf results gathered, task rows, transitions, claims released
--           and weft_task_finished notifications in one statement each. Every other task
--           (a failed step, a cancellation, a saga to compensate, steps still open) goes through
--           weft._finalize_task, one by one, in task id order. Tasks the
--           caller does not hold a live claim on, or that are no longer finalizing, are left
--           alone and returned with state null (the claim expired and another processor took
--           the task over, or it was finalized already) — the rest of the batch still goes in.
-- Callers : orchestrators, with the task ids weft.claim_tasks_for_finalization gave them.
-- Locks   : the task rows (FOR NO KEY UPDATE, in task id order, the order claims take them),
--           then the caller's claim rows (renewed: a live claim cannot expire mid-batch), then,
--           task by task, the step rows of the tasks that are not simple; the processor_stats
--           row once, at the end.
-- Errors  : WF001 task_ids or processor_id null, more than 1000 task ids.
--
-- Example : select * from weft.finalize_tasks(array['0190…'::uuid], 'orchestrator-1');
create function weft.finalize_tasks(task_ids uuid[], processor_id text)
returns table (task_id uuid, state weft.task_state)
language plpgsql volatile
set search_path = ''
-- Plans cached once per session (see 030-enqueue-steps.sql): costed for a typical array, the
-- custom plans look cheaper, and PL/pgSQL would plan every statement again at every call.
set plan_cache_mode = force_generic_plan
as $$
#variable_conflict use_column
declare
  -- one reading of the engine clock per call: weft.now() in a statement runs once per row
  v_now timestamptz := weft.now();
  v_id uuid;
  v_final weft.task_state;
  v_held uuid[];
  v_simple uuid[];
  v_done integer := 0;
begin
  if task_ids is null or processor_id is null then
    raise exception 'task_ids and processor_id must not be null' using errcode = 'WF001';
  end if;
  if pg_catalog.cardinality(task_ids) > 1000 then
    raise exception 'at most 1000 tasks per call, got %', pg_catalog.cardinality(task_ids) using errcode = 'WF001';
  end if;

  -- The finalizing tasks, locked in task id order; then the caller's live claims on them,
  -- locked and renewed for a few seconds (a holder may renew its claim), so that none expires
  -- before this transaction ends.
  perform from weft.tasks t
  where t.task_id = any (finalize_tasks.task_ids) and t.state::text = 'finalizing' -- as text: by primary key, not by a partial index
  order by t.task_id
  for no key update of t;
  with renewed as (
    update weft.finalization_claims c set expires_at = greatest(c.expires_at, v_now + interval '5 seconds')
    from weft.tasks t
    where c.task_id = any (finalize_tasks.task_ids) and c.processor_id = finalize_tasks.processor_id and c.expires_at > v_now
      and t.task_id = c.task_id and t.state::text = 'finalizing'
    returning c.task_id
  )
  select pg_catalog.array_agg(r.task_id order by r.task_id) into v_held from renewed r;
  if v_held is null then
    return query select distinct u.id, null::weft.task_state from pg_catalog.unnest(task_ids) as u (id) where u.id is not null order by 1;
    return;
  end if;

  -- The common case, set-based: every step complete or skipped, no cancellation requested.
  select pg_catalog.array_agg(t.task_id order by t.task_id) into v_simple
  from weft.tasks t
  where t.task_id = any (v_held) and not (coalesce(t.error, '{}'::jsonb) ? 'cancelled')
    and not exists (select from weft.steps s where s.task_id = t.task_id and s.state not in ('complete', 'skipped'));
  if v_simple is not null then
    with results as (
      select t.task_id, coalesce((
        select pg_catalog.jsonb_object_agg(s.name, s.result order by s.position)
        from weft.steps s
        where s.task_id = t.task_id and s.state = 'complete'
          and not exists (select from weft.workflow_edges e where e.workflow_id = t.workflow_id and e.parent = s.name)
      ), '{}'::jsonb) as result
      from weft.tasks t where t.task_id = any (v_simple)
    ), finished as (
      update weft.tasks t set state = 'complete', result = r.result, error = null, finished_at = v_now, updated_at = pg_catalog.now()
      from results r where t.task_id = r.task_id
      returning t.task_id
    ), logged as (
      insert into weft.transitions (entity, task_id, from_state, to_state, reason, processor_id)
      select 'task', f.task_id, 'finalizing', 'complete', 'finalized', finalize_tasks.processor_id from finished f
    ), released as (
      delete from weft.finalization_claims c using finished f where c.task_id = f.task_id
    )
    select pg_catalog.count(*)::integer into v_done from finished;
    perform pg_catalog.pg_notify('weft_task_finished', u.id::text) from pg_catalog.unnest(v_simple) as u (id);
  end if;

  -- The rest, one by one; tasks not held come back with state null.
  for v_id in select distinct u.id from pg_catalog.unnest(task_ids) as u (id) where u.id is not null order by 1 loop
    if v_id = any (v_simple) then
      v_final := 'complete';
    elsif v_id = any (v_held) then
      v_final := weft._finalize_task(v_id, processor_id);
      if v_final <> 'compensating' then
        v_done := v_done + 1;
      end if;
    else
      v_final := null;
    end if;
    task_id := v_id;
    state := v_final;
    return next;
  end loop;
  if v_done > 0 then
    insert into weft.processor_stats as ps (processor_id, tasks_finalized, last_seen_at) values (processor_id, v_done, pg_catalog.now())
    on conflict on constraint processor_stats_pkey do update set tasks_finalized = ps.tasks_finalized + excluded.tasks_finalized, last_seen_at = excluded.last_seen_at;
  end if;
end
$$;
--! EndIncluded weft/071-finalize-tasks.sql
--! Included weft/072-complete-steps.sql
-- weft.complete_steps(step_ids uuid[], attempts integer[], results jsonb[], processor_id text)
--   → setof weft.step_report (one per step, in the order given)
--
-- Purpose : a batch of worker reports of success, applied set-based in one transaction and one
--           round trip — what a busy worker sends instead of one call per step (the TS SDK
--           batches the reports that pile up while a call is in flight). Each element means
--           exactly weft.complete_step(step_ids[i], attempts[i], results[i], processor_id):
--           fenced by its attempt, applied, duplicate or rejected on its own, with the same
--           rows written (steps, transitions, rejected_results, queue messages, children,
--           tasks). The work is done once per batch, not once per step: one statement locks the
--           tasks, one locks and fences the steps, one completes them, one decrements every
--           child, one weft._enqueue_steps sends the ready children, one updates the tasks
--           (steps remaining, and finalizing for those with none left).
--           A batch naming one step twice, or with a null element, is applied element by
--           element (weft.complete_step in a loop), as are the errors it raises.
--           The batch is all or nothing only for errors (WF001/WF006/WF007 raised, WF012, a
--           deadlock): then no element is applied and the caller reports them one by one.
--           A report's task_state is the task's state after the whole batch.
-- Callers : worker SDKs (weft_worker role); weft.complete_steps_and_read; any worker that
--           reports several results at once.
-- Locks   : the tasks (FOR NO KEY UPDATE, in task id order), then the steps (FOR UPDATE, in
--           task id then step id order), then the children rows — the engine's lock order
--           (task → steps), so concurrent batches and single reports cannot deadlock.
-- Errors  : WF001 arrays null, of different lengths, or longer than 1000, a null step id or an
--           attempt below 1; WF006 unknown step; WF007 an attempt never started; WF012 the
--           calling role may not act on a step's namespace.
--
-- Example : select * from weft.complete_steps(array[$1, $2]::uuid[], array[1, 1], array['1', '2']::jsonb[], 'w1');
create function weft.complete_steps(step_ids uuid[], attempts integer[], results jsonb[], processor_id text default null)
returns setof weft.step_report
language plpgsql volatile
set search_path = ''
-- Plans cached once per session (see 030-enqueue-steps.sql): costed for a typical array, the
-- custom plans look cheaper, and PL/pgSQL would plan every statement again at every call.
set plan_cache_mode = force_generic_plan
as $$
#variable_conflict use_column
declare
  -- one reading of the engine clock per call: weft.now() in a statement runs once per row
  v_now timestamptz := weft.now();
  v record;
  v_n integer := pg_catalog.cardinality(step_ids);
  v_out weft.step_report[] := '{}';
  v_namespace text;
  v_fence weft._fence_result[]; -- element k fences step_ids[k]
  v_ok integer[];               -- the elements to apply
  v_ready uuid[];
  v_namespaces text[] := '{}';
  v_task_ids uuid[];
  v_task_states weft.task_state[];
  v_moved integer;
begin
  if step_ids is null or attempts is null or results is null then
    raise exception 'step_ids, attempts and results must not be null' using errcode = 'WF001';
  end if;
  if pg_catalog.cardinality(attempts) <> v_n or pg_catalog.cardinality(results) <> v_n then
    raise exception 'step_ids, attempts and results must have the same length (got %, %, %)',
      v_n, pg_catalog.cardinality(attempts), pg_catalog.cardinality(results) using errcode = 'WF001';
  end if;
  if v_n > 1000 then
    raise exception 'at most 1000 steps per call, got %', v_n using errcode = 'WF001';
  end if;
  if v_n = 0 then
    return;
  end if;

  -- Irregular batches (a step twice, a null element, an attempt below 1): element by element,
  -- the reference meaning, and weft.complete_step's errors.
  if pg_catalog.array_position(step_ids, null) is not null or pg_catalog.array_position(attempts, null) is not null
     or exists (select from pg_catalog.unnest(attempts) a where a < 1)
     or (select pg_catalog.count(distinct u) from pg_catalog.unnest(step_ids) u) <> v_n then
    for v in
      select u.i, u.step_id, attempts[u.i] as attempt, results[u.i] as result
      from pg_catalog.unnest(step_ids) with ordinality as u (step_id, i)
      left join weft.steps s on s.step_id = u.step_id
      order by s.task_id, u.i
    loop
      v_out[v.i] := weft.complete_step(v.step_id, v.attempt, v.result, processor_id);
    end loop;
    return query select * from pg_catalog.unnest(v_out);
    return;
  end if;

  -- Lock order: the tasks, in task id order, then their steps. Then the namespaces' access
  -- (WF012, 070-privileges.sql): the whole batch is refused when one step is out of reach.
  for v_namespace in
    select t.namespace from weft.tasks t
    where t.task_id in (select s.task_id from weft.steps s where s.step_id = any (step_ids))
    order by t.task_id
    for no key update of t
  loop
    if not v_namespace = any (v_namespaces) then
      v_namespaces := v_namespaces || v_namespace;
      perform weft._assert_namespace_access(v_namespace);
    end if;
  end loop;

  -- Fence every element at once (weft._fence_step's verdicts), its step row locked; the task
  -- rows are locked, so their state read here holds until commit.
  select pg_catalog.array_agg(row(
           case
             when f.attempt < f.cur_attempt then 'stale'
             when f.step_state = 'complete' then 'duplicate'
             when f.step_state <> 'enqueued' or f.task_state in ('complete', 'error', 'cancelled', 'compensation_failed')
                  or f.deadline_at <= v_now then 'stale'
             else 'ok'
           end,
           case
             when f.attempt < f.cur_attempt then 'superseded_attempt'
             when f.step_state = 'complete' then 'already_complete'
             when f.step_state <> 'enqueued' then 'step_' || f.step_state::text
             when f.task_state in ('complete', 'error', 'cancelled', 'compensation_failed') then 'task_' || f.task_state::text
             when f.deadline_at <= v_now then 'deadline_passed'
           end,
           f.task_id, f.namespace, f.workflow_id, f.task_state, f.step_name, f.step_state, f.cur_attempt, f.max_attempts,
           null, f.msg_id)::weft._fence_result order by f.i)
  into v_fence
  from (
    select u.i, u.attempt, s.task_id, t.namespace, t.workflow_id, t.state as task_state, s.name as step_name,
           s.state as step_state, s.attempt as cur_attempt, s.max_attempts, s.msg_id, s.deadline_at
    from rows from (pg_catalog.unnest(step_ids), pg_catalog.unnest(attempts)) with ordinality as u (step_id, attempt, i)
    join weft.steps s on s.step_id = u.step_id
    join weft.tasks t on t.task_id = s.task_id
    order by s.task_id, s.step_id
    for update of s
  ) f;

  if coalesce(pg_catalog.cardinality(v_fence), 0) < v_n then
    select u.step_id into v from pg_catalog.unnest(step_ids) with ordinality as u (step_id, i)
    where not exists (select from weft.steps s where s.step_id = u.step_id) order by u.i limit 1;
    raise exception 'step % not found', v.step_id using errcode = 'WF006';
  end if;
  select k into v from pg_catalog.generate_subscripts(v_fence, 1) as k where attempts[k] > (v_fence[k]).current_attempt order by k limit 1;
  if found then
    raise exception 'attempt % of step % was never started (current attempt is %)', attempts[v.k], step_ids[v.k], (v_fence[v.k]).current_attempt
      using errcode = 'WF007', hint = 'Report with the attempt number from the step message.';
  end if;

  -- Not applied: duplicates and stale reports are recorded, stale ones with a warning each.
  for v in select k, (v_fence[k]).* from pg_catalog.generate_subscripts(v_fence, 1) as k where (v_fence[k]).verdict <> 'ok' loop
    insert into weft.rejected_results (task_id, step_id, attempt, current_attempt, step_state, kind, reason, payload, processor_id)
    values (v.task_id, step_ids[v.k], attempts[v.k], v.current_attempt, v.step_state::text, 'complete', v.reason, results[v.k], processor_id);
    if v.verdict = 'stale' then
      raise warning 'weft: complete of step % attempt % rejected (%); current attempt is %, step is %',
        step_ids[v.k], attempts[v.k], v.reason, v.current_attempt, v.step_state
        using errcode = 'WF007';
    end if;
    v_out[v.k] := row(case v.verdict when 'duplicate' then 'duplicate' else 'rejected' end, v.reason, step_ids[v.k],
      v.step_state, v.current_attempt, v.task_id, v.task_state)::weft.step_report;
  end loop;

  select pg_catalog.array_agg(k order by k) into v_ok from pg_catalog.generate_subscripts(v_fence, 1) as k where (v_fence[k]).verdict = 'ok';
  if v_ok is null then
    return query select * from pg_catalog.unnest(v_out);
    return;
  end if;

  -- The steps complete, one transition each; their messages go.
  with done as (
    update weft.steps s
    set state = 'complete', result = results[k], error = null, finished_at = v_now, msg_id = null,
        deadline_at = null, ready_at = null, updated_at = pg_catalog.now()
    from pg_catalog.unnest(v_ok) as k
    where s.step_id = step_ids[k]
    returning s.step_id, s.task_id, s.attempt
  )
  insert into weft.transitions (entity, task_id, step_id, from_state, to_state, reason, processor_id, attempt)
  select 'step', d.task_id, d.step_id, 'enqueued', 'complete', 'completed', complete_steps.processor_id, d.attempt from done d;
  for v in
    select (v_fence[k]).namespace as namespace, pg_catalog.array_agg((v_fence[k]).msg_id) as msg_ids
    from pg_catalog.unnest(v_ok) as k where (v_fence[k]).msg_id is not null group by 1
  loop
    -- the namespace's delete function: static SQL, its plan kept (029-queue-functions.sql)
    execute pg_catalog.format('select weft.%I($1)', '_q_delete_' || v.namespace) using v.msg_ids;
  end loop;

  -- Children: one fewer pending parent for each parent completed here; those at zero are
  -- ready while their task runs or compensates.
  with parents as (
    select step_ids[k] as step_id, (v_fence[k]).* from pg_catalog.unnest(v_ok) as k
  ), children as (
    select c.step_id, p.task_state
    from parents p
    join weft.workflow_edges e on e.workflow_id = p.workflow_id and e.parent = p.step_name
    join weft.steps c on c.task_id = p.task_id and c.name = e.child and c.kind = 'step'
    union all
    select d.child_step_id, p.task_state from parents p join weft.step_dependencies d on d.parent_step_id = p.step_id
  ), counted as (
    select ch.step_id, pg_catalog.count(*)::integer as n, pg_catalog.min(ch.task_state::text) as task_state
    from children ch group by ch.step_id
  ), dec as (
    update weft.steps c set pending_parents = c.pending_parents - k.n, updated_at = pg_catalog.now()
    from counted k
    where c.step_id = k.step_id
    returning c.step_id, c.pending_parents, c.state, k.task_state
  )
  select pg_catalog.array_agg(dec.step_id order by dec.step_id) into v_ready from dec
  where dec.pending_parents = 0 and dec.state = 'pending' and dec.task_state in ('running', 'compensating');
  if v_ready is not null then
    perform weft._enqueue_steps(v_ready, processor_id, 'parents_complete');
  end if;

  -- Tasks: fewer steps remaining; those at none move to finalizing in the same row write
  -- (weft._request_finalizations' work: transition, one wake-up of the orchestrators).
  with per_task as (
    select (v_fence[k]).task_id as task_id, pg_catalog.min((v_fence[k]).task_state::text) as old_state,
           pg_catalog.count(*)::integer as n
    from pg_catalog.unnest(v_ok) as k group by 1
  ), upd as (
    update weft.tasks t
    set steps_remaining = t.steps_remaining - p.n,
        state = case when t.steps_remaining = p.n and t.state in ('running', 'compensating') then 'finalizing' else t.state end,
        finalize_requested_at = case when t.steps_remaining = p.n and t.state in ('running', 'compensating') then v_now
                                     else t.finalize_requested_at end,
        updated_at = pg_catalog.now()
    from per_task p where t.task_id = p.task_id
    returning t.task_id, t.state, p.old_state
  ), logged as (
    insert into weft.transitions (entity, task_id, from_state, to_state, reason, processor_id)
    select 'task', u.task_id, u.old_state, 'finalizing', 'all_steps_complete', complete_steps.processor_id
    from upd u where u.state = 'finalizing' and u.old_state <> 'finalizing'
  )
  select pg_catalog.array_agg(u.task_id), pg_catalog.array_agg(u.state),
         pg_catalog.count(*) filter (where u.state = 'finalizing' and u.old_state <> 'finalizing')
  into v_task_ids, v_task_states, v_moved
  from upd u;
  if v_moved > 0 then
    perform weft._wake('weft_orchestrator', 'finalize');
  end if;

  for v in
    select k, x.state from pg_catalog.unnest(v_ok) as k
    join rows from (pg_catalog.unnest(v_task_ids), pg_catalog.unnest(v_task_states)) as x (task_id, state)
      on x.task_id = (v_fence[k]).task_id
  loop
    v_out[v.k] := row('applied', null, step_ids[v.k], 'complete'::weft.step_state, attempts[v.k], (v_fence[v.k]).task_id, v.state)::weft.step_report;
  end loop;
  return query select * from pg_catalog.unnest(v_out);
end
$$;
--! EndIncluded weft/072-complete-steps.sql
--! Included weft/073-complete-steps-and-read.sql
-- weft.complete_steps_and_read(step_ids uuid[], attempts integer[], results jsonb[], processor_id text,
--                              queue_name text, vt integer, qty integer)
--   → table(reports jsonb, messages jsonb)  (one row)
--
-- Purpose : a worker's report and its next read in one transaction and one round trip. Applies
--           the completions exactly as weft.complete_steps (reports: a JSON array of
--           weft.step_report objects, in the order given), then reads up to `qty` messages from
--           `queue_name` with pgmq.read(queue_name, vt, qty) (messages: a JSON array of
--           pgmq.message_record objects — msg_id, read_ct, enqueued_at, vt, message, headers —
--           oldest first). Children the completions just made ready are in that queue already,
--           inside this transaction, so the worker that finished the parent takes them at once:
--           no wake-up and no separate read between a parent and its child.
--           qty 0 reads nothing (the same as weft.complete_steps).
-- Callers : the TS worker SDK (its completion batcher, with the free slots as qty); any worker.
-- Locks   : as weft.complete_steps; then the read messages' rows (FOR UPDATE SKIP LOCKED).
-- Errors  : as weft.complete_steps; WF001 qty outside 0..1000 or vt < 0 or queue_name null when
--           qty > 0; WF010 no namespace has this queue; WF012 the calling role may not read it.
--
-- Example : select * from weft.complete_steps_and_read(array[$1]::uuid[], array[1], array['{}']::jsonb[], 'w1', 'math', 30, 4);
create function weft.complete_steps_and_read(
  step_ids uuid[], attempts integer[], results jsonb[], processor_id text,
  queue_name text default null, vt integer default 30, qty integer default 0
) returns table (reports jsonb, messages jsonb)
language plpgsql volatile
set search_path = ''
as $$
#variable_conflict use_column
declare
  v_namespace text;
begin
  if qty is null or qty < 0 or qty > 1000 then
    raise exception 'qty must be between 0 and 1000, got %', coalesce(qty::text, 'null') using errcode = 'WF001';
  end if;
  if qty > 0 and (queue_name is null or vt is null or vt < 0) then
    raise exception 'a read needs a queue_name and a vt of 0 or more (got %, %)', coalesce(queue_name, 'null'), coalesce(vt::text, 'null')
      using errcode = 'WF001';
  end if;
  if qty > 0 then
    select n.name into v_namespace from weft.namespaces n where n.queue_name = complete_steps_and_read.queue_name;
    if v_namespace is null then
      raise exception 'no namespace has the queue "%"', queue_name using errcode = 'WF010';
    end if;
    perform weft._assert_namespace_access(v_namespace); -- WF012: this runs as the owner, pgmq.read would not check
  end if;

  select coalesce(pg_catalog.jsonb_agg(pg_catalog.to_jsonb(r) operator(pg_catalog.-) 'ord' order by r.ord), '[]'::jsonb) into reports
  from weft.complete_steps(step_ids, attempts, results, processor_id)
    with ordinality as r (outcome, reason, step_id, step_state, attempt, task_id, task_state, ord);
  if qty > 0 then
    select coalesce(pg_catalog.jsonb_agg(pg_catalog.to_jsonb(m) order by m.msg_id), '[]'::jsonb) into messages
    from pgmq.read(complete_steps_and_read.queue_name, vt, qty) m;
  else
    messages := '[]'::jsonb;
  end if;
  return next;
end
$$;
--! EndIncluded weft/073-complete-steps-and-read.sql
--! Included weft/074-request-finalizations.sql
-- weft._request_finalizations(task_ids uuid[], reason text, processor_id text) → uuid[] (tasks moved)
--
-- Purpose : running (or compensating) → finalizing for a set of tasks at once: nothing more
--           will be started for them; an orchestrator claims and finalizes each
--           (weft.claim_tasks_for_finalization, weft.finalize_tasks). Tasks in any other state
--           are left alone. One transition row per task moved, and one throttled wake-up
--           weft_orchestrator 'finalize' (weft._wake) for the whole set.
-- Callers : weft._request_finalization (one task). (weft.complete_steps does the same work in
--           the update of the tasks it already makes.)
-- Locks   : the caller holds the task row locks.
create function weft._request_finalizations(task_ids uuid[], reason text, processor_id text) returns uuid[]
language plpgsql volatile
set search_path = ''
-- Plans cached once per session (see 030-enqueue-steps.sql): costed for a typical array, the
-- custom plans look cheaper, and PL/pgSQL would plan every statement again at every call.
set plan_cache_mode = force_generic_plan
as $$
#variable_conflict use_column
declare
  -- one reading of the engine clock per call: weft.now() in a statement runs once per row
  v_now timestamptz := weft.now();
  v_moved uuid[];
begin
  with moved as (
    update weft.tasks t set state = 'finalizing', finalize_requested_at = v_now, updated_at = pg_catalog.now()
    from weft.tasks o
    where t.task_id = any (_request_finalizations.task_ids) and o.task_id = t.task_id and t.state in ('running', 'compensating')
    returning t.task_id, o.state as from_state
  ), logged as (
    insert into weft.transitions (entity, task_id, from_state, to_state, reason, processor_id)
    select 'task', m.task_id, m.from_state::text, 'finalizing', _request_finalizations.reason, _request_finalizations.processor_id
    from moved m
  )
  select pg_catalog.array_agg(m.task_id order by m.task_id) into v_moved from moved m;
  if v_moved is not null then
    perform weft._wake('weft_orchestrator', 'finalize');
  end if;
  return v_moved;
end
$$;
--! EndIncluded weft/074-request-finalizations.sql
--! Included weft/075-request-tasks.sql
-- weft.request_tasks(namespace, workflow_name, contexts, version, idempotency_keys, priority,
--                    run_after, parent_task_id, requested_by) → setof uuid (task ids, in the order given)
--
-- Purpose : creates many tasks of one workflow in one statement, set-based — what a service
--           that requests work in bulk sends, and the engine of weft.request_task (a batch of
--           one). Element i is exactly weft.request_task(namespace, workflow_name, contexts[i],
--           version, idempotency_keys[i], priority, run_after, parent_task_id, requested_by):
--           the task with all its steps, started unless run_after is in the future (its root
--           steps' messages are in the queue when the caller commits). The whole batch is in the
--           caller's transaction: one bad element raises and no task is created.
-- Idempotency: idempotency_keys (null, or one key or null per context) as in weft.request_task:
--           a key already used with the same request returns the existing task; with a different
--           request, WF009. A key given twice in one batch is one task when both requests are
--           identical, WF009 otherwise.
-- Callers : services (one SQL statement), weft.request_task, the TS client.
-- Locks   : inserts only; concurrent requests with one key serialize on the unique index. The
--           new tasks are started in task id order (the engine's lock order).
-- Errors  : WF001 bad argument (null names, contexts null/empty or over 10000 elements, an
--           element not a JSON object, keys array of another length, a key of 0 or over 255
--           characters, unknown priority name); WF002 no such workflow (or version); WF009
--           idempotency conflict.
--
-- Example : select * from weft.request_tasks('math', 'diamond', array['{"n": 1}', '{"n": 2}']::jsonb[]);
create function weft.request_tasks(
  namespace text,
  workflow_name text,
  contexts jsonb[],
  version text default null,
  idempotency_keys text[] default null,
  priority text default 'normal',
  run_after timestamptz default null,
  parent_task_id uuid default null,
  requested_by text default null
) returns setof uuid
language plpgsql volatile
set search_path = ''
-- Plans cached once per session (see 030-enqueue-steps.sql): costed for a typical array, the
-- custom plans look cheaper, and PL/pgSQL would plan every statement again at every call.
set plan_cache_mode = force_generic_plan
as $$
#variable_conflict use_column
declare
  -- one reading of the engine clock per call: weft.now() in a statement runs once per row
  v_now timestamptz := weft.now();
  v_n integer := pg_catalog.cardinality(contexts);
  v_workflow_id uuid;
  v_priority smallint;
  v_steps integer;
  v_bad record;
  v_ids uuid[];
  v_hashes text[];
  v_is_new boolean[];
  v_conflict integer;
  v_new uuid[];
  v_roots uuid[];
  v_start boolean := request_tasks.run_after is null or request_tasks.run_after <= v_now;
begin
  -- Guard: arguments.
  if namespace is null or workflow_name is null then
    raise exception 'namespace and workflow_name are required (got %, %)', coalesce(namespace, 'null'), coalesce(workflow_name, 'null')
      using errcode = 'WF001';
  end if;
  if contexts is null or v_n = 0 or v_n > 10000 then
    raise exception 'contexts must hold 1 to 10000 contexts, got %', coalesce(v_n::text, 'null') using errcode = 'WF001';
  end if;
  select u.i, u.c into v_bad from pg_catalog.unnest(contexts) with ordinality as u (c, i)
  where pg_catalog.jsonb_typeof(coalesce(u.c, '{}'::jsonb)) <> 'object' order by u.i limit 1;
  if found then
    raise exception 'context must be a JSON object, got a JSON % (element %)', pg_catalog.jsonb_typeof(v_bad.c), v_bad.i
      using errcode = 'WF001', detail = pg_catalog.left(v_bad.c::text, 200);
  end if;
  v_priority := weft.priority_value(priority);
  if v_priority is null then
    raise exception 'unknown priority "%"', priority
      using errcode = 'WF001', hint = 'Use critical, high, normal, low or background.';
  end if;
  if idempotency_keys is not null then
    if pg_catalog.cardinality(idempotency_keys) <> v_n then
      raise exception 'idempotency_keys must have one key (or null) per context: % keys for % contexts',
        pg_catalog.cardinality(idempotency_keys), v_n using errcode = 'WF001';
    end if;
    select pg_catalog.length(k) as len into v_bad from pg_catalog.unnest(idempotency_keys) as k
    where pg_catalog.length(k) = 0 or pg_catalog.length(k) > 255 limit 1;
    if found then
      raise exception 'idempotency_key must be 1 to 255 characters, got % characters', v_bad.len using errcode = 'WF001';
    end if;
  end if;

  -- Guard: the workflow exists.
  select w.workflow_id into v_workflow_id
  from weft.workflows w
  where w.namespace = request_tasks.namespace and w.name = workflow_name
    and (request_tasks.version is null or w.version = request_tasks.version)
  order by w.created_at desc, w.workflow_id desc
  limit 1;
  if v_workflow_id is null then
    raise exception 'workflow %/% not found%', namespace, workflow_name, coalesce(' (version ' || request_tasks.version || ')', '')
      using errcode = 'WF002', hint = 'Register it first (weft workflows apply, or weft.register_workflow).';
  end if;
  select pg_catalog.count(*)::integer into v_steps from weft.workflow_steps ws where ws.workflow_id = v_workflow_id;

  -- The tasks: ids made here (request order); a row whose key was used already is not inserted.
  with req as (
    select u.i, weft.uuid_generate_v7() as task_id, coalesce(u.c, '{}'::jsonb) as context, idempotency_keys[u.i] as key
    from pg_catalog.unnest(contexts) with ordinality as u (c, i)
    order by u.i
  ), hashed as (
    select r.*, pg_catalog.md5(pg_catalog.jsonb_build_array(request_tasks.namespace, request_tasks.workflow_name, request_tasks.version,
                  r.context, v_priority, request_tasks.run_after, request_tasks.parent_task_id)::text) as hash
    from req r
  ), inserted as (
    insert into weft.tasks (task_id, workflow_id, namespace, state, priority, context, idempotency_key, request_hash, run_after,
                            parent_task_id, requested_by, steps_total, steps_remaining, started_at)
    select h.task_id, v_workflow_id, request_tasks.namespace, case when v_start then 'running' else 'pending' end::weft.task_state,
           v_priority, h.context, h.key, h.hash, request_tasks.run_after, request_tasks.parent_task_id, request_tasks.requested_by,
           v_steps, v_steps, case when v_start then v_now end
    from hashed h order by h.i
    on conflict (idempotency_key) where idempotency_key is not null do nothing
    returning task_id
  )
  select pg_catalog.array_agg(h.task_id order by h.i), pg_catalog.array_agg(h.hash order by h.i),
         pg_catalog.array_agg(ins.task_id is not null order by h.i)
  into v_ids, v_hashes, v_is_new
  from hashed h left join inserted ins on ins.task_id = h.task_id;

  -- Keys used already (by an earlier request, or earlier in this batch): a separate statement,
  -- whose snapshot sees those rows. The same request gets the existing task; another, WF009.
  if not (true = all (v_is_new)) then
    select pg_catalog.min(k) filter (where not v_is_new[k] and old.request_hash is distinct from v_hashes[k]),
           pg_catalog.array_agg(case when v_is_new[k] then v_ids[k] else old.task_id end order by k)
    into v_conflict, v_ids
    from pg_catalog.generate_subscripts(v_ids, 1) as k
    left join weft.tasks old on not v_is_new[k] and old.idempotency_key = idempotency_keys[k];
    if v_conflict is not null then
      raise exception 'idempotency key "%" was already used for a different request (task %)', idempotency_keys[v_conflict],
        (select t.task_id from weft.tasks t where t.idempotency_key = idempotency_keys[v_conflict])
        using errcode = 'WF009', hint = 'Use a new key for a new request; the same key returns the same task only for the identical request.';
    end if;
  end if;
  select pg_catalog.array_agg(v_ids[k] order by v_ids[k]) into v_new from pg_catalog.generate_subscripts(v_ids, 1) as k where v_is_new[k];
  return query select pg_catalog.unnest(v_ids);
  if v_new is null then
    return;
  end if;

  -- Their steps, and their transitions (requested, and started unless run_after is ahead).
  with ws as materialized (
    select ws.name, ws.position, ws.handler, ws.args, (ws.retry ->> 'max_attempts')::integer as max_attempts, ws.retry,
           ws.timeout_ms, ws.heartbeat_ms, ws.compensate,
           (select pg_catalog.count(*) from weft.workflow_edges e where e.workflow_id = ws.workflow_id and e.child = ws.name)::integer as parents
    from weft.workflow_steps ws where ws.workflow_id = v_workflow_id
  ), created as (
    insert into weft.steps (task_id, name, position, handler, args, max_attempts, retry, timeout_ms, heartbeat_ms, compensate, pending_parents)
    select t.id, ws.name, ws.position, ws.handler, ws.args, ws.max_attempts, ws.retry, ws.timeout_ms, ws.heartbeat_ms, ws.compensate, ws.parents
    from pg_catalog.unnest(v_new) as t (id) cross join ws
    order by t.id, ws.position
    returning step_id, pending_parents
  )
  select pg_catalog.array_agg(c.step_id) filter (where c.pending_parents = 0) into v_roots from created c;
  insert into weft.transitions (entity, task_id, from_state, to_state, reason, processor_id)
  select 'task', t.id, x.from_state, x.to_state, 'requested', request_tasks.requested_by
  from pg_catalog.unnest(v_new) as t (id)
  cross join (values (null, 'pending'), ('pending', 'running')) as x (from_state, to_state)
  where x.to_state = 'pending' or v_start;

  if v_start then
    -- Started as they were created (weft._start_tasks' work without a second write of each
    -- task row): the root steps' messages go out now.
    perform weft._enqueue_steps(v_roots, request_tasks.requested_by, 'requested');
  else
    perform weft._wake('weft_orchestrator', 'timer');
  end if;
end
$$;
--! EndIncluded weft/075-request-tasks.sql
--! Included weft/076-start-tasks.sql
-- weft._start_tasks(task_ids uuid[], processor_id text, reason text) → void
--
-- Purpose : pending → running for a set of tasks at once: one transition row each, and the root
--           steps of all of them (no parents) enqueued by one weft._enqueue_steps call. Tasks
--           not pending are left alone.
-- Callers : weft._start_task (one task: weft.fire_timers); any caller starting several tasks.
-- Locks   : the task rows (FOR NO KEY UPDATE, via the UPDATE, in task id order), then the root
--           step rows (weft._enqueue_steps).
create function weft._start_tasks(task_ids uuid[], processor_id text, reason text) returns void
language plpgsql volatile
set search_path = ''
-- Plans cached once per session (see 030-enqueue-steps.sql): costed for a typical array, the
-- custom plans look cheaper, and PL/pgSQL would plan every statement again at every call.
set plan_cache_mode = force_generic_plan
as $$
#variable_conflict use_column
declare
  -- one reading of the engine clock per call: weft.now() in a statement runs once per row
  v_now timestamptz := weft.now();
  v_started uuid[];
  v_roots uuid[];
begin
  with locked as (
    select t.task_id from weft.tasks t
    where t.task_id = any (_start_tasks.task_ids) and t.state::text = 'pending' -- as text: by primary key, not by a partial index
    order by t.task_id
    for no key update of t
  ), started as (
    update weft.tasks t set state = 'running', started_at = v_now, updated_at = pg_catalog.now()
    from locked l where t.task_id = l.task_id
    returning t.task_id
  ), logged as (
    insert into weft.transitions (entity, task_id, from_state, to_state, reason, processor_id)
    select 'task', s.task_id, 'pending', 'running', _start_tasks.reason, _start_tasks.processor_id from started s
  )
  select pg_catalog.array_agg(s.task_id) into v_started from started s;
  if v_started is null then
    return;
  end if;
  select pg_catalog.array_agg(s.step_id) into v_roots
  from weft.steps s where s.task_id = any (v_started) and s.pending_parents = 0 and s.state = 'pending';
  perform weft._enqueue_steps(v_roots, processor_id, reason);
end
$$;
--! EndIncluded weft/076-start-tasks.sql
--! Included weft/070-privileges.sql
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
--! EndIncluded weft/070-privileges.sql
--! EndIncluded weft/all.sql
