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
